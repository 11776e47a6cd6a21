"""Counts and progress roll-ups of the public pages, computed by the database.

A roll-up averages the progress of the leaves of the tree: the actions, and the operational
objectives that have no action (many protocols stop there). Each function runs a fixed number
of grouped queries whatever the number of commitments.
"""

from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, Protocol, StrategicObjective


def current_protocols():
    """Each territory's protocol in force (the one that started last), as a queryset."""
    latest = Protocol.objects.filter(territory=OuterRef("territory")).latest_first()
    return Protocol.objects.filter(pk=Subquery(latest.values("pk")[:1]))


@dataclass
class Rollup:
    strategic: int = 0
    operational: int = 0
    actions: int = 0
    leaves: int = 0
    leaves_done: int = 0
    progress_sum: int = 0

    @property
    def commitments(self):
        return self.strategic + self.operational + self.actions

    @property
    def progress(self):
        """Average progress of the leaves in percent, or None when there is no leaf."""
        if not self.leaves:
            return None
        return round(self.progress_sum / self.leaves)


# Path from each level to its thematic section.
SECTION_PATHS = {
    StrategicObjective: "section",
    OperationalObjective: "strategic_objective__section",
    Action: "operational_objective__strategic_objective__section",
}


def rollups_by(group, ids):
    """{id: Rollup} for the given protocols (group="protocol") or sections (group="section")."""
    assert group in {"protocol", "section"}
    ids = list(ids)
    result = {pk: Rollup() for pk in ids}
    if not ids:
        return result

    def grouped(model, queryset=None):
        path = SECTION_PATHS[model] + ("__protocol" if group == "protocol" else "")
        queryset = model.objects.all() if queryset is None else queryset
        return queryset.filter(**{path + "__in": ids}).order_by().values(group_id=F(path))

    for row in grouped(StrategicObjective).annotate(n=Count("pk")):
        result[row["group_id"]].strategic = row["n"]
    for row in grouped(OperationalObjective).annotate(n=Count("pk")):
        result[row["group_id"]].operational = row["n"]

    done = Count("pk", filter=Q(status=Status.DONE))
    for row in grouped(OperationalObjective, OperationalObjective.objects.leaves()).annotate(
        n=Count("pk"), done=done, total=Sum("progress")
    ):
        rollup = result[row["group_id"]]
        rollup.leaves += row["n"]
        rollup.leaves_done += row["done"]
        rollup.progress_sum += row["total"] or 0
    for row in grouped(Action).annotate(n=Count("pk"), done=done, total=Sum("progress")):
        rollup = result[row["group_id"]]
        rollup.actions = row["n"]
        rollup.leaves += row["n"]
        rollup.leaves_done += row["done"]
        rollup.progress_sum += row["total"] or 0
    return result


@dataclass
class TerritoryCard:
    territory: object
    protocol: object
    rollup: Rollup


def territory_cards(territories):
    """A card per territory (in the given order) with its protocol in force and its roll-up."""
    protocols = {
        protocol.territory_id: protocol
        for protocol in current_protocols().filter(territory__in=[t.pk for t in territories])
    }
    rollups = rollups_by("protocol", [protocol.pk for protocol in protocols.values()])
    return [
        TerritoryCard(
            territory=territory,
            protocol=protocols.get(territory.pk),
            rollup=rollups[protocols[territory.pk].pk] if territory.pk in protocols else Rollup(),
        )
        for territory in territories
    ]
