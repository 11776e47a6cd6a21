"""The shared reference lists: thematics, partners, glossary, transversal axes.

Thematics and transversal axes are shown everywhere in their order: their lists have a
"Monter" / "Descendre" column (buttons of the separate #ordre-form,
templates/admin/commitments/reorderable_change_list.html) posting to `ordre/`, which calls
commitments/services/ordering.move — the only code changing a position (its saves mark every
protocol as changed, through the signals). A new entry goes last.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html

from commitments.models import GlossaryTerm, Partner, Thematic, TransversalAxis
from commitments.services.ordering import DOWN, UP, move, next_position
from perer.lib.admin_mixins import AccentInsensitiveSearchMixin, ViewOnSiteMixin, is_lookup_value
from perer.lib.admin_wording import FrenchTitlesMixin

DIRECTIONS = {"monter": UP, "descendre": DOWN}
BUTTON = (
    '<button type="submit" form="ordre-form" name="deplacer" value="{}:{}" id="deplacer-{}-{}" '
    'class="reorder-button">{}<span class="visually-hidden"> « {} »</span></button>'
)


class ReorderListMixin:
    """ModelAdmin mixin for a model ordered by `position` as a whole table."""

    change_list_template = "admin/commitments/reorderable_change_list.html"

    def url_name(self, view):
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self):
        return [
            path(
                "ordre/",
                self.admin_site.admin_view(self.reorder_view),
                name=self.url_name("reorder"),
            )
        ] + super().get_urls()

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self.has_change_permission(request):
            columns.insert(1, "reorder_buttons")
        return columns

    @admin.display(description="déplacer")
    def reorder_buttons(self, obj):
        return format_html(
            '<span class="reorder">{} {}</span>',
            format_html(BUTTON, obj.pk, "monter", obj.pk, "monter", "Monter", obj),
            format_html(BUTTON, obj.pk, "descendre", obj.pk, "descendre", "Descendre", obj),
        )

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if obj is not None else [name for name in fields if name != "position"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "position"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.position = next_position(type(obj))
        super().save_model(request, obj, form, change)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.has_change_permission(request):
            extra_context["reorder_url"] = reverse(
                f"{self.admin_site.name}:{self.url_name('reorder')}"
            )
        return super().changelist_view(request, extra_context)

    def reorder_view(self, request):
        """POST deplacer=<id>:<monter|descendre>: move that entry up or down the list."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        changelist = reverse(f"{self.admin_site.name}:{self.url_name('changelist')}")
        pk, _, word = request.POST.get("deplacer", "").partition(":")
        item = None
        if word in DIRECTIONS and is_lookup_value(self.opts.pk, pk):
            item = self.model._default_manager.filter(pk=pk).first()
        if item is None:
            self.message_user(request, "Élément à déplacer inconnu.", messages.ERROR)
            return redirect(changelist)
        other = move(item, DIRECTIONS[word])
        if other is None:
            where = "première" if word == "monter" else "dernière"
            self.message_user(request, f"« {item} » est déjà en {where} position.", messages.INFO)
        else:
            where = "avant" if word == "monter" else "après"
            self.message_user(request, f"Ordre modifié : « {item} » passe {where} « {other} ».")
        return redirect(f"{changelist}#deplacer-{item.pk}-{word}")


@admin.register(Thematic)
class ThematicAdmin(
    ReorderListMixin,
    FrenchTitlesMixin,
    AccentInsensitiveSearchMixin,
    ViewOnSiteMixin,
    admin.ModelAdmin,
):
    list_display = ("position", "short_name", "name", "slug", "site_link")
    list_display_links = ("short_name",)
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Partner)
class PartnerAdmin(FrenchTitlesMixin, AccentInsensitiveSearchMixin, admin.ModelAdmin):
    list_display = ("name", "acronym", "kind", "website")
    list_filter = ("kind",)
    search_fields = ("name", "acronym", "aliases")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    prepopulated_fields = {"slug": ("name",)}


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(FrenchTitlesMixin, AccentInsensitiveSearchMixin, admin.ModelAdmin):
    list_display = ("term", "expansion")
    search_fields = ("term", "expansion", "definition")
    prepopulated_fields = {"slug": ("term",)}


@admin.register(TransversalAxis)
class TransversalAxisAdmin(
    ReorderListMixin, FrenchTitlesMixin, AccentInsensitiveSearchMixin, admin.ModelAdmin
):
    list_display = ("position", "name", "slug")
    list_display_links = ("name",)
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
