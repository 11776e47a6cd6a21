"""Search across the three levels of commitments at once.

Each level is filtered by its own FilterSet (selectors/filtersets.py) with the same GET data,
validated once; the three filtered querysets become one UNION ALL of small rows (level, id and
the keys of document order), so that counting and paginating the whole result is one query
(`page_rows`: the page's rows with the whole count beside them, a window). The rows of a page
are then loaded with their tree, one query per level. Results come in document order (the
page's contract), on PostgreSQL (full-text search) as on SQLite (its fallback).
"""

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, F, IntegerField, Value, When

from commitments.enums import Level
from commitments.models import NODE_MODELS, Action, StrategicObjective
from commitments.selectors.filtersets import (
    ActionFilter,
    OperationalObjectiveFilter,
    StrategicObjectiveFilter,
    use_facets,
)
from territories.enums import TerritoryKind

FILTERSETS = {
    filterset._meta.model.level: filterset
    for filterset in (StrategicObjectiveFilter, OperationalObjectiveFilter, ActionFilter)
}
MODELS = {model.level: model for model in NODE_MODELS}
LEVEL_RANKS = {level: rank for rank, level in enumerate(Level.values)}
RANKED_LEVELS = dict(enumerate(Level))

ORDER_FIELDS = ("t_rank", "t_pos", "t_name", "p_id", "s_pos", "so_pos", "oo_pos", "a_pos")
ROW_ORDER = (*ORDER_FIELDS, "lvl", "node_id")


def _positions(model):
    """The positions (strategic, operational, action) of a row; -1 sorts a parent first."""
    paths = [f"{ancestor}__position" for ancestor in model.tree.ancestors] + ["position"]
    missing = Value(-1, output_field=IntegerField())
    return [F(path) for path in paths] + [missing] * (3 - len(paths))


def document_rows(queryset):
    """The queryset as rows of (document order keys…, lvl, node_id), ready for a UNION ALL."""
    tree = queryset.model.tree
    so_pos, oo_pos, a_pos = _positions(queryset.model)
    return queryset.order_by().values(
        t_rank=Case(
            When(**{f"{tree.territory}__kind": TerritoryKind.AGGLOMERATION}, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        t_pos=F(f"{tree.territory}__position"),
        t_name=F(f"{tree.territory}__name"),
        p_id=F(tree.protocol),
        s_pos=F(f"{tree.section}__position"),
        so_pos=so_pos,
        oo_pos=oo_pos,
        a_pos=a_pos,
        lvl=Value(LEVEL_RANKS[queryset.model.level], output_field=IntegerField()),
        node_id=F("pk"),
    )


class CommitmentSearch:
    """The search data validated once, applied to each level through that level's FilterSet."""

    def __init__(self, data, levels=None, facets=None):
        """`facets`: the reference filters' choices already loaded (filtersets.facet_lists)."""
        # The action FilterSet has every filter: its form validates the data for all levels.
        self.filterset = ActionFilter(data, queryset=Action.objects.all())
        self.levels = [Level(level) for level in levels] if levels else list(Level)
        if facets is not None:
            use_facets(self.filterset.form, facets)

    @property
    def form(self):
        return self.filterset.form

    def is_valid(self):
        return self.filterset.is_valid()

    @property
    def errors(self):
        return self.form.errors

    def queryset(self, level):
        """The level's commitments filtered by its FilterSet with the validated data."""
        filterset = FILTERSETS[level](queryset=MODELS[level].objects.all())
        queryset = filterset.queryset.all()
        for name, filter_ in filterset.filters.items():
            queryset = filter_.filter(queryset, self.form.cleaned_data.get(name))
        return queryset

    def active_levels(self):
        levels = self.levels
        # A status filters tracked commitments: strategic objectives have no status.
        if self.form.cleaned_data.get("statut"):
            levels = [level for level in levels if level != Level.STRATEGIC]
        return levels

    def rows(self):
        """Every matching commitment as ordered rows: a queryset that counts and slices in SQL.

        Call only when is_valid(): invalid filters must be reported, not silently dropped.
        """
        if not self.is_valid():
            raise ValueError("Invalid filters: report self.errors instead of searching.")
        parts = [document_rows(self.queryset(level)) for level in self.active_levels()]
        if not parts:
            return StrategicObjective.objects.none().values("pk")
        first, *others = parts
        combined = first.union(*others, all=True) if others else first
        return combined.order_by(*ROW_ORDER)


def page_rows(rows, number, per_page):
    """(the rows of the page, the number of rows in all, the page's number) in one query, as
    Paginator.get_page(number) would give the page: `number` (an int) beyond the last page or
    below 1 gives the last page. `rows` (from CommitmentSearch.rows()) is wrapped in a query
    that numbers and counts its rows with windows and keeps one page."""
    try:
        sql, params = rows.order_by().query.sql_with_params()
    except EmptyResultSet:
        return [], 0, 1
    connection = connections[rows.db]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in ROW_ORDER)
    # The first row's index (0-based) of the page asked for, or of the last page.
    start = "CASE WHEN %s < n_rows THEN %s ELSE ((n_rows - 1) / %s) * %s END"
    query = (
        f"SELECT {columns}, n_rows, row_index FROM ("
        f"SELECT {columns}, COUNT(*) OVER () AS n_rows, "
        f"ROW_NUMBER() OVER (ORDER BY {columns}) - 1 AS row_index FROM ({sql}) found"
        f") numbered WHERE row_index >= {start} AND row_index < {start} + %s ORDER BY row_index"
    )
    # Any number beyond the last page (or below 1) asks for the last page; capped to fit SQL.
    offset = min((number - 1) * per_page, 2**62) if number >= 1 else 2**62
    bounds = (offset, offset, per_page, per_page)
    with connection.cursor() as cursor:
        cursor.execute(query, (*params, *bounds, *bounds, per_page))
        fetched = cursor.fetchall()
    if not fetched:
        return [], 0, 1
    found = [dict(zip(ROW_ORDER, row[:-2], strict=True)) for row in fetched]
    return found, fetched[0][-2], fetched[0][-1] // per_page + 1


def load_rows(rows):
    """The commitments of `rows` (dicts from CommitmentSearch.rows()) with their tree, in the
    rows' order: one query per level present."""
    ids: dict[Level, list[int]] = {}
    for row in rows:
        ids.setdefault(RANKED_LEVELS[row["lvl"]], []).append(row["node_id"])
    loaded = {level: MODELS[level].objects.with_tree().in_bulk(pks) for level, pks in ids.items()}
    return [
        loaded[RANKED_LEVELS[row["lvl"]]][row["node_id"]]
        for row in rows
        if row["node_id"] in loaded[RANKED_LEVELS[row["lvl"]]]
    ]
