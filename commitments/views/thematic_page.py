"""/thematiques/<slug>/: one thematic in every territory side by side, so that cities can be
compared. Queries: the thematic, the territories, the sections of the protocols in force with
their tree (four), the thematics; roll-ups come from the loaded tree."""

from django import forms
from django.db.models import Case, Value, When
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from commitments.models import Protocol, Thematic
from commitments.rendering.glossary_markup import Glossary
from commitments.selectors.protocol_tree import sections_tree
from commitments.selectors.rollups import Rollup
from territories.enums import TerritoryKind
from territories.models import Territory


class CompareForm(forms.Form):
    territoire = forms.ModelMultipleChoiceField(
        label="Territoires à comparer",
        queryset=Territory.objects.in_display_order(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Sans choix, tous les territoires sont affichés.",
    )


def sections_of(thematic, territories):
    """The thematic's sections in the protocols in force, agglomeration first, with their
    strategic objectives → operational objectives → actions."""
    return (
        sections_tree(details=False)
        .for_thematic(thematic)
        .filter(protocol__in=Protocol.objects.in_force(), protocol__territory__in=territories)
        .select_related("protocol__territory")
        .annotate(
            _kind_rank=Case(
                When(protocol__territory__kind=TerritoryKind.AGGLOMERATION, then=Value(0)),
                default=Value(1),
            )
        )
        .order_by(
            "_kind_rank", "protocol__territory__position", "protocol__territory__name", "position"
        )
    )


def thematic_detail(request, slug):
    thematic = get_object_or_404(Thematic, slug=slug)
    form = CompareForm(request.GET or None)
    status = 200
    chosen = None
    if form.is_bound:
        if form.is_valid():
            chosen = list(form.cleaned_data["territoire"]) or None
        else:
            status = 400
    territories = chosen or list(Territory.objects.in_display_order())
    by_territory = {}
    for section in sections_of(thematic, territories):
        section.rollup = Rollup.of_tree(section.strategic_objectives.all())
        by_territory.setdefault(section.protocol.territory_id, []).append(section)
    columns = [(territory, by_territory.get(territory.pk, [])) for territory in territories]
    return render(
        request,
        "portal/thematic_detail.html",
        {
            "thematic": thematic,
            "thematics": Thematic.objects.all(),
            "form": form,
            "columns": columns,
            "glossary": Glossary(),
            "breadcrumbs": [
                ("Accueil", reverse("home")),
                ("Thématiques", reverse("thematic_list")),
                (thematic, None),
            ],
        },
        status=status,
    )
