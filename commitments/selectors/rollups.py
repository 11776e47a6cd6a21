"""Roll-ups of the tracked commitments: one `Rollup` type, built from grouped SQL rows
(`rollups_by`) or from a tree already loaded in memory (`Rollup.of_tree`).

The commitments counted are the leaves of the tree (models/nodes.py: the actions, and the
operational objectives without actions). A strategic objective without any operational
objective has no leaf: it shows as an empty row, never as invented figures.

`rollups_by` is one query, the GROUP BY with conditional counts of the actions and of the leaf
objectives in a UNION ALL, plus one with `structure=True` (strategic and operational objectives
counted, in a UNION ALL too), whatever the number of commitments; Python only merges one row per
group and level.
"""

import calendar
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Sum, Value
from django.utils import timezone

from commitments.enums import Status
from commitments.models import (
    TARGET_FIELDS,
    Action,
    OperationalObjective,
    ProgressUpdate,
    Protocol,
    StrategicObjective,
)

# How long without an update before a commitment is flagged on the dashboards.
STALE_AFTER_MONTHS = 12


def days_in_month(year, month):
    return calendar.monthrange(year, month)[1]


def stale_cutoff(today=None):
    """The date 12 months before `today`: a commitment without update since is stale."""
    today = today or timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - STALE_AFTER_MONTHS, 12)
    month += 1
    return datetime.date(year, month, min(today.day, days_in_month(year, month)))


class StatusCount:
    """A roll-up's count of one status, as an attribute (`rollup.done`) for the templates."""

    def __init__(self, status):
        self.status = status

    def __get__(self, rollup, owner=None):
        return self if rollup is None else rollup.counts[self.status]


@dataclass
class Rollup:
    """Figures for one group of commitments.

    `total` counts the leaves; `counts` them per status. `stale` (no update for 12 months) is
    computed by the SQL roll-ups only; `strategic`, `operational` and `actions` count the
    structure when asked (`structure=True`, or a loaded tree).
    """

    total: int = 0
    counts: dict = field(default_factory=lambda: dict.fromkeys(Status.values, 0))
    progress_sum: int = 0
    without_pilot: int = 0
    stale: int = 0
    strategic: int = 0
    operational: int = 0
    actions: int = 0

    def __add__(self, other):
        return Rollup(
            total=self.total + other.total,
            counts={s: self.counts[s] + other.counts[s] for s in Status.values},
            progress_sum=self.progress_sum + other.progress_sum,
            without_pilot=self.without_pilot + other.without_pilot,
            stale=self.stale + other.stale,
            strategic=self.strategic + other.strategic,
            operational=self.operational + other.operational,
            actions=self.actions + other.actions,
        )

    @classmethod
    def sum(cls, rollups):
        result = cls()
        for rollup in rollups:
            result = result + rollup
        return result

    @classmethod
    def of_leaves(cls, leaves):
        """From loaded commitments (no query)."""
        rollup = cls()
        for leaf in leaves:
            rollup.total += 1
            rollup.counts[leaf.status] += 1
            rollup.progress_sum += leaf.progress
            rollup.without_pilot += leaf.pilot_id is None
        return rollup

    @classmethod
    def of_tree(cls, strategic_objectives):
        """From strategic objectives loaded with their objectives and actions (no query)."""
        operational = [oo for so in strategic_objectives for oo in so.operational_objectives.all()]
        rollup = cls.of_leaves(leaf for oo in operational for leaf in oo.leaves())
        rollup.strategic = len(strategic_objectives)
        rollup.operational = len(operational)
        rollup.actions = sum(len(oo.actions.all()) for oo in operational)
        return rollup

    done = StatusCount(Status.DONE)
    in_progress = StatusCount(Status.IN_PROGRESS)
    planned = StatusCount(Status.PLANNED)
    abandoned = StatusCount(Status.ABANDONED)
    not_reported = StatusCount(Status.NOT_REPORTED)

    @property
    def counts_in_display_order(self):
        return [self.counts[status] for status in Status.in_display_order()]

    @property
    def share_done(self):
        """Percentage of the leaves that are done; None when there is no leaf."""
        return 100 * self.done / self.total if self.total else None

    @property
    def avg_progress(self):
        """Average progress of the leaves in percent; None when there is no leaf."""
        return self.progress_sum / self.total if self.total else None


def leaves(territory=None, thematic=None):
    """(actions, leaf operational objectives), optionally for one territory and/or thematic."""
    querysets = [Action.objects.leaves(), OperationalObjective.objects.leaves()]
    if territory is not None:
        querysets = [queryset.for_territory(territory) for queryset in querysets]
    if thematic is not None:
        querysets = [queryset.for_thematic(thematic) for queryset in querysets]
    return tuple(querysets)


def _group_path(model, dimension):
    """The lookup from `model` to a dimension: a tree level, or the strategic objective."""
    if dimension == "strategic_objective":
        return model.tree.ancestors[0] if model is not StrategicObjective else "pk"
    return getattr(model.tree, dimension)


