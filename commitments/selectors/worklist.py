"""What the tracking space lists: the tracked commitments (the leaves, models/nodes.py) of some
territories, each with the date of its last update, grouped by thematic and strategic
objective in document order; and the latest update of loaded commitments.

Two queries (actions, leaf objectives) whatever the number of commitments; grouping is done in
Python on rows already sorted.
"""

from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery

from commitments.models import TARGET_FIELDS, OperationalObjective, ProgressUpdate, ThematicSection
from commitments.selectors.rollups import leaves, stale_cutoff


def _with_last_update(queryset):
    latest = ProgressUpdate.objects.filter(
        **{TARGET_FIELDS[queryset.model]: OuterRef("pk")}
    ).latest_first()
    return queryset.annotate(last_update=Subquery(latest.values("date")[:1]))


def _stale(queryset, cutoff):
    return queryset.filter(Q(last_update__isnull=True) | Q(last_update__lt=cutoff))


def count_stale(territories):
    """How many tracked commitments of `territories` have no update for 12 months (or none at
    all): what is left to update. Two COUNT queries."""
    cutoff = stale_cutoff()
    return sum(
        _stale(_with_last_update(queryset.for_territories(territories)), cutoff).count()
        for queryset in leaves()
    )


def tracked_commitments(territories, thematic=None, status=None, stale=False, without_pilot=False):
    """The leaves of `territories` (a queryset or ids), filtered, in document order; each has
    `last_update` (a date or None) and `is_stale`."""
    cutoff = stale_cutoff()
    rows = []
    for queryset in leaves(thematic=thematic):
        queryset = _with_last_update(queryset.for_territories(territories)).with_tree()
        if status:
            queryset = queryset.filter(status=status)
        if without_pilot:
            queryset = queryset.filter(pilot__isnull=True)
        if stale:
            queryset = _stale(queryset, cutoff)
        rows.extend(queryset.in_document_order())
    for row in rows:
        row.is_stale = row.last_update is None or row.last_update < cutoff
    return sorted(rows, key=_document_key)


def _document_key(node):
    """Document order across the two levels: an objective sorts where its actions would."""
    section = node.section
    objective = node if isinstance(node, OperationalObjective) else node.operational_objective
    return (
        section.protocol.territory.position,
        section.protocol_id,
        section.position,
        objective.strategic_objective.position,
        objective.position,
        node.position if node is not objective else -1,
    )


@dataclass
class Group:
    """The tracked commitments of one strategic objective."""

    strategic_objective: object
    commitments: list = field(default_factory=list)


@dataclass
class ThematicGroup:
    section: ThematicSection
    groups: list = field(default_factory=list)


def grouped(commitments):
    """[ThematicGroup] → [Group] → commitments, in the order given."""
    sections: list[ThematicGroup] = []
    for node in commitments:
        objective = node if isinstance(node, OperationalObjective) else node.operational_objective
        so = objective.strategic_objective
        if not sections or sections[-1].section.pk != node.section.pk:
            sections.append(ThematicGroup(node.section))
        groups = sections[-1].groups
        if not groups or groups[-1].strategic_objective.pk != so.pk:
            groups.append(Group(so))
        groups[-1].commitments.append(node)
    return sections


def latest_updates(nodes):
    """{(kind, pk): its latest update, with its author} for loaded commitments (actions and
    operational objectives mixed): one query, whatever their number and their history."""
    conditions = []
    for model, target in TARGET_FIELDS.items():
        ids = [node.pk for node in nodes if isinstance(node, model)]
        if ids:
            latest = ProgressUpdate.objects.filter(**{target: OuterRef(target)}).latest_first()
            conditions.append(Q(**{f"{target}__in": ids}, pk=Subquery(latest.values("pk")[:1])))
    if not conditions:
        return {}
    updates = ProgressUpdate.objects.filter(Q(*conditions, _connector=Q.OR))
    result = {}
    for update in updates.select_related("author"):
        for model, target in TARGET_FIELDS.items():
            if getattr(update, f"{target}_id") is not None:
                result[(model.kind, getattr(update, f"{target}_id"))] = update
    return result
