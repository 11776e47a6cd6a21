"""Download the protocols as PDF: thin views over rendering/pdf.py (render once, then cached)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from commitments.rendering.pdf import ProtocolPdf
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
