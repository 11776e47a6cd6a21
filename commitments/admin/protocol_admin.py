"""Protocols and their thematic sections: the top of the hierarchy."""

from django import forms
from django.contrib import admin

from commitments.admin.history import HistoryAdmin
from commitments.admin.list_filters import ThematicFilter
from commitments.admin.node_admin import TreeFormMixin, TreeInline
from commitments.admin.role_mixins import RoleAdminMixin
from commitments.admin.write_mixins import ElementWritesMixin
from commitments.models import Protocol, StrategicObjective, ThematicSection
from perer.lib.admin_mixins import AccentInsensitiveSearchMixin, ViewOnSiteMixin


class ThematicSectionInline(TreeInline):
    model = ThematicSection
    fields = ("thematic", "heading")
    autocomplete_fields = ("thematic",)
    form = forms.ModelForm  # sections carry no version


class StrategicObjectiveInline(TreeInline):
    model = StrategicObjective
    fields = ("subheading", "text", "version")


class StructureAdmin(
    TreeFormMixin,
    RoleAdminMixin,
    AccentInsensitiveSearchMixin,
    ViewOnSiteMixin,
    ElementWritesMixin,
    HistoryAdmin,
):
    pass


@admin.register(Protocol)
class ProtocolAdmin(StructureAdmin):
    list_display = (
        "title",
        "territory",
        "deliberation_reference",
        "period",
        "last_changed_at",
        "site_link",
    )
    list_select_related = ("territory",)
    list_filter = ("territory",)
    search_fields = ("title", "deliberation_reference", "territory__name")
    autocomplete_fields = ("territory",)
    readonly_fields = ("last_changed_at", "created_at")
    inlines = [ThematicSectionInline]
    reorder_inline = ThematicSectionInline
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "territory",
                    "title",
                    "deliberation_reference",
                    "deliberation_date",
                    ("start_year", "end_year"),
                )
            },
        ),
        ("Préambule", {"fields": ("preamble",)}),
        (
            "Conditions de réussite préalables",
            {"fields": ("preconditions_heading", "preconditions"), "classes": ("collapse",)},
        ),
        ("Suivi des modifications", {"fields": ("last_changed_at", "created_at")}),
    )


@admin.register(ThematicSection)
class ThematicSectionAdmin(StructureAdmin):
    list_display = ("heading", "protocol", "thematic", "position", "site_link")
    list_select_related = ("protocol__territory", "thematic")
    list_filter = ("protocol__territory", ThematicFilter)
    search_fields = ("heading", "subtitle", "objective", "intro")
    autocomplete_fields = ("protocol", "thematic")
    inlines = [StrategicObjectiveInline]
    reorder_inline = StrategicObjectiveInline
    fieldsets = (
        (None, {"fields": ("protocol", "thematic", "position", "heading", "subtitle")}),
        (
            "Ce que le protocole dit de la thématique",
            {"fields": ("objective", "priorities_heading", "priorities", "intro")},
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("protocol__territory", "thematic")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("subtitle", "objective", "intro"):
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3, "cols": 80})
        return super().formfield_for_dbfield(db_field, request, **kwargs)
