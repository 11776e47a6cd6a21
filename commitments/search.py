"""Search across the three levels of commitments at once.

Each level is filtered by its own FilterSet (commitments.filters) with the same GET data,
validated once; the three filtered querysets become one UNION ALL of small rows (level, id and
the keys of document order), so that counting and paginating the whole result is one query
each. The rows of a page
are then loaded with their tree, one query per level.
"""

from django.db.models import Case, F, IntegerField, Value, When

from commitments.enums import Level
from commitments.filters import ActionFilter, OperationalObjectiveFilter, StrategicObjectiveFilter
from commitments.models import Action, OperationalObjective, StrategicObjective
from territories.enums import TerritoryKind

FILTERSETS = {
    Level.STRATEGIC: StrategicObjectiveFilter,
    Level.OPERATIONAL: OperationalObjectiveFilter,
    Level.ACTION: ActionFilter,
}
MODELS = {
    Level.STRATEGIC: StrategicObjective,
    Level.OPERATIONAL: OperationalObjective,
    Level.ACTION: Action,
}
LEVEL_RANKS = {level: rank for rank, level in enumerate(Level.values)}
RANKED_LEVELS = dict(enumerate(Level))

# Path from each level to its thematic section, and the positions of its ancestors.
SECTION_PATHS = {
    Level.STRATEGIC: "section__",
    Level.OPERATIONAL: "strategic_objective__section__",
    Level.ACTION: "operational_objective__strategic_objective__section__",
}
ORDER_FIELDS = ("t_rank", "t_pos", "t_name", "p_id", "s_pos", "so_pos", "oo_pos", "a_pos")
ROW_ORDER = (*ORDER_FIELDS, "lvl", "node_id")


def _position(path):
    return F(path) if path else Value(-1, output_field=IntegerField())


def _positions(level):
    """The positions (strategic, operational, action) of a row; -1 sorts a parent first."""
    if level == Level.STRATEGIC:
        return "position", None, None
    if level == Level.OPERATIONAL:
        return "strategic_objective__position", "position", None
    return (
        "operational_objective__strategic_objective__position",
        "operational_objective__position",
        "position",
    )


def document_rows(queryset, level):
    """The queryset as rows of (document order keys…, lvl, node_id), ready for a UNION ALL."""
    section = SECTION_PATHS[level]
    territory = section + "protocol__territory__"
    so_pos, oo_pos, a_pos = _positions(level)
    return queryset.order_by().values(
        t_rank=Case(
            When(**{territory + "kind": TerritoryKind.AGGLOMERATION}, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        t_pos=F(territory + "position"),
        t_name=F(territory + "name"),
        p_id=F(section + "protocol"),
        s_pos=F(section + "position"),
        so_pos=_position(so_pos),
        oo_pos=_position(oo_pos),
        a_pos=_position(a_pos),
        lvl=Value(LEVEL_RANKS[level], output_field=IntegerField()),
        node_id=F("pk"),
    )


class CommitmentSearch:
    """The search data validated once, applied to each level through that level's FilterSet."""

    def __init__(self, data, levels=None):
        # The action FilterSet has every filter: its form validates the data for all levels.
        self.filterset = ActionFilter(data, queryset=Action.objects.all())
        self.levels = [Level(level) for level in levels] if levels else list(Level)

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
        parts = [document_rows(self.queryset(level), level) for level in self.active_levels()]
        if not parts:
            return StrategicObjective.objects.none().values("pk")
        first, *others = parts
        combined = first.union(*others, all=True) if others else first
        return combined.order_by(*ROW_ORDER)


def load_rows(rows):
    """The commitments of `rows` (dicts from CommitmentSearch.rows()) with their tree, in the
    rows' order: one query per level present."""
    ids = {}
    for row in rows:
        ids.setdefault(RANKED_LEVELS[row["lvl"]], []).append(row["node_id"])
    loaded = {level: MODELS[level].objects.with_tree().in_bulk(pks) for level, pks in ids.items()}
    return [
        loaded[RANKED_LEVELS[row["lvl"]]][row["node_id"]]
        for row in rows
        if row["node_id"] in loaded[RANKED_LEVELS[row["lvl"]]]
    ]