def _figures(model, cutoff):
    recent = ProgressUpdate.objects.filter(
        date__gte=cutoff, **{TARGET_FIELDS[model]: OuterRef("pk")}
    )
    return {
        "total": Count("pk"),
        "progress_sum": Sum("progress"),
        "without_pilot": Count("pk", filter=Q(pilot__isnull=True)),
        "stale": Count("pk", filter=~Q(Exists(recent))),
        **{f"n_{status}": Count("pk", filter=Q(status=status)) for status in Status.values},
    }


def _grouped(queryset, names):
    keys = {f"_key{i}": F(_group_path(queryset.model, name)) for i, name in enumerate(names)}
    return keys, queryset.order_by().annotate(**keys).values(*keys)


def _union(parts):
    first, *others = parts
    return first.union(*others, all=True) if others else first


def rollups_by(dimensions, territory=None, thematic=None, today=None, structure=False):
    """{group key: Rollup} grouped by one dimension name or a tuple of them: "territory",
    "protocol", "section", "thematic", "strategic_objective".

    Keys are primary keys (tuples of them for several dimensions). Groups without any leaf are
    absent: `rollup_rows()` fills them in. One query (the two levels of leaves grouped, in a
    UNION ALL); `structure=True` adds one (strategic and operational objectives counted).
    """
    names = (dimensions,) if isinstance(dimensions, str) else tuple(dimensions)
    cutoff = stale_cutoff(today)
    result: dict[Any, Rollup] = {}  # keyed by a dimension's value, or a tuple of them

    def merge(row, keys, **figures):
        key = tuple(row[k] for k in keys)
        key = key[0] if len(names) == 1 else key
        result[key] = result.get(key, Rollup()) + Rollup(**figures)

    parts = []
    for queryset in leaves(territory, thematic):
        keys, rows = _grouped(queryset, names)
        is_action = Value(int(queryset.model is Action), output_field=IntegerField())
        parts.append(rows.annotate(**_figures(queryset.model, cutoff), is_action=is_action))
    for row in _union(parts):
        merge(
            row,
            keys,
            total=row["total"],
            counts={status: row[f"n_{status}"] for status in Status.values},
            progress_sum=row["progress_sum"] or 0,
            without_pilot=row["without_pilot"],
            stale=row["stale"],
            actions=row["total"] if row["is_action"] else 0,
        )
    if structure:
        parts = []
        for rank, model in enumerate((StrategicObjective, OperationalObjective)):
            queryset = model.objects.all()
            if territory is not None:
                queryset = queryset.for_territory(territory)
            if thematic is not None:
                queryset = queryset.for_thematic(thematic)
            keys, rows = _grouped(queryset, names)
            parts.append(rows.annotate(n=Count("pk"), rank=Value(rank, IntegerField())))
        for row in _union(parts):
            merge(row, keys, **{("strategic", "operational")[row["rank"]]: row["n"]})
    return result


def rollup_rows(dimension, groups, territory=None, thematic=None, today=None):
    """[(group, Rollup)] for every group of `groups`, in its order, empty groups included."""
    figures = rollups_by(dimension, territory, thematic, today)
    return [(group, figures.get(group.pk, Rollup())) for group in groups]


@dataclass
class GridRow:
    group: object
    cells: list  # [(column group, Rollup)], in the columns' order
    total: Rollup


@dataclass
class Grid:
    columns: list
    rows: list  # [GridRow]
    column_totals: list  # [Rollup], in the columns' order
    total: Rollup


def rollup_grid(dimensions, rows, columns, today=None):
    """Roll-ups crossed by two dimensions (`dimensions`: the rows' name, the columns' name),
    a cell for every pair of `rows` and `columns` groups in their order, empty ones included,
    with the totals of each row and column: one query (`rollups_by`)."""
    figures = rollups_by(tuple(dimensions), today=today)
    columns = list(columns)
    grid_rows = []
    for group in rows:
        cells = [(column, figures.get((group.pk, column.pk), Rollup())) for column in columns]
        grid_rows.append(GridRow(group, cells, Rollup.sum(rollup for _, rollup in cells)))
    column_totals = [Rollup.sum(row.cells[i][1] for row in grid_rows) for i in range(len(columns))]
    return Grid(columns, grid_rows, column_totals, Rollup.sum(column_totals))


@dataclass
class TerritoryCard:
    territory: object
    protocol: object
    rollup: Rollup


def territory_cards(territories):
    """A card per territory (in the given order) with its protocol in force and its roll-up:
    three queries whatever the number of territories."""
    protocols = {
        protocol.territory_id: protocol
        for protocol in Protocol.objects.in_force().filter(
            territory__in=[t.pk for t in territories]
        )
    }
    figures = rollups_by("protocol", structure=True)
    return [
        TerritoryCard(
            territory=territory,
            protocol=protocols.get(territory.pk),
            rollup=figures.get(protocols[territory.pk].pk, Rollup())
            if territory.pk in protocols
            else Rollup(),
        )
        for territory in territories
    ]
