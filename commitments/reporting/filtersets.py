"""One FilterSet per resource, shared by the public search page and the API (protocols: API only).

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
    Protocol,
    StrategicObjective,
    Thematic,
    TransversalAxis,
)
from territories.models import Territory


def _by_slug(label, queryset, empty_label, **kwargs):
    return django_filters.ModelChoiceFilter(
        label=label, queryset=queryset, to_field_name="slug", empty_label=empty_label, **kwargs
    )


class CommitmentFilterSet(django_filters.FilterSet):
    """Filters common to every level; the lookups up the tree are the querysets' own."""

    territoire = django_filters.ModelMultipleChoiceFilter(
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
