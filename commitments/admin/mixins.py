"""Small ModelAdmin mixins shared by the commitments and territories admins."""

import unicodedata

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import connection, router, transaction
from django.urls import NoReverseMatch
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from commitments.permissions import can_edit_structure


def fold_accents(text):
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


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


def public_url(obj):
    """The object's page on the public site, or None while that page does not exist."""
    for name in ("get_absolute_url", "get_public_url"):
        method = getattr(obj, name, None)
        if method is None:
            continue
        try:
            return method()
        except NoReverseMatch:
            continue
    return None


class ViewOnSiteMixin:
    """ "Voir sur le site" on the change form and a link column for the lists."""

    def view_on_site(self, obj):
        return public_url(obj)

    @admin.display(description="Sur le site")
    def site_link(self, obj):
        url = public_url(obj)
        if url is None:
            return "—"
        return format_html('<a href="{}" title="Voir « {} » sur le site">Voir</a>', url, obj)


class HistoryAdmin(SimpleHistoryAdmin):
    """History of every change (who, when, before/after) with revert for the agglomeration."""

    def revert_disabled(self, request, obj=None):
        return super().revert_disabled(request, obj) or not can_edit_structure(request.user)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and self.revert_disabled(request):
            raise PermissionDenied
        request._perer_reverting = True
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().history_form_view(request, object_id, version_id, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and getattr(request, "_perer_reverting", False):
            self.use_current_version(request, obj)
        return super().get_form(request, obj, change, **kwargs)

    def use_current_version(self, request, obj):
        """A reverted object is saved on top of the current row: it takes the row's current
        version, so that the version keeps growing and concurrent edits are still caught."""
        if not hasattr(obj, "version"):
            return
        obj._perer_reverting = True
        rows = self.model._default_manager.filter(pk=obj.pk)
        if request.method == "POST" and connection.features.has_select_for_update:
            rows = rows.select_for_update()
        current = rows.values_list("version", flat=True).first()
        if current is not None:
            obj.version = current
