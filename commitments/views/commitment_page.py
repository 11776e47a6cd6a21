"""/engagements/<objectif|action>/<id>/: one tracked commitment with its timeline of updates.

Queries: the commitment with its tree, its partners, axes and updates (and an objective's
actions), and the glossary: a constant number whatever its history's length.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from commitments.models import TRACKED_MODELS, Action, OperationalObjective, ProgressUpdate
from commitments.rendering.glossary_markup import Glossary
from commitments.reporting.rollups import Rollup, stale_cutoff

MODELS = {model.kind: model for model in TRACKED_MODELS}
SAFE_LINK_SCHEMES = ("http://", "https://")


def _commitment_queryset(model):
    updates = Prefetch("updates", queryset=ProgressUpdate.objects.latest_first())
    queryset = model.objects.with_tree().prefetch_related("partners", "axes", updates)
    if model is OperationalObjective:
        actions = Action.objects.select_related("lead").order_by("position")
        queryset = queryset.prefetch_related(Prefetch("actions", queryset=actions))
    return queryset


def _breadcrumbs(commitment):
    section = commitment.section
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


def commitment_detail(request, kind, pk):
    model = MODELS.get(kind)
    if model is None:
        raise Http404("Niveau inconnu.")
    commitment = get_object_or_404(_commitment_queryset(model), pk=pk)
    updates = list(commitment.updates.all())
    for update in updates:
        # Only web links become hyperlinks, whatever was stored.
        update.safe_link = update.link if update.link.lower().startswith(SAFE_LINK_SCHEMES) else ""
    actions = list(commitment.actions.all()) if model is OperationalObjective else []
    glossary = Glossary()
    return render(
        request,
        "portal/commitment_detail.html",
        {
            "commitment": commitment,
            "is_action": model is Action,
            "section": commitment.section,
            "territory": commitment.territory,
            "updates": updates,
            "stale": not updates or updates[0].date < stale_cutoff(),
            "actions": actions,
            "actions_rollup": Rollup.of_leaves(actions),
            "text_html": glossary.abbreviate(commitment.text),
            "details_html": glossary.abbreviate(commitment.details) if commitment.details else "",
            "breadcrumbs": _breadcrumbs(commitment),
        },
    )
