"""One FilterSet per resource, shared by the public search page and the API.

Parameters are the public contract of `/engagements/`: territoire (several), thematique,
statut, partenaire, axe, q.
"""

import django_filters
from django import forms

from commitments.enums import Status
from commitments.models import (
    Action,
    OperationalObjective,
    Partner,
    StrategicObjective,
    Thematic,
    TransversalAxis,
)
from territories.models import Territory


class CommitmentFilterSet(django_filters.FilterSet):
    """Filters common to every level. Subclasses set the lookup paths."""

    territory_path = ""  # e.g. "section__protocol__territory"
    thematic_path = ""

    territoire = django_filters.ModelMultipleChoiceFilter(
        label="Territoire",
        queryset=Territory.objects.all(),
        to_field_name="slug",
        method="filter_territories",
        widget=forms.CheckboxSelectMultiple,
    )
    thematique = django_filters.ModelChoiceFilter(
        label="Thématique",
        queryset=Thematic.objects.all(),
        to_field_name="slug",
        method="filter_thematic",
        empty_label="Toutes les thématiques",
    )
    partenaire = django_filters.ModelChoiceFilter(
        label="Partenaire",
        queryset=Partner.objects.all(),
        to_field_name="slug",
        field_name="partners",
        empty_label="Tous les partenaires",
    )
    axe = django_filters.ModelChoiceFilter(
        label="Axe transversal",
        queryset=TransversalAxis.objects.all(),
        to_field_name="slug",
        field_name="axes",
        empty_label="Tous les axes",
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
