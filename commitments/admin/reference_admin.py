"""The shared reference lists: thematics, partners, glossary, transversal axes.

Thematics and transversal axes are shown everywhere in their order: their lists have the
"Monter" / "Descendre" column of perer/lib/admin_ordering.py, whose moves go through
commitments/services/ordering.py. A new entry goes last. Saves and deletions go through
services/elements.py (admin/write_mixins.py), which records the change of every protocol.
"""

from django.contrib import admin
from django.db import models

from commitments.admin.write_mixins import ElementWritesMixin
from commitments.models import GlossaryTerm, Partner, Thematic, TransversalAxis
from commitments.services.ordering import move
from perer.lib.admin_mixins import AccentInsensitiveSearchMixin, ViewOnSiteMixin
from perer.lib.admin_ordering import ReorderListMixin as BaseReorderListMixin
from perer.lib.admin_wording import FrenchTitlesMixin


class ReorderListMixin(BaseReorderListMixin):
    def move_item(self, item, direction):
        return move(item, direction)


@admin.register(Thematic)
class ThematicAdmin(
    ReorderListMixin,
    FrenchTitlesMixin,
    AccentInsensitiveSearchMixin,
    ViewOnSiteMixin,
    ElementWritesMixin,
    admin.ModelAdmin,
):
    list_display = ("position", "short_name", "name", "slug", "site_link")
    list_display_links = ("short_name",)
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Partner)
class PartnerAdmin(
    FrenchTitlesMixin, AccentInsensitiveSearchMixin, ElementWritesMixin, admin.ModelAdmin
):
    list_display = ("name", "acronym", "kind", "website")
    list_filter = ("kind",)
    search_fields = ("name", "acronym", "aliases")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    prepopulated_fields = {"slug": ("name",)}


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(
    FrenchTitlesMixin, AccentInsensitiveSearchMixin, ElementWritesMixin, admin.ModelAdmin
):
    list_display = ("term", "expansion")
    search_fields = ("term", "expansion", "definition")
    prepopulated_fields = {"slug": ("term",)}


@admin.register(TransversalAxis)
class TransversalAxisAdmin(
    ReorderListMixin,
    FrenchTitlesMixin,
    AccentInsensitiveSearchMixin,
    ElementWritesMixin,
    admin.ModelAdmin,
):
    list_display = ("position", "name", "slug")
    list_display_links = ("name",)
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
