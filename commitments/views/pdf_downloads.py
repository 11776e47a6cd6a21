"""Download the protocols as PDF: thin views over the stored renders (rendering/pdf_store.py),
and the links to them that the pages show, with their format and size (RGAA 13.3).

A download never waits for a render after an edit (`stored_pdf_response`, also used for the
campaigns' reports, views/campaign_pages.py):
(a) the stored render is the current version → served; ETag from its version, Last-Modified
    its version date, 304 for a client that holds it (decided before the bytes are read);
(b) the stored render is an older version → served all the same, with ITS version date
    (Last-Modified, and a dated file name « perer-<slug>-version-du-AAAA-MM-JJ.pdf »), and the
    render of the current version is queued (commitments/tasks.py, deduplicated);
(c) nothing stored at all (a fresh database, the first request ever for that PDF) → rendered
    in this request once, stored, served: a partner following a link expects the document, not
    a « retry later » page; concurrent first requests wait for that one render. After that first
    render, every later version is made by the workers.
Never a half-built file (a stored render is a whole row), never a 500 for a missing render.
Queries: the document's version (one or two), the stored render's versions (one), its bytes
(one; none for a 304) — a download without a conditional header reads both at once.

Links never render a PDF: their size comes from the facts of the stored render kept in the
cache (no SQL query); exact for the current version, « environ … version du <date> » for an
earlier one, only "PDF" before any render. The pages that show them have the facts in their
page-cache version (`protocol_page_version`, `territory_list_version`), so that a render
updates them.
"""

from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag

from commitments import tasks
from commitments.rendering import pdf_store
from commitments.rendering.pdf import ALL_SLUG, ProtocolPdf, facts_stamp, french_date
from commitments.views.page_cache import content_version, territory_version
from perer.lib.http_methods import require_safe
from territories.models import Territory


@require_safe
def territory_pdf(request, slug):
    territory = get_object_or_404(Territory, slug=slug)
    pdf = ProtocolPdf.for_territory(territory, suivi=_flag(request, "suivi"))
    return stored_pdf_response(request, pdf, lambda: tasks.queue_refresh([pdf.store_key]))


@require_safe
def all_protocols_pdf(request):
    pdf = ProtocolPdf.for_all(suivi=_flag(request, "suivi"))
    return stored_pdf_response(request, pdf, lambda: tasks.queue_refresh([pdf.store_key]))


def stored_pdf_response(request, document, queue_render, *, public=True):
    """The stored render of `document` (a pdf_store document), or 304 (see the module
    docstring); `queue_render()` queues the render of its current version. `public=False` for
    a document behind a login (shared caches must not keep it)."""
    conditional = "If-None-Match" in request.headers or "If-Modified-Since" in request.headers
    row = pdf_store.latest(document.store_key, with_data=not conditional)
    if row is None:
        row = pdf_store.first_render(document)
    elif not pdf_store.is_current(row, document):
        queue_render()
    pdf_store.remember(document, row)
    etag = quote_etag(pdf_store.etag_of(row.version))
    # Whole seconds, as HTTP dates are.
    last_modified = int(row.version_at.timestamp()) if row.version_at else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = HttpResponse(pdf_store.data_of(row), content_type="application/pdf")
        current = pdf_store.is_current(row, document)
        filename = document.filename if current else document.dated_filename(row.version_at)
        disposition = "attachment" if _flag(request, "telecharger") else "inline"
        response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["ETag"] = etag
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    # Clients revalidate each time: they get the newer render as soon as it is stored.
    if public:
        patch_cache_control(response, public=True, no_cache=True)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response


def pdf_response(request, pdf):
    """A PDF rendered on demand (an edition's, whose content never changes: views/
    edition_pages.py), or 304 when the client holds this version already (decided before
    rendering)."""
    etag = quote_etag(pdf.etag)
    # Whole seconds, as HTTP dates are.
    last_modified = int(pdf.last_modified.timestamp()) if pdf.last_modified else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = _pdf_file(request, pdf)
    response.headers["ETag"] = etag
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    # Clients revalidate each time: a 304 costs two small queries.
    patch_cache_control(response, public=True, no_cache=True)
    return response


def _pdf_file(request, pdf):
    disposition = "attachment" if _flag(request, "telecharger") else "inline"
    response = HttpResponse(pdf.content(), content_type="application/pdf")
    response.headers["Content-Disposition"] = f'{disposition}; filename="{pdf.filename}"'
    return response


def _flag(request, name):
    return request.GET.get(name, "") in {"1", "oui", "true"}


# --- Links to the PDFs, as the pages show them -------------------------------------------


@dataclass(frozen=True)
class PdfLink:
    label: str  # « Télécharger le protocole »
    url: str
    details: str  # « PDF, 1,2 Mo, 34 pages », shown in brackets after the label


def file_size(size):
    """A size in bytes in French: « 850 octets », « 72 ko », « 1,2 Mo » (SI units)."""
    if size < 1000:
        return f"{size} octets"
    if size < 999_500:
        return f"{round(size / 1000)} ko"
    megabytes = f"{size / 1_000_000:.1f}".removesuffix(".0")
    return f"{megabytes.replace('.', ',')} Mo"


def file_details(pdf):
    """What the link says of the file: its format always, its size and pages once rendered
    (« environ » and the version's date when the stored render is of an earlier version: that
    is the file the link gives until the new one is rendered). One cache read."""
    facts = pdf.rendered_facts()
    if facts is None:
        return "PDF"
    if facts.cache_key != pdf.cache_key:
        if facts.version_at is None:
            return f"PDF, environ {file_size(facts.size)}"
        return f"PDF, environ {file_size(facts.size)}, version du {french_date(facts.version_at)}"
    pages = f"{facts.pages} page{'s' if facts.pages > 1 else ''}"
    return f"PDF, {file_size(facts.size)}, {pages}"


def pdf_links(plain, tracking, url, label):
    """The two links of a PDF (`plain`, `tracking`: its ProtocolPdfs without and with
    tracking, at `url` and `url?suivi=1`)."""
    return [
        PdfLink(label, url, file_details(plain)),
        PdfLink(f"{label} avec le suivi des engagements", f"{url}?suivi=1", file_details(tracking)),
    ]


def territory_pdf_links(territory, protocol):
    """The links of a territory's PDF; `protocol` is its protocol in force, loaded."""
    return pdf_links(
        ProtocolPdf.for_loaded(territory, protocol),
        ProtocolPdf.for_loaded(territory, protocol, suivi=True),
        reverse("territory_pdf", kwargs={"slug": territory.slug}),
        "Télécharger le protocole",
    )


def all_protocols_pdf_links(territories, protocols):
    """The links of the combined PDF: `territories` in display order, `protocols` their
    protocols in force ({territory id: protocol}), loaded."""
    return pdf_links(
        ProtocolPdf.for_all_loaded(territories, protocols),
        ProtocolPdf.for_all_loaded(territories, protocols, suivi=True),
        reverse("all_protocols_pdf"),
        "Télécharger les protocoles de tous les territoires",
    )


def protocol_page_version(request, slug):
    """The page-cache version of /territoires/<slug>/: its protocol's, and its PDF's facts."""
    return f"{territory_version(request, slug)}#{facts_stamp(slug)}"


def territory_list_version(request):
    """The page-cache version of /territoires/: every protocol's, and the combined PDF's facts."""
    return f"{content_version()}#{facts_stamp(ALL_SLUG)}"
