"""What a city lead's answer sheet of a campaign shows (/suivi/campagnes/<id>/, as a lead):
every commitment of the campaign in the lead's territories (the leaves, as
selectors/campaign_completion.py counts them), grouped by thematic section and strategic
objective in document order, each with its version (the stale-form protection), its current
status and progress (the rule of services/progress_rule.py), its latest update (date, comment,
link) and whether it is reported for the campaign (an update dated in the period).

Two queries (actions, leaf objectives) whatever the number of commitments; the filters, the
grouping and the counts are applied in Python on those rows, so that the counts always cover
the whole sheet while the list shows the filtered rows.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from commitments.models import TARGET_FIELDS, OperationalObjective, ProgressUpdate
from commitments.selectors.campaign_completion import Completion, in_period, remaining_message
from commitments.selectors.rollups import leaves


def answer_date(campaign_, today=None):
    """The date of the sheet's answers: today, or the end of the campaign's period once it is
    past (an answer must be dated in the period to count for the campaign)."""
    today = today or timezone.localdate()
    return min(today, campaign_.period_end)


def _latest(model):
    return ProgressUpdate.objects.filter(**{TARGET_FIELDS[model]: OuterRef("pk")}).latest_first()


def _document_key(node):
    section = node.section
    objective = node if isinstance(node, OperationalObjective) else node.operational_objective
    return (
        section.protocol.territory.position,
        section.protocol.territory.name,
        section.protocol_id,
        section.position,
        objective.strategic_objective.position,
        objective.strategic_objective_id,
        objective.position,
        objective.pk,
        node.position if node is not objective else -1,
        node.pk,
    )


def sheet_commitments(campaign_, territory_ids, keys=None):
    """The campaign's commitments of `territory_ids` in document order (two queries), each
    annotated with `campaign_reported`, `last_date`, `last_comment`, `last_link`. `keys`:
    only the commitments named by (kind, pk) pairs."""
    nodes = []
    for queryset in leaves():
        model = queryset.model
        if keys is not None:
            pks = [pk for kind, pk in keys if kind == model.kind]
            if not pks:
                continue
            queryset = queryset.filter(pk__in=pks)
        latest = _latest(model)
        nodes.extend(
            queryset.for_territories(territory_ids)
            .with_tree()
            .annotate(
                campaign_reported=Exists(in_period(campaign_, model)),
                last_date=Subquery(latest.values("date")[:1]),
                last_comment=Subquery(latest.values("comment")[:1]),
                last_link=Subquery(latest.values("link")[:1]),
            )
        )
    nodes.sort(key=_document_key)
    return nodes


@dataclass
class ObjectiveGroup:
    strategic_objective: object
    rows: list = field(default_factory=list)


@dataclass
class SectionGroup:
    section: object
    groups: list = field(default_factory=list)

    @property
    def count(self):
        return sum(len(group.rows) for group in self.groups)


def grouped(rows):
    """[SectionGroup] → [ObjectiveGroup] → rows (each row: (commitment, anything)), in the
    order given."""
    sections: list[Any] = []
    for row in rows:
        node = row[0]
        objective = node if isinstance(node, OperationalObjective) else node.operational_objective
        so = objective.strategic_objective
        if not sections or sections[-1].section.pk != node.section.pk:
            sections.append(SectionGroup(node.section))
        groups = sections[-1].groups
        if not groups or groups[-1].strategic_objective.pk != so.pk:
            groups.append(ObjectiveGroup(so))
        groups[-1].rows.append(row)
    return sections


def completion_of(nodes):
    completion = Completion()
    for node in nodes:
        completion.add(_CountedRow(node.campaign_reported, node.status))
    return completion


@dataclass
class _CountedRow:
    reported: bool
    status: str


def matches(node, *, missing_only=False, thematic=None, status=None):
    """Does `node` pass the sheet's filters?"""
    if missing_only and node.campaign_reported:
        return False
    if thematic is not None and node.section.thematic_id != thematic.pk:
        return False
    return not status or node.status == status


def thematics_of(nodes):
    """The thematics of the sheet's commitments, in their order (the thematic filter's
    choices)."""
    seen: dict[int, Any] = {}
    for node in nodes:
        seen.setdefault(node.section.thematic_id, node.section.thematic)
    return sorted(seen.values(), key=lambda t: (t.position, t.name))


def sheet_message(campaign_, nodes):
    return remaining_message(campaign_, completion_of(nodes))
