"""Public tracking pages: one commitment with its timeline, and the dashboards."""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from commitments import charts, rollups
from commitments.glossary import Glossary
from commitments.models import Action, OperationalObjective, ProgressUpdate
from territories.models import Territory

# The `level` of /engagements/<level>/<pk>/ (the models' get_public_url() reverse these).
LEVELS = {"objectif": OperationalObjective, "action": Action}
SAFE_LINK_SCHEMES = ("http://", "https://")


def _commitment_queryset(model):
    updates = Prefetch("updates", queryset=ProgressUpdate.objects.latest_first())
    queryset = model.objects.with_tree().prefetch_related("partners", "axes", updates)
    if model is OperationalObjective:
        actions = Action.objects.select_related("lead").order_by("position")
        queryset = queryset.with_progress().prefetch_related(Prefetch("actions", queryset=actions))
    return queryset


def _breadcrumbs(commitment):
    section = commitment.section_for_url()
    territory = section.protocol.territory
    crumbs = [
        ("Accueil", reverse("home")),
        ("Territoires", reverse("territory_list")),
        (territory.name, territory.get_absolute_url()),
        (section.heading, section.get_absolute_url()),
    ]
    if isinstance(commitment, Action):
        objective = commitment.operational_objective
        crumbs.append(
            (str(objective.strategic_objective), objective.strategic_objective.get_absolute_url())
        )
        crumbs.append((str(objective), objective.get_public_url()))
    else:
        crumbs.append(
            (str(commitment.strategic_objective), commitment.strategic_objective.get_absolute_url())
        )
    return [*crumbs, (str(commitment), None)]


def commitment_detail(request, level, pk):
    model = LEVELS.get(level)
    if model is None:
        raise Http404("Niveau inconnu.")
    commitment = get_object_or_404(_commitment_queryset(model), pk=pk)
    updates = list(commitment.updates.all())
    for update in updates:
        # Only web links become hyperlinks, whatever was stored.
        update.safe_link = update.link if update.link.lower().startswith(SAFE_LINK_SCHEMES) else ""
    section = commitment.section_for_url()
    cutoff = rollups.stale_cutoff()
    glossary = Glossary()
    return render(
        request,
        "tracking/commitment_detail.html",
        {
            "commitment": commitment,
            "is_action": model is Action,
            "section": section,
            "territory": section.protocol.territory,
            "updates": updates,
            "stale": not updates or updates[0].date < cutoff,
            "actions": list(commitment.actions.all()) if model is OperationalObjective else [],
            "text_html": glossary.abbreviate(commitment.text),
            "details_html": glossary.abbreviate(commitment.details) if commitment.details else "",
            "breadcrumbs": _breadcrumbs(commitment),
        },
    )


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
        "today": timezone.localdate(),
    }


def dashboard(request):
    context = _dashboard_context(rollups.build_dashboard(), "agglo")
    context["breadcrumbs"] = [("Accueil", reverse("home")), ("Tableau de bord", None)]
    return render(request, "tracking/dashboard.html", context)


def territory_dashboard(request, slug):
    territory = get_object_or_404(Territory, slug=slug)
    context = _dashboard_context(rollups.build_dashboard(territory), territory.slug)
    context["breadcrumbs"] = [
        ("Accueil", reverse("home")),
        ("Tableau de bord", reverse("dashboard")),
        (territory.name, None),
    ]
    return render(request, "tracking/territory_dashboard.html", context)
