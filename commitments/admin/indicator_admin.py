"""Indicators in the admin: the shared definitions, each territory's indicators with their
yearly values (an inline on the indicator's form), and the list of every value; each with its
history (who changed what, the replaced values), revertible by staff.

Who (commitments/permissions.py): agglomeration staff define and edit everything
(`can_edit_indicators`); city leads read the indicators and values of the territories they
lead (`indicators_visible_to`: the values name who recorded them; 404 elsewhere) and every
definition (a shared list naming no one). Leads do not edit here: the values of their
territories will be recorded in the tracking space (/suivi/indicateurs/<id>/).

Writes go through services/indicator_writes.py, which validates through the models and
records the change of content: the forms' saves, the inline's rows, the deletions, the
history's reverts (they call save_model).

Queries: the lists read their rows with the definition, territory and commitment joined
(constant); an indicator's form reads its values with their authors in one query.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.text import Truncator

from commitments.admin.history import HistoryAdmin
from commitments.admin.list_filters import TerritoryFilter, ThematicFilter
from commitments.models import COMMITMENT_FIELDS, Indicator, IndicatorDefinition, IndicatorValue
from commitments.models.indicators import DUPLICATE_YEAR
from commitments.permissions import can_edit_indicators, indicators_visible_to
from commitments.rendering.indicator_figures import baseline_text, figure, target_text
from commitments.services.indicator_writes import (
    delete_definition,
    delete_definitions,
    delete_indicator,
    delete_indicator_value,
    delete_indicator_values,
    delete_indicators,
    save_definition,
    save_indicator,
    save_indicator_value,
)
from perer.lib.admin_mixins import AccentInsensitiveSearchMixin

# Tabular inlines whose rows and fields are named for assistive technologies.
LABELLED_TABULAR = "admin/edit_inline/tabular_labelled.html"


class StaffEditsMixin:
    """The model permission (groups) first, then the role: only the agglomeration adds,
    changes or deletes (ModelAdmins and inlines: `obj` is the inline's parent)."""

    def has_add_permission(self, request, *args):
        allowed = super().has_add_permission(request, *args)
        return allowed and can_edit_indicators(request.user)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and can_edit_indicators(request.user)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and can_edit_indicators(request.user)


class IndicatorAdminBase(StaffEditsMixin, AccentInsensitiveSearchMixin, HistoryAdmin):
    pass


@admin.register(IndicatorDefinition)
class IndicatorDefinitionAdmin(IndicatorAdminBase):
    """What is measured, shared by the territories measuring the same thing."""

    list_display = ("name", "code", "unit", "decimals", "indicator_count")
    list_filter = ("unit",)
    search_fields = ("name", "code", "definition")
    prepopulated_fields = {"code": ("name",)}
    fields = ("name", "code", "unit", "decimals", "definition")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(indicator_count=Count("indicators"))

    @admin.display(description="indicateurs", ordering="indicator_count")
    def indicator_count(self, obj):
        return obj.indicator_count

    def save_model(self, request, obj, form, change):
        save_definition(obj, by=request.user)

    def delete_model(self, request, obj):
        delete_definition(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        delete_definitions(queryset)


class IndicatorValueFormSet(forms.BaseInlineFormSet):
    def get_unique_error_message(self, unique_check):
        # Two rows of one year on the form: the model's message (DUPLICATE_YEAR).
        return DUPLICATE_YEAR


class IndicatorValueInline(StaffEditsMixin, admin.TabularInline):
    """The indicator's yearly values. A year is recorded once: change its row to replace the
    value (the replaced one stays in the value's history)."""

    model = IndicatorValue
    formset = IndicatorValueFormSet
    template = LABELLED_TABULAR
    fields = ("year", "value", "source", "comment", "author", "recorded_at")
    readonly_fields = ("author", "recorded_at")
    ordering = ("year",)
    extra = 0
    show_change_link = True
    verbose_name_plural = "valeurs annuelles (une par année)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "comment":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 40})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Indicator)
class IndicatorAdmin(IndicatorAdminBase):
    """Each territory's indicators: what they measure, on which commitment, from which
    baseline to which target, and their yearly values."""

    list_display = (
        "definition",
        "territory",
        "scope",
        "commitment_label",
        "baseline_label",
        "target_label",
    )
    list_filter = (TerritoryFilter, ThematicFilter, "definition__unit", "direction")
    search_fields = ("definition__name", "definition__code", "scope", "wording")
    autocomplete_fields = ("definition", *COMMITMENT_FIELDS.values())
    inlines = [IndicatorValueInline]
    fieldsets = (
        (None, {"fields": ("definition", "territory", "scope", "direction", "source")}),
        (
            "Engagement mesuré",
            {
                "fields": tuple(COMMITMENT_FIELDS.values()),
                "description": "Un seul des trois : l'objectif ou l'action du protocole du "
                "territoire que l'indicateur mesure.",
            },
        ),
        ("Valeur de référence", {"fields": ("baseline_value", "baseline_year")}),
        (
            "Cible",
            {
                "fields": (
                    "target_value",
                    "target_factor",
                    "target_is_minimum",
                    "target_year",
                    "target_horizon",
                )
            },
        ),
        ("Texte du protocole", {"fields": ("wording",)}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request).with_commitment()
        return indicators_visible_to(request.user, queryset)

    @admin.display(description="engagement mesuré")
    def commitment_label(self, obj):
        commitment = obj.commitment
        return f"{commitment.level.label} : {Truncator(commitment.text).chars(80)}"

    @admin.display(description="valeur de référence")
    def baseline_label(self, obj):
        return baseline_text(obj) or "—"

    @admin.display(description="cible")
    def target_label(self, obj):
        return target_text(obj) or "—"

    def save_model(self, request, obj, form, change):
        save_indicator(obj, by=request.user)

    def delete_model(self, request, obj):
        delete_indicator(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        delete_indicators(queryset)

    def save_formset(self, request, form, formset, change):
        rows = formset.save(commit=False)
        for row in formset.deleted_objects:
            delete_indicator_value(row, by=request.user)
        for row in rows:
            save_indicator_value(row, by=request.user)


@admin.register(IndicatorValue)
class IndicatorValueAdmin(IndicatorAdminBase):
    """Every recorded value, to find one and open its history."""

    list_display = ("indicator", "year", "value_label", "source", "author", "recorded_at")
    list_filter = (TerritoryFilter, "year")
    search_fields = ("indicator__definition__name", "indicator__scope", "source", "comment")
    autocomplete_fields = ("indicator",)
    fields = ("indicator", "year", "value", "source", "comment", "author", "recorded_at")
    readonly_fields = ("author", "recorded_at")

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .select_related("indicator__definition", "indicator__territory", "author")
        )
        return indicators_visible_to(request.user, queryset)

    @admin.display(description="valeur", ordering="value")
    def value_label(self, obj):
        return figure(obj.value, obj.indicator.definition.unit)

    def save_model(self, request, obj, form, change):
        save_indicator_value(obj, by=request.user)

    def delete_model(self, request, obj):
        delete_indicator_value(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        delete_indicator_values(queryset)
