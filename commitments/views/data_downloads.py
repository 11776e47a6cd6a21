"""Downloads of the open data, as CSV or JSON: every commitment, flat (one row per commitment),
and every indicator's values (one row per value, rendering/indicator_export.py)."""

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import condition

from commitments.rendering import flat_export as exports
from commitments.rendering import indicator_export
from perer.lib.http_methods import require_safe
from territories.models import Territory

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
STREAMERS = {"csv": exports.iter_csv, "json": exports.iter_json}


def _open_data(streamed, format, filename):
    response = StreamingHttpResponse(streamed, content_type=CONTENT_TYPES[format])
    disposition = "attachment" if format == "csv" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"  # open data: reusable from any web page
    return response


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
    filename = f"engagements-perer-{territory.slug if territory else 'tous-territoires'}.{format}"
    return _open_data(STREAMERS[format](rows), format, filename)


def _indicators_last_modified(request, format):
    # Every write of an indicator, a definition or a value records a change of the protocol
    # whose commitment it measures (services/indicator_writes.py).
    return exports.last_changed()


@require_safe
@condition(last_modified_func=_indicators_last_modified)
def export_indicators(request, format):
    rows = indicator_export.iter_rows(
        indicator_export.export_indicators_queryset(), base_url=request.build_absolute_uri("/")
    )
    if format == "csv":
        streamed = exports.iter_csv(rows, indicator_export.COLUMNS)
    else:
        streamed = exports.iter_json(rows)
    return _open_data(streamed, format, f"indicateurs-perer.{format}")
