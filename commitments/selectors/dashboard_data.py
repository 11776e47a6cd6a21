"""What the tracking dashboards show, whole agglomeration or one territory: roll-ups by
territory, thematic, protocol and strategic objective, progress over time, the commitments
without lead or without news, the latest updates.

`build_dashboard` runs a constant number of queries, whatever the data size: 10 for the whole
agglomeration, 9 for a territory (its protocols given by the view), with the thematics and
territories loaded (two queries), two fewer when the view gives them from its cache, one more
with a closed campaign; see its docstring.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, Exists, F, OuterRef, Q, When, Window
from django.db.models.functions import Lead, RowNumber
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
from commitments.selectors.campaign_completion import last_closed_campaign
from commitments.selectors.rollups import (
    Rollup,
    days_in_month,
    leaves,
    rollups_by,
    stale_cutoff,
)
from territories.models import Territory


# The groups of each dimension, in display order.
def territory_groups():
    return Territory.objects.in_display_order()


def thematic_groups():
    return Thematic.objects.all()


def reference_groups():
    """The thematics and the territories in display order (two queries): what the view may
    cache under the content version."""
    return {"thematics": list(thematic_groups()), "territories": list(territory_groups())}


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
        queryset.filter(lead__isnull=True).for_listing().in_document_order()
        for queryset in leaves(territory)
    )


def stale(territory=None, today=None):
    """(actions, leaf operational objectives) without any update dated in the last 12 months,
    never reported included, in document order."""
    recent = ProgressUpdate.objects.filter(date__gte=stale_cutoff(today))
    return tuple(
        queryset.exclude(Exists(recent.filter(**{TARGET_FIELDS[queryset.model]: OuterRef("pk")})))
        .for_listing()
        .in_document_order()
        for queryset in leaves(territory)
    )


def attention_lists(territory=None, today=None, limit=None):
    """(without lead, stale): each a pair (actions, leaf operational objectives) in document
    order, each list cut at `limit`, as `without_lead()` and `stale()` cut at `limit` give
    them, in two queries (one per level): a commitment in either list is read once, flagged,
    and numbered within each list by a window, the rows beyond the limit left in the database.
    For one territory (a few hundred leaves); over the whole agglomeration the four queries
    of `without_lead()` and `stale()` are 10× faster at 20,000 actions (docs/benchmarks.md).
    """
    recent = ProgressUpdate.objects.filter(date__gte=stale_cutoff(today))
    no_lead, not_updated = [], []
    for queryset in leaves(territory):
        order = queryset.model.tree.document_order
        flags = queryset.with_tree().annotate(
            is_without_lead=Case(When(lead__isnull=True, then=1), default=0),
            is_stale=Case(
                When(
                    ~Exists(recent.filter(**{TARGET_FIELDS[queryset.model]: OuterRef("pk")})),
                    then=1,
                ),
                default=0,
            ),
        )
        numbered = flags.annotate(
            rank_without_lead=Window(
                RowNumber(), partition_by=[F("is_without_lead")], order_by=order
            ),
            rank_stale=Window(RowNumber(), partition_by=[F("is_stale")], order_by=order),
        )
        wanted = Q(is_without_lead=1) | Q(is_stale=1)
        if limit is not None:
            wanted = Q(is_without_lead=1, rank_without_lead__lte=limit) | Q(
                is_stale=1, rank_stale__lte=limit
            )
        rows = list(numbered.filter(wanted).order_by(*order))
        no_lead.append(
            [
                row
                for row in rows
                if row.is_without_lead and (limit is None or row.rank_without_lead <= limit)
            ]
        )
        not_updated.append(
            [row for row in rows if row.is_stale and (limit is None or row.rank_stale <= limit)]
        )
    return tuple(no_lead), tuple(not_updated)


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


def progress_over_time(territory=None, thematic=None, today=None, leaf_count=None):
    """[Point] for each month from the first update to this month (the last 36 at most).

    One query (three without `leaf_count`, the number of leaves, e.g. a roll-up's total): the
    updates, where a window gives each the date of the next one on the same commitment, joined
    to the last 36 months' ends (an update is the current one at date D when date <= D < next
    date) and grouped by month. The months before the first update (none reported) are left
    out, so the query is the same whether or not there are updates.
    """
    today = today or timezone.localdate()
    if leaf_count is None:
        actions, objectives = leaves(territory, thematic)
        leaf_count = actions.count() + objectives.count()
    if not leaf_count:
        return []
    # An update dated in the future (possible only in data older than the validation of
    # updates) is not part of any month shown yet.
    updates = leaf_updates(territory, thematic).filter(date__lte=today)
    months = _month_starts(datetime.date.min, today)
    with_next = (
        updates.order_by()
        .annotate(
            next_date=Window(
                Lead("date"),
                partition_by=[F("action_id"), F("operational_objective_id")],
                order_by=[F("date").asc(), F("created_at").asc(), F("pk").asc()],
            )
        )
        .values("date", "next_date", "progress", "status")
    )
    figures = _replay(with_next, [_month_end(month) for month in months])
    # Only the months from the first update's on have a current update (a row).
    first = min(figures, default=len(months))
    return [
        Point(
            month=month,
            avg_progress=figures.get(i, (0, 0, 0))[0] / leaf_count,
            done=figures.get(i, (0, 0, 0))[1],
            reported=figures.get(i, (0, 0, 0))[2],
        )
        for i, month in enumerate(months)
        if i >= first
    ]


def _replay(with_next, month_ends):
    """{month index: (progress sum, done, reported)} of the updates current at each month's
    end, for the months that have one: the updates (with the date of the next one) joined to
    the months' ends and grouped, one query of a size that does not grow with the months."""
    try:
        sql, params = with_next.query.sql_with_params()
    except EmptyResultSet:
        return {}
    connection = connections[with_next.db]
    quote, ops = connection.ops.quote_name, connection.ops
    month_rows = " UNION ALL ".join(
        f"SELECT {i} AS month_index, %s AS month_end" for i in range(len(month_ends))
    )
    date, next_date = f"updates.{quote('date')}", f"updates.{quote('next_date')}"
    query = (
        f"SELECT months.month_index, SUM(updates.{quote('progress')}), "
        f"SUM(CASE WHEN updates.{quote('status')} = %s THEN 1 ELSE 0 END), COUNT(*) "
        f"FROM ({month_rows}) months INNER JOIN ({sql}) updates "
        f"ON {date} <= months.month_end "
        f"AND ({next_date} IS NULL OR {next_date} > months.month_end) "
        f"GROUP BY months.month_index"
    )
    ends = [ops.adapt_datefield_value(end) for end in month_ends]
    with connection.cursor() as cursor:
        cursor.execute(query, (Status.DONE.value, *ends, *params))
        return {index: (total or 0, done, reported) for index, total, done, reported in cursor}


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
    # The last closed campaign's status counts at closing and today (or None).
    last_campaign: object = None


