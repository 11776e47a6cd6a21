"""Territories, and which city project leads are attached to them."""

from adminsortable2.admin import SortableAdminMixin
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from perer.lib.admin_mixins import AccentInsensitiveSearchMixin, ViewOnSiteMixin
from territories.models import Territory, TerritoryMembership, territories_reordered


class MembershipInline(admin.TabularInline):
    model = TerritoryMembership
    extra = 0
    verbose_name = "chef de projet rattaché"
    verbose_name_plural = "chefs de projet rattachés (groupe « Chef de projet ville »)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "territory")


@admin.register(Territory)
class TerritoryAdmin(
    SortableAdminMixin, AccentInsensitiveSearchMixin, ViewOnSiteMixin, admin.ModelAdmin
):
    list_display = ("position", "name", "kind", "department", "parent", "site_link")
    list_select_related = ("parent",)
    list_filter = ("kind", "department")
    search_fields = ("name", "slug", "insee_code")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]

    def _update_order(self, updated_items, extra_model_filters):
        count = super()._update_order(updated_items, extra_model_filters)
        # bulk_update sends no post_save: say it, the order shows on every page.
        territories_reordered.send(sender=Territory)
        return count


@admin.register(TerritoryMembership)
class TerritoryMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "territory", "created_at")
    list_select_related = ("user", "territory")
    list_filter = ("territory",)
    search_fields = ("user__username", "user__last_name", "user__email", "territory__name")


class UserMembershipInline(MembershipInline):
    fk_name = "user"
    verbose_name = "territoire suivi"
    verbose_name_plural = "territoires suivis (pour le groupe « Chef de projet ville »)"


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [*BaseUserAdmin.inlines, UserMembershipInline]
    list_filter = (*BaseUserAdmin.list_filter, "territory_memberships__territory")
