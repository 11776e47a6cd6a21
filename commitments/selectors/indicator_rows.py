"""What the indicators' public pages read: indicators with their values, the commitment they
measure and their trajectory status, in a constant number of queries.

- `load_rows(queryset)`: IndicatorRow for each indicator — one query for the indicators with
  their definition, territory and the commitment measured up to its thematic and territory,
  one for all their values.
- `IndicatorFilterSet`: the filters of /indicateurs/ (`territoire`, `thematique` by slug, two
  queries for their choices; `trajectoire`: a TrajectoryStatus value). The status is computed
  from the figures (selectors/indicator_trajectory.py), not stored: `filtered_rows` applies it
  to the loaded rows.
- `indicator_row(pk)`, `comparison(code)`, `definitions()`, `commitment_rows(commitment)`: one
  indicator, one definition across territories, the definitions that can be compared, the
  indicators of one commitment.

Every indicator of the selection is loaded (no pagination): the protocols state a few dozen
quantified goals, not thousands.
"""

from dataclasses import dataclass, field

import django_filters
from django.db.models import Count, Prefetch

from commitments.models import (
    COMMITMENT_FIELDS,
    Action,
    Indicator,
    IndicatorDefinition,
    IndicatorValue,
    StrategicObjective,
    Thematic,
)
from commitments.selectors.indicator_trajectory import TrajectoryStatus, trajectory_status
from territories.models import Territory


@dataclass
class IndicatorRow:
    indicator: Indicator
    values: list = field(default_factory=list)  # IndicatorValue rows by year

    def __post_init__(self):
        self.trajectory = trajectory_status(self.indicator, self.values)

    @property
    def last(self):
        return self.values[-1] if self.values else None

    @property
    def commitment(self):
        return self.indicator.commitment

    @property
    def commitment_url(self):
        """The commitment's page (objectives and actions), or its place in the protocol (a
        strategic objective has no page of its own)."""
        commitment = self.commitment
        if isinstance(commitment, StrategicObjective):
            return commitment.get_absolute_url()
        return commitment.get_public_url()

    @property
    def commitment_level(self):
        return self.commitment.level.label

    @property
    def thematic(self):
        return self.commitment.section.thematic


def _with_tree(queryset):
    """The definition, the territory, and the commitment measured with its section, protocol,
    territory and thematic: one query."""
    related = ["definition", "territory"]
    for model, name in COMMITMENT_FIELDS.items():
        related += [f"{name}__{model.tree.territory}", f"{name}__{model.tree.thematic}"]
        if model is Action:
            related.append(f"{name}__operational_objective")
    values = Prefetch("yearly_values", queryset=IndicatorValue.objects.order_by("year"))
    return queryset.select_related(*related).prefetch_related(values)


def load_rows(queryset):
    return [
        IndicatorRow(indicator, list(indicator.yearly_values.all()))
        for indicator in _with_tree(queryset)
    ]


class IndicatorFilterSet(django_filters.FilterSet):
    territoire = django_filters.ModelChoiceFilter(
        label="Territoire",
        queryset=Territory.objects.all(),
        to_field_name="slug",
        empty_label="Tous les territoires",
        method="filter_territory",
    )
    thematique = django_filters.ModelChoiceFilter(
        label="Thématique",
        queryset=Thematic.objects.all(),
        to_field_name="slug",
        empty_label="Toutes les thématiques",
        method="filter_thematic",
    )
    # Applied to the loaded rows (filtered_rows): the status is computed, not stored.
    trajectoire = django_filters.ChoiceFilter(
        label="Situation",
        choices=TrajectoryStatus.choices,
        empty_label="Toutes les situations",
        method="keep",
    )

    class Meta:
        model = Indicator
        fields = ["territoire", "thematique", "trajectoire"]

    def filter_territory(self, queryset, name, value):
        return queryset.for_territory(value) if value else queryset

    def filter_thematic(self, queryset, name, value):
        return queryset.for_thematic(value) if value else queryset

    def keep(self, queryset, name, value):
        return queryset


def filtered_rows(filterset):
    """The rows of a valid IndicatorFilterSet, its `trajectoire` applied."""
    rows = load_rows(filterset.qs)
    wanted = filterset.form.cleaned_data.get("trajectoire")
    if wanted:
        rows = [row for row in rows if row.trajectory.status == wanted]
    return rows


def territory_rows(territory):
    return load_rows(Indicator.objects.for_territory(territory))


def indicator_row(pk):
    """The row of indicator `pk`, or None."""
    rows = load_rows(Indicator.objects.filter(pk=pk))
    return rows[0] if rows else None


def comparison(code):
    """(the definition, its indicators' rows in every territory), or None for an unknown
    code."""
    definition = IndicatorDefinition.objects.filter(code=code).first()
    if definition is None:
        return None
    return definition, load_rows(Indicator.objects.filter(definition=definition))


def definitions():
    """Every definition, by name, with `territories`: how many indicators use it (one query)."""
    return IndicatorDefinition.objects.annotate(territories=Count("indicators")).order_by("name")


def commitment_rows(commitment):
    """The indicators measuring `commitment`, with their values (two queries)."""
    name = COMMITMENT_FIELDS[type(commitment)]
    values = Prefetch("yearly_values", queryset=IndicatorValue.objects.order_by("year"))
    queryset = (
        Indicator.objects.filter(**{name: commitment})
        .select_related("definition", "territory")
        .prefetch_related(values)
    )
    return [IndicatorRow(indicator, list(indicator.yearly_values.all())) for indicator in queryset]
