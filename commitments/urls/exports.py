"""Flat exports. Both patterns share the name "export_commitments": reverse it with
{"format": "csv"} for every territory, or {"slug": …, "format": …} for one territory.

Included before the portal, so /territoires/<slug>/engagements.csv wins over its patterns.
"""

from django.urls import re_path

from commitments.views.exports import export_commitments

urlpatterns = [
    re_path(
        r"^donnees/engagements\.(?P<format>csv|json)$",
        export_commitments,
        name="export_commitments",
    ),
    re_path(
        r"^territoires/(?P<slug>[-a-z0-9]+)/engagements\.(?P<format>csv|json)$",
        export_commitments,
        name="export_commitments",
    ),
]
