"""Protocols and their thematic sections: the top of the hierarchy."""

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.urls import reverse
from django.utils.html import format_html

from commitments.admin.history import HistoryAdmin
from commitments.admin.list_filters import ThematicFilter
from commitments.admin.node_admin import TreeFormMixin, TreeInline
from commitments.admin.role_mixins import RoleAdminMixin
from commitments.admin.write_mixins import ElementWritesMixin
from commitments.models import Protocol, StrategicObjective, ThematicSection
from commitments.permissions import can_edit_structure
from commitments.selectors.edition_text import unpublished_change_counts
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


def publish_url(protocol):
    return f"{reverse('admin:commitments_edition_publish')}?protocole={protocol.pk}"


def unpublished_markup(protocol, count, can_publish):
    """« modifications non publiées (N) » and, for those who publish, the link to publish;
    « aucune » when the current text is the last edition's."""
    if count == 0:
        return "aucune"
    text = "aucune édition publiée" if count is None else f"modifications non publiées ({count})"
    if not can_publish:
        return text
    return format_html(
        '{} — <a href="{}">publier une nouvelle édition<span class="visually-hidden"> de « {} »'
        "</span></a>",
        text,
        publish_url(protocol),
        protocol,
    )


class ProtocolChangeList(ChangeList):
    """The protocols' list: each row knows its unpublished changes, counted for the page's
    rows at once (selectors/edition_text.unpublished_change_counts: bounded queries, cached
    under each protocol's version), never one diff per row."""

    def get_results(self, request):
        super().get_results(request)
        counts = unpublished_change_counts(self.result_list)
        can_publish = can_edit_structure(request.user)
        for protocol in self.result_list:
            protocol.unpublished_markup = unpublished_markup(
                protocol, counts.get(protocol.pk), can_publish
            )


@admin.register(Protocol)
class ProtocolAdmin(StructureAdmin):
    list_display = (
        "title",
        "territory",
        "deliberation_reference",
        "period",
        "last_changed_at",
        "unpublished_changes",
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

    def get_changelist(self, request, **kwargs):
        return ProtocolChangeList

    @admin.display(description="Modifications non publiées")
    def unpublished_changes(self, obj):
        return getattr(obj, "unpublished_markup", "")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            count = unpublished_change_counts([obj]).get(obj.pk)
            context["unpublished_notice"] = {
                "count": count,
                "markup": unpublished_markup(obj, count, can_edit_structure(request.user)),
                "changes_url": reverse("edition_changes", kwargs={"slug": obj.territory.slug}),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)


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
