"""/tableau-de-bord/ and /tableau-de-bord/<slug>/: the tracking dashboards, whole
agglomeration or one territory (figures from selectors/dashboard_data.py; charts drawn by
rendering/charts.py). The body of each, the same for every visitor, is cached under the content
version, today's date, the last closed campaign and the code version
(rendering/dashboard_bodies.py): a warm dashboard costs the content version (read by the page
cache, or here for a visitor it leaves out), the last closed campaign's stamp and one cache
read — 2 queries, 3 with a territory's own; the first view after an edit or on a new day adds
build_dashboard's, with the thematics and territories (10: tests/commitments/views/
test_page_queries.py)."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from commitments.rendering import charts, dashboard_bodies
from commitments.selectors.campaign_completion import last_closed_campaign_stamp
from commitments.selectors.dashboard_data import (
    build_dashboard,
    level_lists,
    protocol_groups,
    reference_groups,
)
from commitments.views.page_cache import content_version
from perer.lib.versioned_cache import cached_under
from territories.models import Territory

REFERENCE_TIMEOUT = 24 * 3600


def _reference(version):
    """The thematics and territories, cached under the content version, which every change of
    them changes."""
    return cached_under(version, "dashboard-reference", reference_groups, REFERENCE_TIMEOUT)


def _dashboard_context(dashboard, prefix):
    """The context of dashboards/_body.html."""
    return {
        "dashboard": dashboard,
        "status_svg": charts.status_chart_svg(
            dashboard.overall.counts, chart_id=f"{prefix}-statuts"
        ),
        "status_table": charts.status_table_html(dashboard.overall.counts),
        "thematic_svg": charts.status_bars_svg(
            [(thematic, rollup.counts) for thematic, rollup in dashboard.by_thematic],
            title="Statut des engagements par thématique",
            chart_id=f"{prefix}-thematiques",
        ),
        "territory_svg": charts.status_bars_svg(
            [(territory.name, rollup.counts) for territory, rollup in dashboard.by_territory],
            title="Statut des engagements par territoire",
            chart_id=f"{prefix}-territoires",
        )
        if dashboard.by_territory
        else "",
        "progress_svg": charts.progress_over_time_svg(
            dashboard.points, chart_id=f"{prefix}-avancement"
        ),
        "list_limit": dashboard.list_limit,
        # Each list by level (actions, operational objectives), with its count in all.
        "without_pilot_lists": level_lists(
            dashboard.without_pilot, dashboard.overall.without_pilot, dashboard.list_limit
        ),
        "stale_lists": level_lists(dashboard.stale, dashboard.overall.stale, dashboard.list_limit),
        "show_territory": dashboard.territory is None,
    }


def _version(request):
    """The content version the page cache read (views/page_cache.py), or read here for a
    visitor it does not serve (one query)."""
    return getattr(request, "content_version", None) or content_version()


def _page(request, territory, build, breadcrumbs):
    """The dashboard page: its body from the cache (rendering/dashboard_bodies.py) or from
    `build(version, today)` (a Dashboard), in the page's frame."""
    version = _version(request)
    today = timezone.localdate()
    key = dashboard_bodies.body_key(
        territory, version, today, last_closed_campaign_stamp(territory)
    )
    body = dashboard_bodies.cached_body(
        key,
        lambda: _dashboard_context(build(version, today), territory.slug if territory else "agglo"),
    )
    context = {"territory": territory, "body": body, "breadcrumbs": breadcrumbs}
    return render(request, "dashboards/dashboard.html", context)


def dashboard(request):
    def build(version, today):
        return build_dashboard(today=today, reference=_reference(version))

    breadcrumbs = [("Accueil", reverse("home")), ("Tableau de bord", None)]
    return _page(request, None, build, breadcrumbs)


def territory_dashboard(request, slug):
    territory = get_object_or_404(Territory, slug=slug)

    def build(version, today):
        protocols = list(protocol_groups(territory))
        return build_dashboard(
            territory, today=today, protocols=protocols, reference=_reference(version)
        )

    breadcrumbs = [
        ("Accueil", reverse("home")),
        ("Tableau de bord", reverse("dashboard")),
        (territory.name, None),
    ]
    return _page(request, territory, build, breadcrumbs)
