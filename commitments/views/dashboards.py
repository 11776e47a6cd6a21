"""/tableau-de-bord/ and /tableau-de-bord/<slug>/: the tracking dashboards, whole
agglomeration or one territory (figures from selectors/dashboard_data.py; page cache version
included: 9 queries for the agglomeration, 10 for a territory, two more on the first view after
an edit (the thematics and territories, then cached), one more when a campaign is
closed; charts drawn by rendering/charts.py)."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from commitments.rendering import charts
from commitments.selectors.dashboard_data import (
    build_dashboard,
    level_lists,
    protocol_groups,
    reference_groups,
)
from perer.lib.versioned_cache import cached_under
from territories.models import Territory

REFERENCE_TIMEOUT = 24 * 3600


def _reference(request):
    """The thematics and territories, cached under the content version the page cache read
    (views/page_cache.py), which every change of them changes; loaded when there is none."""
    version = getattr(request, "content_version", None)
    return cached_under(version, "dashboard-reference", reference_groups, REFERENCE_TIMEOUT)


def _dashboard_context(dashboard, prefix):
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
        "without_lead_lists": level_lists(
            dashboard.without_lead, dashboard.overall.without_lead, dashboard.list_limit
        ),
        "stale_lists": level_lists(dashboard.stale, dashboard.overall.stale, dashboard.list_limit),
        "show_territory": dashboard.territory is None,
        "today": timezone.localdate(),
    }


def dashboard(request):
    context = _dashboard_context(build_dashboard(reference=_reference(request)), "agglo")
    context["breadcrumbs"] = [("Accueil", reverse("home")), ("Tableau de bord", None)]
    return render(request, "dashboards/dashboard.html", context)


def territory_dashboard(request, slug):
    # The territory's protocols with the territory in one query; the territory alone only
    # when it has no protocol.
    protocols = list(protocol_groups().filter(territory__slug=slug))
    territory = protocols[0].territory if protocols else get_object_or_404(Territory, slug=slug)
    dashboard = build_dashboard(territory, protocols=protocols, reference=_reference(request))
    context = _dashboard_context(dashboard, territory.slug)
    context["breadcrumbs"] = [
        ("Accueil", reverse("home")),
        ("Tableau de bord", reverse("dashboard")),
        (territory.name, None),
    ]
    return render(request, "dashboards/dashboard.html", context)