def build_dashboard(territory=None, today=None, protocols=None, reference=None):
    """Every figure and list of a dashboard, in a constant number of queries: the groups
    (thematics, and the territories or the territory's protocols and strategic objectives),
    one grouped roll-up (territory × thematic, or by strategic objective, from which the
    other roll-ups are sums), the progress over time (one), the lists without lead or stale
    (four; two for a territory), the latest updates (one) and the last closed campaign (one,
    two when there is one).
    `reference`: the thematics and territories already loaded (cached by the view).
    `protocols`: the territory's, already loaded (`protocol_groups(territory)`)."""
    today = today or timezone.localdate()
    reference = reference or reference_groups()
    thematics = reference["thematics"]
    limit = LIST_LIMIT if territory is None else TERRITORY_LIST_LIMIT
    if territory is None:
        cells = rollups_by(("territory", "thematic"), today=today)
        by_territory = []
        matrix = []
        for group in reference["territories"]:
            row = [
                (thematic, cells.get((group.pk, thematic.pk), Rollup())) for thematic in thematics
            ]
            matrix.append((group, row))
            by_territory.append(
                (group, Rollup.sum(r for (t, g), r in cells.items() if t == group.pk))
            )
        by_thematic = [
            (thematic, Rollup.sum(r for (_, g), r in cells.items() if g == thematic.pk))
            for thematic in thematics
        ]
        by_protocol, by_strategic_objective = [], []
    else:
        by_territory, matrix = [], []
        objectives = list(strategic_objective_groups(territory))
        figures = rollups_by("strategic_objective", territory, today=today)
        by_strategic_objective = [(so, figures.get(so.pk, Rollup())) for so in objectives]
        by_thematic = [
            (
                thematic,
                Rollup.sum(
                    r for so, r in by_strategic_objective if so.section.thematic_id == thematic.pk
                ),
            )
            for thematic in thematics
        ]
        by_protocol = [
            (
                protocol,
                Rollup.sum(
                    r for so, r in by_strategic_objective if so.section.protocol_id == protocol.pk
                ),
            )
            for protocol in (protocol_groups(territory) if protocols is None else protocols)
        ]
    if territory is None:
        # Four queries (each list and level cut at the limit in SQL): numbering both lists
        # with windows is 10× slower over the whole agglomeration at 20,000 actions.
        no_lead = tuple(list(qs[:limit]) for qs in without_lead(territory))
        not_updated = tuple(list(qs[:limit]) for qs in stale(territory, today))
    else:
        no_lead, not_updated = attention_lists(territory, today, limit)
    overall = Rollup.sum(rollup for _, rollup in by_thematic)
    return Dashboard(
        territory=territory,
        overall=overall,
        by_territory=by_territory,
        by_thematic=by_thematic,
        by_protocol=by_protocol,
        by_strategic_objective=by_strategic_objective,
        matrix=matrix,
        points=progress_over_time(territory, today=today, leaf_count=overall.total),
        without_lead=no_lead,
        stale=not_updated,
        recent_updates=list(recent_updates(territory)),
        cutoff=stale_cutoff(today),
        list_limit=limit,
        last_campaign=last_campaign_figures(territory, by_territory, overall),
    )


def last_campaign_figures(territory, by_territory, overall):
    """The last closed campaign's counts at closing next to today's over the same territories
    (today's from the roll-ups already computed): two queries."""
    figures = last_closed_campaign(territory)
    if figures is None:
        return None
    if territory is None:
        overall = Rollup.sum(r for group, r in by_territory if group.pk in figures.territory_ids)
    return figures.compared_with(overall.counts)
