"""/engagements/<objectif|action>/<id>/: one tracked commitment with its timeline of updates.

Queries: the commitment with its tree, its partners, axes and updates (and an objective's
actions), the glossary, and its protocol's editions with their snapshots (one query: the
editions in which its text changed, selectors/edition_text.item_history), and the indicators
measuring it with their values (two queries, selectors/indicator_rows.commitment_rows): a
constant number whatever its history's length.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from commitments.models import (
    TRACKED_MODELS,
    Action,
    Edition,
    OperationalObjective,
    ProgressUpdate,
)
from commitments.rendering.glossary_markup import Glossary
from commitments.selectors.edition_diff import field_changes
from commitments.selectors.edition_text import (
    KIND_OF_COMMITMENT,
    edition_name,
    find_item,
    item_history,
)
from commitments.selectors.indicator_rows import commitment_rows
from commitments.selectors.rollups import Rollup, stale_cutoff

MODELS = {model.kind: model for model in TRACKED_MODELS}
SAFE_LINK_SCHEMES = ("http://", "https://")


def _commitment_queryset(model):
    updates = Prefetch("updates", queryset=ProgressUpdate.objects.latest_first())
    queryset = model.objects.with_tree().prefetch_related("partners", "axes", updates)
    if model is OperationalObjective:
        actions = Action.objects.select_related("pilot").order_by("position")
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


def text_history(commitment, kind):
    """The editions in which the commitment's text changed ([(edition, name, what, url)],
    oldest first), and whether its current text differs from the last edition's."""
    item_kind = KIND_OF_COMMITMENT[kind]
    protocol = commitment.section.protocol
    editions = list(Edition.objects.for_protocol(protocol).order_by("number"))
    slug = protocol.territory.slug
    history = [
        (
            edition,
            edition_name(edition),
            what,
            _edition_url(slug, edition, what, item_kind, commitment.pk),
        )
        for edition, what in item_history(editions, item_kind, commitment.pk)
    ]
    changed_since = False
    if editions:
        node, _ = find_item(editions[-1].snapshot, item_kind, commitment.pk)
        current = {
            "text": commitment.text,
            "details": commitment.details,
            "partners": sorted(p.name for p in commitment.partners.all()),
            "axes": sorted(a.name for a in commitment.axes.all()),
        }
        changed_since = node is None or bool(field_changes(node.get("fields", {}), current))
    return history, (editions[-1] if editions and changed_since else None)


def _edition_url(slug, edition, what, item_kind, pk):
    """The edition's text for edition 1, else the change on the comparison with the previous
    edition (its anchor: edition_diff.Change.anchor)."""
    if edition.number == 1:
        return reverse("edition_detail", kwargs={"slug": slug, "number": 1})
    changes = reverse("edition_changes", kwargs={"slug": slug})
    label = "deplace" if what.endswith("déplacé") else what.replace("é", "e")
    return f"{changes}?de={edition.number - 1}&a={edition.number}#{label}-{item_kind}-{pk}"


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
    history, changed_since = text_history(commitment, kind)
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
            "text_history": history,
            "changed_since": changed_since,
            "changed_since_name": edition_name(changed_since) if changed_since else "",
            "indicators": commitment_rows(commitment),
        },
    )
