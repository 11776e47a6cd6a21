"""The protocols as PDF documents: rendered by WeasyPrint from templates/pdf/, in background
jobs, kept in the database (rendering/pdf_store.py).

A PDF has one version per state of its protocols: `ProtocolPdf.cache_key` holds the layout digest,
the territory slug, the "suivi" flag and `Protocol.last_changed_at` (bumped by
services/content_changes.record_change, which every write calls, on any change in the tree, the
glossary or the territory). Any change queues a job (commitments/tasks.py `refresh_pdfs`,
queue "pdf") that renders every PDF whose stored render is not the current version; seeding
and `manage.py queue_pdf_renders` (after a deployment) queue every PDF of `every_protocol_pdf`
whose stored render is missing or stale, so that no visitor waits for a first render;
meanwhile the views serve the last complete render, with its own version date
(commitments/views/pdf_downloads.py). `ProtocolPdf` is a pdf_store
"document" (`store_key`, `version_at`, `render()`, `current_version()`).

What the stored render of each PDF is (its version, size, page count and version date:
`RenderedFacts`) is also kept in the cache under a key per PDF (territory or all, with or
without tracking) that outlives versions, so that the pages that link the PDF say its size
without any SQL query (RGAA 13.3): exact when the facts are those of the current version, with
« environ » and « version du … » when they are an earlier one's. Whoever stores a render writes
them (a worker: shared with the web processes through Redis in production), and a web process
writes them again each time it serves a stored render (in development each process has its own
cache: there the links catch up with a render when the PDF is next downloaded).

The output is a tagged PDF/UA-1 document (title, language, bookmarks following the headings)
that embeds the DejaVu fonts shipped under static/fonts/dejavu/, so it does not depend on the
fonts installed on the machine.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache as memoize
from functools import cached_property
from importlib.metadata import version as package_version
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from commitments.enums import Status
from commitments.models import Protocol
from commitments.rendering import charts, fonts, pdf_store
from commitments.rendering.glossary_markup import Glossary
from commitments.rendering.template_sources import template_files
from commitments.selectors.edition_text import editions_in_force
from commitments.selectors.protocol_tree import iter_commitments, protocol_tree_queryset
from commitments.selectors.rollups import Rollup
from perer.lib.text import alphanumeric_key
from territories.models import Territory

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts" / "dejavu"
# The root template of a protocol's (or an edition's) PDF.
DOCUMENT_TEMPLATE = "pdf/document.html"
# How long the facts of a stored render stay in the cache (written again at each download).
CACHE_TIMEOUT = 30 * 24 * 3600
ALL_SLUG = "protocoles"
# The @font-face family of templates/pdf/protocol.css.
PDF_FONT = "PERER DejaVu Sans"
# Fontconfig finds the shipped fonts only (fonts.py): set before WeasyPrint is first imported.
fonts.use_project_fonts()


def files_digest(files, *, packages=()):
    """A digest of `files` (their contents and their paths under the project, the same on every
    server) and of the installed versions of `packages`."""
    digest = hashlib.sha256()
    for package in packages:
        digest.update(f"{package}=={package_version(package)}".encode())
    root = Path(settings.BASE_DIR)
    for path in files:
        name = path.relative_to(root) if path.is_relative_to(root) else path.name
        digest.update(str(name).encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@memoize
def layout_version():
    """A digest of what shapes a PDF: the templates its render loads (found from
    pdf/document.html: rendering/template_sources.py), the tag modules they load with their
    project imports, the stylesheet (an included template), this module, the charts, the fonts
    and their configuration, and the versions of WeasyPrint and Django, so that a deployment
    changing any of them invalidates the cache shared by the app servers (which all compute the
    same digest). No render: the templates are compiled (once per process, shared with the
    renders)."""
    # The installed versions, without importing WeasyPrint (over a second): the pages that
    # link the PDFs compute this digest too.
    sources = [
        *template_files(DOCUMENT_TEMPLATE),
        Path(__file__),
        Path(charts.__file__),
        Path(fonts.__file__),
        fonts.CONFIG_FILE,
        *sorted(FONT_DIR.glob("*.ttf")),
    ]
    return files_digest(sources, packages=("weasyprint", "django"))


@dataclass(frozen=True)
class RenderedFacts:
    """What the stored render of a PDF is: the version it was (`cache_key`), its size in
    bytes, its number of pages and the date of its version (None: unknown)."""

    cache_key: str
    size: int
    pages: int
    version_at: datetime | None = None


@dataclass(frozen=True)
class ProtocolPdf:
    """One downloadable PDF: the current protocol of `territory`, or every territory's protocol
    (agglomeration first) when `territory` is None.

    Building it costs one or two cheap queries (ids and change dates), enough to answer a
    conditional request or to find the rendered bytes in the cache.
    """

    territory: Territory | None
    suivi: bool
    # (protocol id, last_changed_at) of the protocols it shows, in document order.
    versions: tuple[tuple[int, datetime], ...]
    # Territories shown (single PDF: the one, even without a protocol).
    territories: tuple[Territory, ...]

    @classmethod
    def for_territory(cls, territory, *, suivi=False):
        versions = tuple(
            Protocol.objects.in_force()
            .for_territory(territory)
            .values_list("pk", "last_changed_at")[:1]
        )
        return cls(territory, suivi, versions, (territory,))

    @classmethod
    def for_loaded(cls, territory, protocol, *, suivi=False):
        """The PDF of `territory` whose protocol in force (`protocol`, or None) is loaded
        already: no query."""
        versions = ((protocol.pk, protocol.last_changed_at),) if protocol else ()
        return cls(territory, suivi, versions, (territory,))

    @classmethod
    def for_all_loaded(cls, territories, protocols, *, suivi=False):
        """The combined PDF from the territories in display order and their protocols in force
        ({territory id: protocol}) loaded already: no query."""
        versions = tuple(
            (protocols[t.pk].pk, protocols[t.pk].last_changed_at)
            for t in territories
            if t.pk in protocols
        )
        return cls(None, suivi, versions, tuple(territories))

    @classmethod
    def for_all(cls, *, suivi=False):
        territories = tuple(Territory.objects.in_display_order())
        rows = Protocol.objects.in_force().values_list("territory_id", "pk", "last_changed_at")
        current = {territory_id: (pk, changed) for territory_id, pk, changed in rows}
        versions = tuple(current[t.pk] for t in territories if t.pk in current)
        return cls(None, suivi, versions, territories)

    @property
    def slug(self):
        return self.territory.slug if self.territory else ALL_SLUG

    @property
    def name_stem(self):
        """« perer-grigny », « perer-grigny-avec-suivi »: the two variants have distinct file
        names."""
        return f"perer-{self.slug}-avec-suivi" if self.suivi else f"perer-{self.slug}"

    @property
    def filename(self):
        return f"{self.name_stem}.pdf"

    @property
    def last_modified(self):
        return max((changed for _, changed in self.versions), default=None)

    @property
    def cache_key(self):
        stamp = "+".join(f"{pk}@{changed.isoformat()}" for pk, changed in self.versions)
        # Names cover a territory without protocol, whose changes touch no protocol.
        names = "|".join(t.name for t in self.territories)
        digest = hashlib.sha256(f"{stamp}#{names}".encode()).hexdigest()[:16]
        last = self.last_modified.isoformat() if self.last_modified else "vide"
        return f"pdf:{layout_version()}:{self.slug}:suivi={int(self.suivi)}:{last}:{digest}"

    @property
    def facts_key(self):
        return facts_key(self.slug, self.suivi)

    def rendered_facts(self):
        """The facts of the last render of this PDF (this version or an earlier one), or None:
        one cache read, never a render. Kept as a plain tuple: what an older deployment
        wrote never fails to load."""
        value = cache.get(self.facts_key)
        if not (isinstance(value, tuple) and len(value) in (3, 4)):
            return None
        if len(value) == 4:
            value = (*value[:3], datetime.fromisoformat(value[3]) if value[3] else None)
        return RenderedFacts(*value)

    @property
    def etag(self):
        return hashlib.sha256(self.cache_key.encode()).hexdigest()[:32]

    # --- As a pdf_store document ------------------------------------------------------

    @property
    def store_key(self):
        return f"protocole:{self.slug}:suivi={int(self.suivi)}"

    @property
    def version_at(self):
        return self.last_modified

    def dated_filename(self, moment):
        """The file name of an earlier version of this PDF, dated: « perer-lisses-version-du-
        2026-11-29.pdf »."""
        if moment is None:
            return self.filename
        day = timezone.localtime(moment).date().isoformat()
        return f"{self.name_stem}-version-du-{day}.pdf"

    def current(self):
        """This PDF as the database holds it now (one or two queries)."""
        if self.territory is None:
            return ProtocolPdf.for_all(suivi=self.suivi)
        return ProtocolPdf.for_territory(self.territory, suivi=self.suivi)

    def current_version(self):
        return self.current().cache_key

    def render(self):
        """(bytes, pages) of a fresh render."""
        return render_pdf_pages(self)

    def stored(self, version, version_at, size, pages):
        """Called by pdf_store when a render of this PDF is stored (or served): its facts, for
        the links."""
        moment = version_at.isoformat() if version_at else ""
        cache.set(self.facts_key, (version, size, pages, moment), CACHE_TIMEOUT)

    def content(self):
        """The PDF bytes of this version: its stored render when it is this version, else a
        render made now and stored (benchmarks and tools; the views serve the stored render,
        whatever its version, and leave renders to the jobs)."""
        row = pdf_store.latest(self.store_key, with_data=True)
        if pdf_store.is_current(row, self):
            return pdf_store.data_of(row)
        data, pages = self.render()
        pdf_store.store(self, data, pages)
        return data


def every_protocol_pdf():
    """Every protocol PDF the site links: each territory's (display order) and the combined
    one, without then with tracking. Two queries."""
    territories = list(Territory.objects.in_display_order())
    protocols = {p.territory_id: p for p in Protocol.objects.in_force()}
    documents = []
    for suivi in (False, True):
        documents += [
            ProtocolPdf.for_loaded(t, protocols.get(t.pk), suivi=suivi) for t in territories
        ]
        documents.append(ProtocolPdf.for_all_loaded(territories, protocols, suivi=suivi))
    return documents


STORE_KEY = re.compile(r"protocole:(?P<slug>[-\w]+):suivi=(?P<suivi>[01])")


def pdf_for_store_key(key):
    """The current ProtocolPdf stored under `key` (« protocole:<slug>:suivi=0 »), or None when
    the key is not one or its territory is gone (one to three queries)."""
    found = STORE_KEY.fullmatch(key)
    if found is None:
        return None
    suivi = found["suivi"] == "1"
    if found["slug"] == ALL_SLUG:
        return ProtocolPdf.for_all(suivi=suivi)
    territory = Territory.objects.filter(slug=found["slug"]).first()
    return ProtocolPdf.for_territory(territory, suivi=suivi) if territory else None


def facts_key(slug, suivi):
    """Where the facts of the last render of a PDF (`slug`: a territory's, or ALL_SLUG) are
    kept, whatever its version."""
    return f"pdf-rendu:{slug}:suivi={int(suivi)}"


def facts_stamp(slug):
    """The facts of the last renders of a PDF, with and without tracking, as a string that
    changes when either is rendered again: part of the cache key of the pages that link it
    (one cache read, no SQL query)."""
    found = cache.get_many([facts_key(slug, False), facts_key(slug, True)])
    return "|".join(str(found.get(facts_key(slug, suivi), "-")) for suivi in (False, True))


def render_pdf(pdf):
    """Render `pdf` (a ProtocolPdf) to bytes. Slow (about a second per protocol)."""
    return render_pdf_pages(pdf)[0]


def render_pdf_pages(pdf):
    """(bytes, number of pages) of a fresh render of `pdf`."""
    from weasyprint import HTML  # heavy: only when rendering

    with translation.override("fr"):
        html = render_to_string(DOCUMENT_TEMPLATE, document_context(pdf))
    pages = []

    def finish(document, output):
        pages.append(len(document.pages))
        _open_with_bookmarks(document, output)

    data = HTML(string=html, base_url=FONT_DIR.as_uri() + "/", url_fetcher=LocalFonts()).write_pdf(
        pdf_variant="pdf/ua-1",
        # Reproducible output: the same protocol state gives the same bytes on every server.
        pdf_identifier=pdf.etag.encode(),
        finisher=finish,
    )
    return data, pages[0]


def _open_with_bookmarks(document, pdf):
    """Viewers open the bookmarks panel: the protocol's outline is its navigation."""
    pdf.catalog["PageMode"] = "/UseOutlines"


def document_context(pdf):
    protocol_ids = [pk for pk, _ in pdf.versions]
    loaded = protocol_tree_queryset().in_bulk(protocol_ids)
    by_territory = {p.territory_id: p for p in loaded.values()}
    parts = [
        ProtocolPart(territory, by_territory.get(territory.pk), pdf.suivi)
        for territory in pdf.territories
    ]
    if pdf.territory is None:
        # The combined document shows the territories that have a protocol.
        parts = [part for part in parts if part.protocol is not None]
    # The edition in force on each cover, and the changes not yet published in an annex.
    in_force = editions_in_force([part.protocol for part in parts if part.protocol])
    for part in parts:
        part.in_force = in_force.get(part.protocol.pk) if part.protocol else None
    # The appendix lists the acronyms used; the text itself carries no <abbr> markup.
    glossary_terms = Glossary().terms_in(text for part in parts for text in part.texts())
    single = parts[0] if pdf.territory is not None else None
    if single:
        title = single.title
        if alphanumeric_key(single.territory.name) not in alphanumeric_key(title):
            title = f"{title} — {single.territory.name}"
    else:
        title = "Protocoles d'Engagements Renforcés et Réciproques — Grand Paris Sud"
    return {
        "title": title,
        "single": single,
        "parts": parts,
        "glossary_terms": glossary_terms,
        "glossary": None,  # the shared page fragments: no <abbr> in the PDF
        "suivi": pdf.suivi,
        "version_date": french_date(pdf.last_modified),
        "modified": pdf.last_modified,
    }


class ProtocolPart:
    """One territory's protocol (loaded tree, or None) as the templates show it."""

    def __init__(self, territory, protocol, suivi):
        self.territory = territory
        self.protocol = protocol
        self.suivi = suivi

    @property
    def title(self):
        if self.protocol is None:
            return "Protocole d'Engagements Renforcés et Réciproques"
        return self.protocol.title

    @property
    def version_date(self):
        return french_date(self.protocol.last_changed_at if self.protocol else None)

    @cached_property
    def sections(self):
        return list(self.protocol.sections.all()) if self.protocol else []

    def commitments(self):
        return list(iter_commitments(self.protocol)) if self.protocol else []

    def texts(self):
        """Every text of the protocol, for the glossary."""
        if self.protocol is None:
            return
        protocol = self.protocol
        yield from (protocol.title, protocol.preamble, protocol.preconditions_heading)
        yield protocol.preconditions
        for section in self.sections:
            yield from (section.heading, section.subtitle, section.objective, section.intro)
            yield from (section.priorities_heading, section.priorities)
        for _, node, _ in self.commitments():
            yield from (node.text, node.details, getattr(node, "subheading", ""))
            yield getattr(node, "operational_heading", "")

    @cached_property
    def tracking(self):
        """Status counts and average progress of the tracked commitments per thematic and in
        total (the same roll-up as the site's); None unless suivi."""
        if not self.suivi or self.protocol is None:
            return None
        rows = [
            (section.heading, Rollup.of_tree(section.strategic_objectives.all()))
            for section in self.sections
        ]
        total = Rollup.sum(rollup for _, rollup in rows)
        return {
            "rows": rows,
            "total": total,
            "statuses": [status.label for status in Status.in_display_order()],
            "chart": status_chart_svg(self.territory, total),
        }


def status_chart_svg(territory, total):
    """The site's SVG status chart (commitments/charts.py), drawn with the shipped font: the
    chart names web fonts that the PDF must not look for on the machine."""
    svg = charts.status_chart_svg(
        total.counts,
        title=f"Engagements par statut — {territory.name}",
        chart_id=f"graphique-statuts-{territory.slug}",
    )
    return mark_safe(svg.replace(charts.FONT, f'font-family="{PDF_FONT}"'))  # noqa: S308


def french_date(moment):
    """« 1er mars 2024 », « 25 novembre 2025 » in the Paris time zone."""
    if moment is None:
        return ""
    day = timezone.localtime(moment).date()
    with translation.override("fr"):
        text = date_format(day, "j F Y")
    return "1er" + text[1:] if day.day == 1 else text


class LocalFonts:
    """URL fetcher that only reads the shipped fonts: a PDF never fetches anything from the
    network nor reads other files, whatever the HTML holds."""

    def __init__(self):
        from weasyprint import URLFetcher

        self.fetcher = URLFetcher(allowed_protocols={"file"})
        self.root = FONT_DIR.resolve()

    def __call__(self, url):
        return self.fetch(url)

    def fetch(self, url, headers=None):
        from urllib.parse import urlsplit
        from urllib.request import url2pathname

        parts = urlsplit(url)
        path = Path(url2pathname(parts.path)).resolve() if parts.scheme == "file" else None
        if path is None or not path.is_relative_to(self.root):
            raise ValueError(f"Ressource refusée dans un PDF : {url}")
        return self.fetcher.fetch(url, headers)
