"""An edition's PDF: its frozen text (the snapshot, read by selectors/edition_text.py) through
the same templates, fonts and WeasyPrint settings as the current protocol's PDF
(rendering/pdf.py), with a cover that names the edition.

Immutable: the ETag depends only on the edition (its id, number and the hash of its text), so it
is the same forever, on every server and across deployments. The bytes are kept without expiry
in the PDF store (rendering/pdf_store.py: the database, shared by every process, backed up)
under `edition:<id>`, as a version that also holds the layout digest: a deployment that
changes the layout renders the same text again on the next request (same ETag: the text is what
the ETag promises). The first request renders in the request (about a second); concurrent first
requests wait for that render. Building an `EditionPdf` costs no query (the edition is loaded
without its snapshot); serving a stored render one query; rendering loads the snapshot and the
glossary (two queries).
"""

import hashlib
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import translation

from commitments.rendering import pdf_store
from commitments.rendering.glossary_markup import Glossary
from commitments.rendering.pdf import (
    DOCUMENT_TEMPLATE,
    FONT_DIR,
    LocalFonts,
    ProtocolPart,
    layout_version,
)
from commitments.selectors.edition_text import TextProtocol, edition_name, french_day


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
        """The stored render's version: this edition's text in the current layout."""
        return f"pdf-edition:{layout_version()}:{self.etag}"

    # --- A pdf_store document ----------------------------------------------------------

    @property
    def store_key(self):
        return f"edition:{self.edition.pk}"

    @property
    def version_at(self):
        return self.edition.published_at

    def current_version(self):
        return self.cache_key

    def dated_filename(self, moment):
        return self.filename

    def render(self):
        """(bytes, pages) of this edition's PDF."""
        return render_edition_pdf(self)

    def content(self):
        row = pdf_store.latest(self.store_key, with_data=True)
        if row is None:
            row = pdf_store.first_render(self)
        elif not pdf_store.is_current(row, self):
            pdf_store.render_and_store(self)
            row = pdf_store.latest(self.store_key, with_data=True)
        return pdf_store.data_of(row)


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
    """(bytes, pages) of an edition's PDF."""
    from weasyprint import HTML  # heavy: only when rendering

    with translation.override("fr"):
        html = render_to_string(DOCUMENT_TEMPLATE, document_context(pdf))
    pages = []

    def finish(document, output):
        pages.append(len(document.pages))
        output.catalog["PageMode"] = "/UseOutlines"

    data = HTML(string=html, base_url=FONT_DIR.as_uri() + "/", url_fetcher=LocalFonts()).write_pdf(
        pdf_variant="pdf/ua-1", pdf_identifier=pdf.etag.encode(), finisher=finish
    )
    return data, pages[0]
