"""An edition's PDF: its frozen text (the snapshot, read by reporting/edition_text.py) through
the same templates, fonts and WeasyPrint settings as the current protocol's PDF
(rendering/pdf.py), with a cover that names the edition.

Immutable: the ETag depends only on the edition (its id, number and the hash of its text), so it
is the same forever, on every server and across deployments; the bytes are cached without
expiry under a key that also holds the layout version (a new layout renders the same text
again, same ETag: the text is what the ETag promises). Building an `EditionPdf` costs no query
(the edition is loaded without its snapshot); rendering loads the snapshot (one query) and the
glossary (one query).
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation

from commitments.rendering.glossary_markup import Glossary
from commitments.rendering.pdf import FONT_DIR, LocalFonts, ProtocolPart, layout_version
from commitments.reporting.edition_text import TextProtocol, edition_name, french_day

FOREVER = None  # Django cache timeout: never expires


class EditionPart(ProtocolPart):
    """An edition's text as pdf/_cover.html and pdf/_protocol.html show a protocol."""

    def __init__(self, territory, edition):
        super().__init__(territory, TextProtocol(edition.snapshot), suivi=False)
        self.edition = edition
        self.edition_name = edition_name(edition)

    @property
    def version_date(self):
        return french_day(self.protocol.deliberation_date) if self.protocol else ""


@dataclass(frozen=True)
class EditionPdf:
    territory: object
    edition: object  # an Edition; its snapshot is read only to render

    @property
    def etag(self):
        edition = self.edition
        stamp = f"edition:{edition.pk}:{edition.number}:{edition.content_hash}"
        return hashlib.sha256(stamp.encode()).hexdigest()[:32]

    @property
    def last_modified(self):
        return self.edition.published_at

    @property
    def filename(self):
        return f"perer-{self.territory.slug}-edition-{self.edition.number}.pdf"

    @property
    def cache_key(self):
        return f"pdf-edition:{layout_version()}:{self.etag}"

    def content(self):
        data = cache.get(self.cache_key)
        if data is None:
            data = render_edition_pdf(self)
            cache.set(self.cache_key, data, FOREVER)
        return data


def document_context(pdf):
    part = EditionPart(pdf.territory, pdf.edition)
    title = f"{part.title} — {pdf.territory.name} — {part.edition_name}"
    return {
        "title": title,
        "single": part,
        "parts": [part],
        "glossary_terms": Glossary().terms_in(part.texts()),
        "glossary": None,
        "suivi": False,
        "version_date": part.edition_name,
        "modified": pdf.edition.published_at,
    }


def render_edition_pdf(pdf):
    from weasyprint import HTML  # heavy: only when rendering

    with translation.override("fr"):
        html = render_to_string("pdf/document.html", document_context(pdf))

    def finish(document, output):
        output.catalog["PageMode"] = "/UseOutlines"

    return HTML(string=html, base_url=FONT_DIR.as_uri() + "/", url_fetcher=LocalFonts()).write_pdf(
        pdf_variant="pdf/ua-1", pdf_identifier=pdf.etag.encode(), finisher=finish
    )
