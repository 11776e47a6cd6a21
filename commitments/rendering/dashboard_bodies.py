"""The dashboards' bodies (dashboards/_body.html: every figure, chart and list) cached whole, so
that a dashboard served without the page cache (a visitor with a session, a unique ignored
parameter) renders only its frame (views/dashboards.py).

A body is cached under a key made of:
- the content version (views/page_cache.content_version: the latest `Protocol.last_changed_at`
  and the number of protocols, moved by every write through services/content_changes.record_change);
- today's date (the « sans point d'avancement depuis 12 mois » cut-off and lists depend on it:
  `timezone.localdate()`);
- the last closed campaign the page shows (its pk, closing time and title: closing a campaign
  does not move the content version), or none;
- the territory (its slug; "-" for the agglomeration);
- the code version: a digest of the templates the body's render loads, the tag modules they
  load with their project imports, this module, the selectors that compute the figures and the
  charts, with Django's version (protocol_fragments.render_code_version).
The entries are never stale, never deleted: a new version is a new key (they expire after a
day). They hold nothing personal (the body prints no user, no request, no token), so logged-in
and anonymous visitors get the same body.
"""

import hashlib

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from commitments.rendering import charts
from commitments.rendering.protocol_fragments import render_code_version
from commitments.selectors import campaign_completion, dashboard_data, rollups

BODY_TEMPLATE = "dashboards/_body.html"
TIMEOUT = 24 * 3600


def code_version():
    return render_code_version(
        BODY_TEMPLATE,
        __file__,
        charts.__file__,
        dashboard_data.__file__,
        campaign_completion.__file__,
        rollups.__file__,
    )


def body_key(territory, content_version, today, campaign_stamp):
    """The cache key of a dashboard's body: `territory` (None: the agglomeration's),
    `campaign_stamp` from selectors/campaign_completion.last_closed_campaign_stamp."""
    if campaign_stamp is None:
        campaign = "-"
    else:
        pk, closed_at, title = campaign_stamp
        campaign = f"{pk}/{closed_at.isoformat()}/{title}"
    parts = (
        code_version(),
        territory.slug if territory is not None else "-",
        content_version,
        today.isoformat(),
        campaign,
    )
    return "dashboard-body:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def cached_body(key, build_context):
    """The body cached under `key`, or rendered from `build_context()` and cached (one read,
    one write on a miss)."""
    body = cache.get(key)
    if body is None:
        body = render_to_string(BODY_TEMPLATE, build_context())
        cache.set(key, body, TIMEOUT)
    return mark_safe(body)  # noqa: S308 - rendered by render_to_string from the project's template
