"""Download the protocols as PDF: thin views over rendering/pdf.py (render once, then cached),
and the links to them that the pages show, with their format and size (RGAA 13.3).

Links never render a PDF: their size comes from the facts of the last render kept in the cache
(no SQL query); exact for the current version, "environ" for an earlier one, only "PDF" before
any render. The pages that show them have the facts in their page-cache version
(`protocol_page_version`, `territory_list_version`), so that a render updates them.
"""

from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from commitments.rendering.pdf import ALL_SLUG, ProtocolPdf, facts_stamp
from commitments.views.page_cache import content_version, territory_version
from territories.models import Territory


@require_safe
def territory_pdf(request, slug):
    territory = get_object_or_404(Territory, slug=slug)
    return pdf_response(
        request, ProtocolPdf.for_territory(territory, suivi=_flag(request, "suivi"))
    )


@require_safe
def all_protocols_pdf(request):
    return pdf_response(request, ProtocolPdf.for_all(suivi=_flag(request, "suivi")))


def pdf_response(request, pdf):
    """The PDF, or 304 when the client holds this version already (decided before rendering,
    from the protocols' change dates only)."""
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
    (« environ » when the last render was of an earlier version). One cache read."""
    facts = pdf.rendered_facts()
    if facts is None:
        return "PDF"
    if facts.cache_key != pdf.cache_key:
        return f"PDF, environ {file_size(facts.size)}"
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
