"""What the tracking dashboards show, whole agglomeration or one territory: roll-ups by
territory, thematic, protocol and strategic objective, progress over time, the commitments
without lead or without news, the latest updates.

`build_dashboard` runs a constant number of queries (about 20, two of them for the last closed
reporting round), whatever the data size.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum, Window
from django.db.models.functions import Lead
from django.utils import timezone

from commitments.enums import Status
from commitments.models import (
    EARLIEST_DATE,
    TARGET_FIELDS,
    ProgressUpdate,
    Protocol,
    StrategicObjective,
    Thematic,
)
from commitments.reporting.rollups import (
    Rollup,
    days_in_month,
    leaves,
    rollup_rows,
    rollups_by,
    stale_cutoff,
)
from commitments.reporting.round_completion import last_closed_round
from territories.models import Territory


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


def strategic_objective_groups(territory=None):
    objectives = StrategicObjective.objects.with_tree().in_document_order()
    return objectives.for_territory(territory) if territory else objectives


def without_lead(territory=None):
    """(actions, leaf operational objectives) that have no lead, in document order."""
    return tuple(
        queryset.filter(lead__isnull=True).with_tree().in_document_order()
        for queryset in leaves(territory)
    )


def stale(territory=None, today=None):
    """(actions, leaf operational objectives) without any update dated in the last 12 months,
    never reported included, in document order."""
    recent = ProgressUpdate.objects.filter(date__gte=stale_cutoff(today))
    return tuple(
        queryset.exclude(Exists(recent.filter(**{TARGET_FIELDS[queryset.model]: OuterRef("pk")})))
        .with_tree()
        .in_document_order()
        for queryset in leaves(territory)
    )


@dataclass(frozen=True)
class LevelList:
    """One level's part of a list of commitments cut at a limit: the items shown and how many
    there are in all (None when unknown: both levels were cut)."""

    items: list
    count: int | None

    @property
    def cut(self):
        return self.count is None or len(self.items) < self.count


def level_lists(pair, total, limit):
    """(actions, leaf operational objectives) as LevelLists, from a pair of lists cut at
    `limit` whose levels add up to `total` (a roll-up's figure): a list shorter than the limit
    is whole, so the other level holds the rest. No query."""
    actions, objectives = pair
    whole_actions, whole_objectives = len(actions) < limit, len(objectives) < limit
    action_count = len(actions) if whole_actions else None
    objective_count = len(objectives) if whole_objectives else None
    if whole_actions and not whole_objectives:
        objective_count = total - len(actions)
    elif whole_objectives and not whole_actions:
        action_count = total - len(objectives)
    return LevelList(actions, action_count), LevelList(objectives, objective_count)


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
    return datetime.date(month.year, month.month, days_in_month(month.year, month.month))


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
    # An update dated in the future (possible only in data older than the validation of
    # updates) is not part of any month shown yet.
    updates = leaf_updates(territory, thematic).filter(date__lte=today)
    first = updates.aggregate(first=Min("date"))["first"]
    if not leaf_count or first is None:
        return []
    months = _month_starts(first, today)
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
    """The latest updates with everything their titles and links need (one query). Dates
    outside the plausible range (data older than the validation of updates) are left out: a
    feed entry must have a real date and may not stay first for ever."""
    updates = ProgressUpdate.objects.filter(date__range=(EARLIEST_DATE, timezone.localdate()))
    if territory is not None:
        updates = updates.for_territory(territory)
    return updates.with_targets().latest_first()[:limit]


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
    # The last closed reporting round's status counts at closing and today (or None).
    last_round: object = None


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
    overall = Rollup.sum(rollup for _, rollup in by_thematic)
    return Dashboard(
        territory=territory,
        overall=overall,
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
        last_round=last_round_figures(territory, by_territory, overall),
    )


def last_round_figures(territory, by_territory, overall):
    """The last closed round's counts at closing next to today's over the same territories
    (today's from the roll-ups already computed): two queries."""
    figures = last_closed_round(territory)
    if figures is None:
        return None
    if territory is None:
        overall = Rollup.sum(r for group, r in by_territory if group.pk in figures.territory_ids)
    return figures.compared_with(overall.counts)
