"""The shared reference lists: thematics, partners, glossary, transversal axes."""

from adminsortable2.admin import SortableAdminMixin
from django.contrib import admin
from django.db import models

from commitments.models import GlossaryTerm, Partner, Protocol, Thematic, TransversalAxis
from perer.lib.admin_mixins import AccentInsensitiveSearchMixin, ViewOnSiteMixin


class TouchAllOnReorderMixin(SortableAdminMixin):
    """Drag-and-drop reordering writes with bulk_update (no signals): every protocol shows
    these lists, so every protocol's pages and PDF are marked as changed."""

    def _update_order(self, updated_items, extra_model_filters):
        count = super()._update_order(updated_items, extra_model_filters)
        Protocol.objects.all().touch()
        return count


@admin.register(Thematic)
class ThematicAdmin(
    TouchAllOnReorderMixin, AccentInsensitiveSearchMixin, ViewOnSiteMixin, admin.ModelAdmin
):
    list_display = ("position", "short_name", "name", "slug", "site_link")
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Partner)
class PartnerAdmin(AccentInsensitiveSearchMixin, admin.ModelAdmin):
    list_display = ("name", "acronym", "kind", "website")
    list_filter = ("kind",)
    search_fields = ("name", "acronym", "aliases")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    prepopulated_fields = {"slug": ("name",)}


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(AccentInsensitiveSearchMixin, admin.ModelAdmin):
    list_display = ("term", "expansion")
    search_fields = ("term", "expansion", "definition")
    prepopulated_fields = {"slug": ("term",)}


@admin.register(TransversalAxis)
class TransversalAxisAdmin(TouchAllOnReorderMixin, AccentInsensitiveSearchMixin, admin.ModelAdmin):
    list_display = ("position", "name", "slug")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
