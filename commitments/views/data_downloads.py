"""Downloads of every commitment, flat (one row per commitment), as CSV or JSON."""

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import condition

from commitments.rendering import flat_export as exports
from perer.lib.http_methods import require_safe
from territories.models import Territory

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
STREAMERS = {"csv": exports.iter_csv, "json": exports.iter_json}


def _territory(slug):
    return get_object_or_404(Territory, slug=slug) if slug else None


def _last_modified(request, format, slug=None):
    return exports.last_changed(_territory(slug))


@require_safe
# Last-Modified and If-Modified-Since: a reuser polling the file downloads it only on change.
@condition(last_modified_func=_last_modified)
def export_commitments(request, format, slug=None):
    territory = _territory(slug)
    rows = exports.iter_rows(
        exports.export_protocols_queryset(territory), base_url=request.build_absolute_uri("/")
    )
    response = StreamingHttpResponse(STREAMERS[format](rows), content_type=CONTENT_TYPES[format])
    filename = f"engagements-perer-{territory.slug if territory else 'tous-territoires'}.{format}"
    disposition = "attachment" if format == "csv" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"  # open data: reusable from any web page
    return response
