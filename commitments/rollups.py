"""Roll-ups of the tracked commitments, computed by the database.

The commitments counted are the leaves of the tree, as in `with_progress()`: every action, and
every operational objective that has no action (its own status stands for the branch). An
operational objective with actions is represented by its actions, so nothing is counted twice.
A strategic objective without any operational objective has no leaf: it shows as an empty row,
never as invented figures.

Each roll-up is a handful of GROUP BY queries with conditional counts, whatever the number of
commitments; Python only merges one row per group.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum, Window
from django.db.models.functions import Lead
from django.utils import timezone

from commitments.enums import Status
from commitments.models import (
    Action,
    OperationalObjective,
    ProgressUpdate,
    Protocol,
    StrategicObjective,
    Thematic,
    ThematicSection,
)
from territories.models import Territory

# Path from an operational objective to each dimension; actions prefix it with their parent.
DIMENSIONS = {
    "strategic_objective": "strategic_objective",
    "section": "strategic_objective__section",
    "thematic": "strategic_objective__section__thematic",
    "protocol": "strategic_objective__section__protocol",
    "territory": "strategic_objective__section__protocol__territory",
}

# How long without an update before a commitment is flagged on the dashboards.
STALE_AFTER_MONTHS = 12


def _days_in_month(year, month):
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def stale_cutoff(today=None):
    """The date 12 months before `today`: a commitment without update since is stale."""
    today = today or timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - STALE_AFTER_MONTHS, 12)
    month += 1
    return datetime.date(year, month, min(today.day, _days_in_month(year, month)))


# Done first, not reported last and visible: what a partner reads first.
STATUS_DISPLAY = [
    (Status.DONE, Status.DONE.label),
    (Status.IN_PROGRESS, Status.IN_PROGRESS.label),
    (Status.PLANNED, Status.PLANNED.label),
    (Status.ABANDONED, Status.ABANDONED.label),
    (Status.NOT_REPORTED, Status.NOT_REPORTED.label),
]


@dataclass
class Rollup:
    """Figures for one group of leaf commitments."""

    total: int = 0
    counts: dict = field(default_factory=lambda: dict.fromkeys(Status.values, 0))
    progress_sum: int = 0
    without_lead: int = 0
    stale: int = 0

    def __add__(self, other):
        return Rollup(
            total=self.total + other.total,
            counts={s: self.counts[s] + other.counts[s] for s in Status.values},
            progress_sum=self.progress_sum + other.progress_sum,
            without_lead=self.without_lead + other.without_lead,
            stale=self.stale + other.stale,
        )

    @classmethod
    def sum(cls, rollups):
        result = cls()
        for rollup in rollups:
            result = result + rollup
        return result

    @property
    def done(self):
        return self.counts[Status.DONE]

    @property
    def in_progress(self):
        return self.counts[Status.IN_PROGRESS]

    @property
    def planned(self):
        return self.counts[Status.PLANNED]

    @property
    def abandoned(self):
        return self.counts[Status.ABANDONED]

    @property
    def not_reported(self):
        return self.counts[Status.NOT_REPORTED]

    @property
    def share_done(self):
        """Percentage of the leaves that are done; None when there is no leaf."""
        return 100 * self.done / self.total if self.total else None

    @property
    def avg_progress(self):
        return self.progress_sum / self.total if self.total else None

    @property
    def status_counts(self):
        """[(status, label, count)] in the display order of the charts and tables."""
        return [(status, label, self.counts[status]) for status, label in STATUS_DISPLAY]


def leaves(territory=None, thematic=None):
    """(actions, leaf operational objectives), optionally for one territory and/or thematic."""
    actions, objectives = Action.objects.all(), OperationalObjective.objects.leaves()
    if territory is not None:
        actions, objectives = actions.for_territory(territory), objectives.for_territory(territory)
    if thematic is not None:
        actions, objectives = actions.for_thematic(thematic), objectives.for_thematic(thematic)
    return actions, objectives


def _figures(update_field, cutoff):
    recent = ProgressUpdate.objects.filter(date__gte=cutoff, **{update_field: OuterRef("pk")})
    return {
        "total": Count("pk"),
        "progress_sum": Sum("progress"),
        "without_lead": Count("pk", filter=Q(lead__isnull=True)),
        "stale": Count("pk", filter=~Q(Exists(recent))),
        **{f"n_{status}": Count("pk", filter=Q(status=status)) for status in Status.values},
    }


def _rollup_from(row):
    return Rollup(
        total=row["total"],
        counts={status: row[f"n_{status}"] for status in Status.values},
        progress_sum=row["progress_sum"] or 0,
        without_lead=row["without_lead"],
        stale=row["stale"],
    )


def rollups_by(dimensions, territory=None, thematic=None, today=None):
    """{group key: Rollup} grouped by one dimension name or a tuple of them.

    Keys are primary keys (tuples of them for several dimensions). Two queries (actions, leaf
    objectives). Groups without any leaf are absent: `rollup_rows()` fills them in.
    """
    names = (dimensions,) if isinstance(dimensions, str) else tuple(dimensions)
    cutoff = stale_cutoff(today)
    actions, objectives = leaves(territory, thematic)
    result = {}
    for queryset, prefix, update_field in (
        (actions, "operational_objective__", "action"),
        (objectives, "", "operational_objective"),
    ):
        keys = {f"_key{i}": F(prefix + DIMENSIONS[name]) for i, name in enumerate(names)}
        rows = (
            queryset.order_by()
            .annotate(**keys)
            .values(*keys)
            .annotate(**_figures(update_field, cutoff))
        )
        for row in rows:
            key = tuple(row[k] for k in keys)
            key = key[0] if len(names) == 1 else key
            result[key] = result.get(key, Rollup()) + _rollup_from(row)
    return result


def rollup_rows(dimension, groups, territory=None, thematic=None, today=None):
    """[(group, Rollup)] for every group of `groups`, in its order, empty groups included."""
    figures = rollups_by(dimension, territory, thematic, today)
    return [(group, figures.get(group.pk, Rollup())) for group in groups]


def total(rows):
    """The Rollup of all the rows of one dimension (each leaf belongs to exactly one group)."""
    return Rollup.sum(rollup for _, rollup in rows)


# The groups of each dimension, in display order.
def territory_groups():
    return Territory.objects.in_display_order()


def thematic_groups():
    return Thematic.objects.all()


def protocol_groups(territory=None):
    protocols = Protocol.objects.select_related("territory").order_by(
        "territory__position", "-start_year", "pk"
    )
    return protocols.for_territory(territory) if territory else protocols


def section_groups(territory=None):
    sections = ThematicSection.objects.select_related("protocol__territory", "thematic")
    sections = sections.in_document_order()
    return sections.for_territory(territory) if territory else sections


def strategic_objective_groups(territory=None):
    objectives = StrategicObjective.objects.with_tree().in_document_order()
    return objectives.for_territory(territory) if territory else objectives


def without_lead(territory=None):
    """(actions, leaf operational objectives) that have no lead, in document order."""
    actions, objectives = leaves(territory)
    return (
        actions.filter(lead__isnull=True).with_tree().in_document_order(),
        objectives.filter(lead__isnull=True).with_tree().in_document_order(),
    )


def stale(territory=None, today=None):
    """(actions, leaf operational objectives) without any update dated in the last 12 months,
    never reported included, in document order."""
    recent = ProgressUpdate.objects.filter(date__gte=stale_cutoff(today))
    actions, objectives = leaves(territory)
    return (
        actions.exclude(Exists(recent.filter(action=OuterRef("pk"))))
        .with_tree()
        .in_document_order(),
        objectives.exclude(Exists(recent.filter(operational_objective=OuterRef("pk"))))
        .with_tree()
        .in_document_order(),
    )


# Progress over time.
MAX_MONTHS = 36


@dataclass(frozen=True)
class Point:
    """The state of the leaves at the end of one month, replayed from the updates."""

    month: datetime.date  # first day of the month
    avg_progress: float  # over every leaf, a leaf never reported counting as 0 %
    done: int
    reported: int  # leaves with at least one update by then


def _month_starts(first, last, limit=MAX_MONTHS):
    index_first = first.year * 12 + first.month - 1
    index_last = last.year * 12 + last.month - 1
    index_first = max(index_first, index_last - limit + 1)
    return [datetime.date(i // 12, i % 12 + 1, 1) for i in range(index_first, index_last + 1)]


def _month_end(month):
    return datetime.date(month.year, month.month, _days_in_month(month.year, month.month))


def leaf_updates(territory=None, thematic=None):
    """The updates of the leaves (an operational objective with actions is not a leaf)."""
    actions, objectives = leaves(territory, thematic)
    return ProgressUpdate.objects.filter(
        Q(action__in=actions) | Q(operational_objective__in=objectives)
    )


def progress_over_time(territory=None, thematic=None, today=None):
    """[Point] for each month from the first update to this month (the last 36 at most).

    Four queries: the leaf counts, the first update's date, then one aggregate over the updates
    where a window gives each update the date of the next one on the same commitment: an
    update is the current one at date D when date <= D < next date.
    """
    today = today or timezone.localdate()
    actions, objectives = leaves(territory, thematic)
    leaf_count = actions.count() + objectives.count()
    updates = leaf_updates(territory, thematic)
    first = updates.aggregate(first=Min("date"))["first"]
    if not leaf_count or first is None:
        return []
    months = _month_starts(first, max(today, first))
    with_next = updates.order_by().annotate(
        next_date=Window(
            Lead("date"),
            partition_by=[F("action_id"), F("operational_objective_id")],
            order_by=[F("date").asc(), F("created_at").asc(), F("pk").asc()],
        )
    )
    figures = {}
    for i, month in enumerate(months):
        end = _month_end(month)
        current = Q(date__lte=end) & (Q(next_date__isnull=True) | Q(next_date__gt=end))
        figures[f"sum{i}"] = Sum("progress", filter=current)
        figures[f"done{i}"] = Count("pk", filter=current & Q(status=Status.DONE))
        figures[f"reported{i}"] = Count("pk", filter=current)
    row = with_next.aggregate(**figures)
    return [
        Point(
            month=month,
            avg_progress=(row[f"sum{i}"] or 0) / leaf_count,
            done=row[f"done{i}"],
            reported=row[f"reported{i}"],
        )
        for i, month in enumerate(months)
    ]


def recent_updates(territory=None, limit=10):
    """The latest updates with everything their titles and links need (one query)."""
    updates = ProgressUpdate.objects.all()
    if territory is not None:
        updates = updates.for_territory(territory)
    return updates.select_related(*UPDATE_TREE).latest_first()[:limit]


UPDATE_TREE = (
    "action__operational_objective__strategic_objective__section__protocol__territory",
    "action__operational_objective__strategic_objective__section__thematic",
    "operational_objective__strategic_objective__section__protocol__territory",
    "operational_objective__strategic_objective__section__thematic",
)


# What a dashboard shows, whole agglomeration or one territory.
# The agglomeration's lists stop early; each territory's dashboard lists its own in full.
LIST_LIMIT = 100
TERRITORY_LIST_LIMIT = 1000


@dataclass
class Dashboard:
    territory: object
    overall: Rollup
    by_territory: list  # [(territory, Rollup)], whole agglomeration only
    by_thematic: list  # [(thematic, Rollup)]
    by_protocol: list  # [(protocol, Rollup)], one territory only
    by_strategic_objective: list  # [(strategic objective, Rollup)], one territory only
    matrix: list  # [(territory, [(thematic, Rollup)])], whole agglomeration only
    points: list  # [Point]
    without_lead: tuple  # (actions, leaf operational objectives), at most LIST_LIMIT each
    stale: tuple  # idem
    recent_updates: list
    cutoff: datetime.date
    list_limit: int


def build_dashboard(territory=None, today=None):
    """Every figure and list of a dashboard, in a constant number of queries (about 20)."""
    today = today or timezone.localdate()
    thematics = list(thematic_groups())
    by_thematic = rollup_rows("thematic", thematics, territory, today=today)
    if territory is None:
        by_territory = rollup_rows("territory", territory_groups(), today=today)
        cells = rollups_by(("territory", "thematic"), today=today)
        matrix = [
            (
                group,
                [
                    (thematic, cells.get((group.pk, thematic.pk), Rollup()))
                    for thematic in thematics
                ],
            )
            for group, _ in by_territory
        ]
        by_protocol, by_strategic_objective = [], []
    else:
        by_territory, matrix = [], []
        by_protocol = rollup_rows("protocol", protocol_groups(territory), territory, today=today)
        by_strategic_objective = rollup_rows(
            "strategic_objective", strategic_objective_groups(territory), territory, today=today
        )
    no_lead, not_updated = without_lead(territory), stale(territory, today)
    limit = LIST_LIMIT if territory is None else TERRITORY_LIST_LIMIT
    return Dashboard(
        territory=territory,
        overall=total(by_thematic),
        by_territory=by_territory,
        by_thematic=by_thematic,
        by_protocol=by_protocol,
        by_strategic_objective=by_strategic_objective,
        matrix=matrix,
        points=progress_over_time(territory, today=today),
        without_lead=tuple(list(qs[:limit]) for qs in no_lead),
        stale=tuple(list(qs[:limit]) for qs in not_updated),
        recent_updates=list(recent_updates(territory)),
        cutoff=stale_cutoff(today),
        list_limit=limit,
    )
