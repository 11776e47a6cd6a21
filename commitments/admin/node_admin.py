"""Strategic objectives → operational objectives → actions."""

from adminsortable2.admin import SortableAdminBase, SortableTabularInline
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from commitments.admin.history import HistoryAdmin
from commitments.admin.list_filters import (
    TerritoryFilter,
    ThematicFilter,
    opens_on_own_territories,
)
from commitments.admin.role_mixins import RoleAdminMixin, StructureInlineMixin
from commitments.admin.spreadsheets import TrackingImportExportMixin
from commitments.admin.update_admin import (
    ActionProgressUpdateInline,
    ObjectiveProgressUpdateInline,
    RecordUpdateMixin,
)
from commitments.admin.version_mixins import (
    ConcurrencyAdminMixin,
    VersionedInlineMixin,
)
from commitments.models import Action, OperationalObjective, StrategicObjective
from commitments.permissions import can_edit_structure
from commitments.services.restore import RestoreError, deleted_items, restore_deleted
from commitments.services.spreadsheet import (
    ActionTrackingResource,
    OperationalObjectiveTrackingResource,
)
from perer.lib.admin_mixins import AccentInsensitiveSearchMixin, ViewOnSiteMixin

SHORT_TEXT = forms.Textarea(attrs={"rows": 2, "cols": 60})


class TreeInline(StructureInlineMixin, VersionedInlineMixin, SortableTabularInline):
    """Children of a protocol element, reorderable by drag and drop."""

    ordering = ("position",)
    extra = 0
    show_change_link = True

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "text":
            kwargs["widget"] = SHORT_TEXT
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class OperationalObjectiveInline(TreeInline):
    model = OperationalObjective
    fields = ("text", "status", "progress", "version")
    readonly_fields = ("status", "progress")  # the latest progress update's


class ActionInline(TreeInline):
    model = Action
    fields = ("text", "status", "progress", "version")
    readonly_fields = ("status", "progress")  # the latest progress update's


class NodeAdmin(
    RoleAdminMixin,
    ConcurrencyAdminMixin,
    AccentInsensitiveSearchMixin,
    ViewOnSiteMixin,
    SortableAdminBase,
    HistoryAdmin,
):
    """What the three levels share: roles, versions, search, history, restore of deletions.

    The lists show, filter and select each row's place in the tree through the model's
    `tree` path (the per-object role checks read the territory without extra queries)."""

    search_fields = ("text", "details")
    change_list_template = "admin/commitments/node_change_list.html"
    history_list_display = ["version"]
    list_per_page = 50
    list_filter = (TerritoryFilter, ThematicFilter)
    restore_template = "admin/commitments/restore_deleted.html"

    def get_queryset(self, request):
        return super().get_queryset(request).with_tree()

    @admin.display(description="territoire")
    def territory(self, obj):
        return obj.territory

    @admin.display(description="intitulé", ordering="text")
    def short_text(self, obj):
        return Truncator(obj.text).chars(110)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("text", "details", "operational_heading"):
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3, "cols": 80})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_urls(self):
        return [
            path(
                "supprimes/",
                self.admin_site.admin_view(self.deleted_view),
                name=self.url_name("deleted"),
            ),
        ] + super().get_urls()

    def url_name(self, view):
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def changelist_view(self, request, extra_context=None):
        own = opens_on_own_territories(request)
        if own is not None:
            return redirect(own)
        extra_context = extra_context or {}
        if can_edit_structure(request.user):
            extra_context["deleted_url"] = reverse(f"admin:{self.url_name('deleted')}")
        return super().changelist_view(request, extra_context)

    def deleted_view(self, request):
        """Deleted elements still missing, with a button restoring each one and its children."""
        if not (can_edit_structure(request.user) and self.has_add_permission(request)):
            raise PermissionDenied
        if request.method == "POST":
            try:
                pk = int(request.POST.get("object_id", ""))
            except ValueError:
                self.message_user(request, "Élément inconnu.", messages.ERROR)
                return redirect(request.path)
            try:
                result = restore_deleted(self.model, pk, user=request.user)
            except RestoreError as error:
                self.message_user(request, str(error), messages.ERROR)
                return redirect(request.path)
            restored = result.restored[0]
            self.message_user(
                request,
                f"« {restored} » est restauré, avec {len(result.restored) - 1} élément(s) "
                "supprimé(s) en même temps.",
                messages.SUCCESS,
            )
            return redirect(f"admin:{self.url_name('change')}", restored.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{self.opts.verbose_name_plural.capitalize()} supprimés",
            "opts": self.opts,
            "items": deleted_items(self.model),
        }
        return TemplateResponse(request, self.restore_template, context)


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(NodeAdmin):
    list_display = ("short_text", "section", "territory", "position", "site_link")
    list_filter = (*NodeAdmin.list_filter, "axes")
    autocomplete_fields = ("section", "partners", "axes")
    inlines = [OperationalObjectiveInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "section",
                    "position",
                    "subheading",
                    "text",
                    "details",
                    "operational_heading",
                    "version",
                )
            },
        ),
        ("Partenaires et axes transversaux", {"fields": ("partners", "axes")}),
    )


class TrackedAdmin(TrackingImportExportMixin, RecordUpdateMixin, NodeAdmin):
    """Operational objectives and actions: the commitments that are tracked. Subclasses set
    `parent` (the foreign key to the level above), `inlines` and `resource_classes`.

    Status and progress are shown, never edited: they are those of the latest progress update,
    recorded in the reporting space (link on the form) or by the bulk action."""

    parent = ""
    list_display = ("short_text", "status", "progress", "lead", "territory", "site_link")
    list_filter = (
        *NodeAdmin.list_filter,
        "status",
        ("lead", admin.RelatedOnlyFieldListFilter),
        "axes",
    )
    readonly_fields = ("status", "progress", "record_update_link")

    def get_autocomplete_fields(self, request):
        return (self.parent, "lead", "partners", "axes")

    def get_fieldsets(self, request, obj=None):
        tracking = ("status", "progress", "record_update_link") if obj else ()
        return (
            (None, {"fields": (self.parent, "position", "text", "details", "version")}),
            ("Suivi", {"fields": (*tracking, "lead", "start_year", "end_year")}),
            ("Partenaires et axes transversaux", {"fields": ("partners", "axes")}),
        )

    @admin.display(description="point d'avancement")
    def record_update_link(self, obj):
        return format_html(
            "<a href=\"{}\">Enregistrer un point d'avancement</a> (le statut et l'avancement "
            "sont ceux du dernier point daté)",
            obj.get_reporting_url(),
        )


@admin.register(OperationalObjective)
class OperationalObjectiveAdmin(TrackedAdmin):
    parent = "strategic_objective"
    inlines = [ActionInline, ObjectiveProgressUpdateInline]
    resource_classes = [OperationalObjectiveTrackingResource]


@admin.register(Action)
class ActionAdmin(TrackedAdmin):
    parent = "operational_objective"
    inlines = [ActionProgressUpdateInline]
    resource_classes = [ActionTrackingResource]
