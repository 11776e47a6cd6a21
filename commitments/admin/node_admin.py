"""Strategic objectives → operational objectives → actions, and what every level of the tree
shares in the admin: the children's inline, their "Monter" / "Descendre" buttons, the
breadcrumb trail through the hierarchy.

Reordering: the buttons of a parent's inline belong to a separate form (#ordre-form, after the
change form, so that Enter in a field still saves the change form) posting to the parent's
`<id>/ordre/` view, which calls commitments/services/ordering.move — the only code changing a
position; a new child goes last (services/elements.save_element). Saves and deletions, the
inlines' rows included, go through the services (admin/write_mixins.py). The page comes back
with the focus on the moved element's button, so that pressing Enter again moves it further.

Queries: the breadcrumb trail reads nothing (the ancestors come with the object, `with_tree()`);
the children's rows, names and buttons read nothing per row (an objective's form: the same
count with 2 or 25 actions). A move: perer/lib/reorder.py's budget.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from commitments.admin.breadcrumbs import trail
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
from commitments.admin.write_mixins import ElementWritesMixin
from commitments.models import Action, OperationalObjective, StrategicObjective
from commitments.permissions import can_edit_structure
from commitments.services.ordering import (
    PARENT_FIELDS,
    OrderingError,
    move,
    parent_field,
)
from commitments.services.spreadsheet import (
    ActionTrackingResource,
    OperationalObjectiveTrackingResource,
)
from commitments.services.undelete import UndeleteError, deleted_items, undelete
from perer.lib.admin_mixins import AccentInsensitiveSearchMixin, ViewOnSiteMixin, is_lookup_value
from perer.lib.admin_ordering import DIRECTIONS, moved_message
from perer.lib.admin_wording import plural_participle

SHORT_TEXT = forms.Textarea(attrs={"rows": 2, "cols": 50})
# Tabular inlines whose rows and fields are named for assistive technologies.
LABELLED_TABULAR = "admin/edit_inline/tabular_labelled.html"


class TreeInline(StructureInlineMixin, VersionedInlineMixin, admin.TabularInline):
    """Children of a protocol element, in order; the parent's form moves them up and down."""

    template = LABELLED_TABULAR
    ordering = ("position",)
    extra = 0
    show_change_link = True

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "text":
            kwargs["widget"] = SHORT_TEXT
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class TreeFormMixin:
    """For the ModelAdmins of the protocol tree: the breadcrumb trail through the hierarchy on
    the change form, a new element placed last, and the reorder view of the children shown by
    `reorder_inline` (None: no children)."""

    reorder_inline = None

    @property
    def ordered(self):
        return self.model in PARENT_FIELDS

    def get_fieldsets(self, request, obj=None):
        # The position is shown, never typed: new elements go last, the parent's buttons move them.
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None or not self.ordered:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "position"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "position"] if self.ordered else readonly

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["tree_trail"] = trail(obj, self.admin_site.name)
            if self.reorder_inline is not None and can_edit_structure(request.user):
                context["reorder_url"] = reverse(
                    f"{self.admin_site.name}:{self.url_name('reorder')}", args=[obj.pk]
                )
                moved_pk, _, moved_dir = request.GET.get("deplace", "").partition("-")
                context.update(moved_pk=moved_pk, moved_dir=moved_dir)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def url_name(self, view):
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self):
        if self.reorder_inline is None:
            return super().get_urls()
        return [
            path(
                "<path:object_id>/ordre/",
                self.admin_site.admin_view(self.reorder_view),
                name=self.url_name("reorder"),
            ),
        ] + super().get_urls()

    def reorder_view(self, request, object_id):
        """POST deplacer=<child id>:<monter|descendre>: move that child among its siblings."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        parent = self.get_object(request, unquote(object_id))
        if parent is None:
            raise Http404
        if not (can_edit_structure(request.user) and self.has_change_permission(request, parent)):
            raise PermissionDenied
        change_url = reverse(f"{self.admin_site.name}:{self.url_name('change')}", args=[parent.pk])
        model = self.reorder_inline.model
        pk, _, word = request.POST.get("deplacer", "").partition(":")
        child = None
        if word in DIRECTIONS and is_lookup_value(model._meta.pk, pk):
            siblings = {f"{parent_field(model)}_id": parent.pk}
            child = model._default_manager.filter(pk=pk, **siblings).first()
        if child is None:
            self.message_user(request, "Élément à déplacer inconnu.", messages.ERROR)
            return redirect(change_url)
        try:
            other = move(child, DIRECTIONS[word])
        except OrderingError as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect(change_url)
        self.message_user(request, *moved_message(child, other, word))
        return redirect(f"{change_url}?deplace={child.pk}-{word}")


class OperationalObjectiveInline(TreeInline):
    model = OperationalObjective
    fields = ("text", "status", "progress", "version")
    readonly_fields = ("status", "progress")  # the latest progress update's


class ActionInline(TreeInline):
    model = Action
    fields = ("text", "status", "progress", "version")
    readonly_fields = ("status", "progress")  # the latest progress update's


class NodeAdmin(
    TreeFormMixin,
    RoleAdminMixin,
    ConcurrencyAdminMixin,
    AccentInsensitiveSearchMixin,
    ViewOnSiteMixin,
    ElementWritesMixin,
    HistoryAdmin,
):
    """What the three levels share: roles, versions, search, history, restore of deletions;
    writes through the services (ElementWritesMixin).

    The lists show, filter and select each row's place in the tree through the model's
    `tree` path (the per-object role checks read the territory without extra queries)."""

    search_fields = ("text", "details")
    change_list_template = "admin/commitments/node_change_list.html"
    history_list_display = ["version"]
    list_per_page = 50
    list_filter = (TerritoryFilter, ThematicFilter)
    undelete_template = "admin/commitments/undelete.html"

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
                result = undelete(self.model, pk, user=request.user)
            except UndeleteError as error:
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
            "title": plural_participle(self.opts, "supprimé"),
            "opts": self.opts,
            "items": deleted_items(self.model),
        }
        return TemplateResponse(request, self.undelete_template, context)


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(NodeAdmin):
    list_display = ("short_text", "section", "territory", "position", "site_link")
    list_filter = (*NodeAdmin.list_filter, "axes")
    autocomplete_fields = ("section", "partners", "axes")
    inlines = [OperationalObjectiveInline]
    reorder_inline = OperationalObjectiveInline
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
    recorded in the tracking space (link on the form) or by the bulk action."""

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
        place = ("position",) if obj else ()  # a new element goes last
        return (
            (None, {"fields": (self.parent, *place, "text", "details", "version")}),
            ("Suivi", {"fields": (*tracking, "lead", "start_year", "end_year")}),
            ("Partenaires et axes transversaux", {"fields": ("partners", "axes")}),
        )

    @admin.display(description="point d'avancement")
    def record_update_link(self, obj):
        return format_html(
            "<a href=\"{}\">Enregistrer un point d'avancement</a> (le statut et l'avancement "
            "sont ceux du dernier point daté)",
            obj.get_tracking_url(),
        )


@admin.register(OperationalObjective)
class OperationalObjectiveAdmin(TrackedAdmin):
    parent = "strategic_objective"
    inlines = [ActionInline, ObjectiveProgressUpdateInline]
    reorder_inline = ActionInline
    resource_classes = [OperationalObjectiveTrackingResource]


@admin.register(Action)
class ActionAdmin(TrackedAdmin):
    parent = "operational_objective"
    inlines = [ActionProgressUpdateInline]
    resource_classes = [ActionTrackingResource]
