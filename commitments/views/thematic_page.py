"""One thematic in every territory side by side, so that cities can be compared."""

from django import forms
from django.db.models import Case, Prefetch, Value, When
from django.shortcuts import get_object_or_404, render

from commitments.glossary import Glossary
from commitments.models import (
    Action,
    OperationalObjective,
    StrategicObjective,
    Thematic,
    ThematicSection,
)
from commitments.portal_stats import current_protocols, rollups_by
from commitments.views.protocol_page import detail_pages_exist
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
    strategic objectives → operational objectives → actions (four queries)."""
    actions = Action.objects.order_by("position")
    operational = OperationalObjective.objects.prefetch_related(
        Prefetch("actions", queryset=actions)
    ).order_by("position")
    strategic = StrategicObjective.objects.prefetch_related(
        Prefetch("operational_objectives", queryset=operational)
    ).order_by("position")
    return (
        ThematicSection.objects.for_thematic(thematic)
        .filter(protocol__in=current_protocols(), protocol__territory__in=territories)
        .select_related("protocol__territory")
        .prefetch_related(Prefetch("strategic_objectives", queryset=strategic))
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
    sections = list(sections_of(thematic, territories))
    rollups = rollups_by("section", [section.pk for section in sections])
    by_territory = {}
    for section in sections:
        section.rollup = rollups[section.pk]
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
            "detail_pages": detail_pages_exist(),
            "breadcrumbs": [("Accueil", "/"), ("Thématiques", "/#thematiques"), (thematic, None)],
        },
        status=status,
    )
