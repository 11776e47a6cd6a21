"""Small ModelAdmin mixins shared by the commitments and territories admins."""

from django.contrib import admin
from django.db import connection
from django.utils.html import format_html

from perer.lib.text import fold_accents


class AccentInsensitiveSearchMixin:
    """« evry » finds « Évry » and « Évry » finds « evry ».

    PostgreSQL compares unaccent(column) with the unaccented terms (the unaccent extension is
    created by migration commitments 0002_search). SQLite has no unaccent: plain icontains.
    """

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if connection.vendor != "postgresql":
            return fields
        return [name if name[:1] in "^=@" else f"{name}__unaccent__icontains" for name in fields]

    def get_search_results(self, request, queryset, search_term):
        if connection.vendor == "postgresql":
            search_term = fold_accents(search_term)
        return super().get_search_results(request, queryset, search_term)


class ViewOnSiteMixin:
    """ "Voir sur le site" on the change form and a link column for the lists."""

    def view_on_site(self, obj):
        return obj.get_absolute_url()

    @admin.display(description="Sur le site")
    def site_link(self, obj):
        return format_html(
            '<a href="{}" title="Voir « {} » sur le site">Voir</a>', obj.get_absolute_url(), obj
        )
