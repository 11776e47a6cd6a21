"""One FilterSet per resource, shared by the public search page and the API (protocols: API only).

Parameters are the public contract of `/engagements/`: territoire (several), thematique,
statut, partenaire, axe, q.

The four reference filters (territories, thematics, partners, axes) can take their choices
from lists already loaded (`use_facets`, with `facet_lists`: cached under the content version,
which every change of a reference list changes, see signals.py): their options are then
rendered and validated without a query, the same options and the same messages as from their
querysets. Without lists (the API) they query as django-filter's own.
"""

from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from commitments.enums import Status
from commitments.models import (
    Action,
    Indicator,
    IndicatorDefinition,
    OperationalObjective,
    Partner,
    Protocol,
    StrategicObjective,
    Thematic,
    TransversalAxis,
)
from perer.lib.versioned_cache import cached_under
from territories.models import Territory

if TYPE_CHECKING:  # what ListedChoices is mixed into (a plain class at run time)
    _ModelChoiceBase = forms.ModelChoiceField
else:
    _ModelChoiceBase = object


class ListedChoices(_ModelChoiceBase):
    """A model choice field whose choices may come from `listed`, a list of instances in the
    queryset's order: rendered and validated from it, without a query."""

    listed: list[Any] | None = None

    def use(self, instances):
        self.listed = list(instances)
        empty = [] if self.empty_label is None else [("", self.empty_label)]
        self.choices = empty + [
            (self._key_of(instance), self.label_from_instance(instance)) for instance in instances
        ]

    def _key_of(self, instance):
        return str(getattr(instance, self.to_field_name or "pk"))

    def _lookup(self, value):
        assert self.listed is not None  # called once use() gave the list
        for instance in self.listed:
            if self._key_of(instance) == str(value):
                return instance
        raise ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


class ListedModelChoiceField(ListedChoices, forms.ModelChoiceField):
    def to_python(self, value):
        if self.listed is None or value in self.empty_values:
            return super().to_python(value)
        self.validate_no_null_characters(value)
        return self._lookup(value)


class ListedModelMultipleChoiceField(ListedChoices, forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        if self.listed is None:
            # Django's private validation step, which the stubs leave out.
            return super()._check_values(value)  # type: ignore[misc]
        wanted = {self._key_of(self._lookup(v)) for v in value}
        return [instance for instance in self.listed if self._key_of(instance) in wanted]


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ListedModelChoiceField


class ListedModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = ListedModelMultipleChoiceField


def _by_slug(label, queryset, empty_label, **kwargs):
    return ListedModelChoiceFilter(
        label=label, queryset=queryset, to_field_name="slug", empty_label=empty_label, **kwargs
    )


class CommitmentFilterSet(django_filters.FilterSet):
    """Filters common to every level; the lookups up the tree are the querysets' own."""

    territoire = ListedModelMultipleChoiceFilter(
        label="Territoire",
        queryset=Territory.objects.all(),
        to_field_name="slug",
        method="filter_territories",
        widget=forms.CheckboxSelectMultiple,
    )
    thematique = _by_slug(
        "Thématique", Thematic.objects.all(), "Toutes les thématiques", method="filter_thematic"
    )
    partenaire = _by_slug(
        "Partenaire", Partner.objects.all(), "Tous les partenaires", field_name="partners"
    )
    axe = _by_slug(
        "Axe transversal", TransversalAxis.objects.all(), "Tous les axes", field_name="axes"
    )
    q = django_filters.CharFilter(label="Rechercher", method="filter_search", max_length=200)

    def filter_territories(self, queryset, name, value):
        return queryset.for_territories(value) if value else queryset

    def filter_thematic(self, queryset, name, value):
        return queryset.for_thematic(value) if value else queryset

    def filter_search(self, queryset, name, value):
        return queryset.search(value)


class StrategicObjectiveFilter(CommitmentFilterSet):
    class Meta:
        model = StrategicObjective
        fields = ["territoire", "thematique", "partenaire", "axe", "q"]


class TrackedFilterSet(CommitmentFilterSet):
    statut = django_filters.ChoiceFilter(
        label="Statut", choices=Status.choices, field_name="status", empty_label="Tous les statuts"
    )


class OperationalObjectiveFilter(TrackedFilterSet):
    class Meta:
        model = OperationalObjective
        fields = ["territoire", "thematique", "statut", "partenaire", "axe", "q"]


class ActionFilter(TrackedFilterSet):
    class Meta:
        model = Action
        fields = ["territoire", "thematique", "statut", "partenaire", "axe", "q"]


class ProtocolFilter(django_filters.FilterSet):
    territoire = _by_slug(
        "Territoire", Territory.objects.all(), "Tous les territoires", field_name="territory"
    )

    class Meta:
        model = Protocol
        fields = ["territoire"]


class IndicatorFilter(django_filters.FilterSet):
    """The API's indicators: territoire (several), code of the shared definition, thematique
    of the commitment measured; an unknown value is an error naming the parameter."""

    territoire = ListedModelMultipleChoiceFilter(
        label="Territoire",
        queryset=Territory.objects.all(),
        to_field_name="slug",
        method="filter_territories",
    )
    code = ListedModelChoiceFilter(
        label="Code de l'indicateur",
        queryset=IndicatorDefinition.objects.all(),
        to_field_name="code",
        empty_label="Tous les indicateurs",
        field_name="definition",
    )
    thematique = _by_slug(
        "Thématique", Thematic.objects.all(), "Toutes les thématiques", method="filter_thematic"
    )

    class Meta:
        model = Indicator
        fields = ["territoire", "code", "thematique"]

    def filter_territories(self, queryset, name, value):
        return queryset.for_territories(value) if value else queryset

    def filter_thematic(self, queryset, name, value):
        return queryset.for_thematic(value) if value else queryset


FACETS = ("territoire", "thematique", "partenaire", "axe")
FACETS_TIMEOUT = 24 * 3600


def facet_lists(version=None):
    """{filter name: [instances]} of the four reference filters, in their querysets' order:
    four queries, none when cached under `version` (the content version of the page cache)."""

    def load():
        return {
            name: list(CommitmentFilterSet.base_filters[name].queryset.all()) for name in FACETS
        }

    return cached_under(version, "search-facets", load, FACETS_TIMEOUT)


def use_facets(form, lists):
    """Render and validate the reference filters of `form` from `lists` (facet_lists())."""
    for name, instances in lists.items():
        form.fields[name].use(instances)
