"""Territories, and which city project leads are attached to them; users, with the state of
their two-factor authentication (territories/two_factor.py) and its reset, and their link to
ProConnect (territories/proconnect/admission.py) and its removal.

Need-to-know (territories/roles.py `sees_people_of`): a city lead sees the memberships of the
territories they lead only — the list, the territory's inline, each membership's pages — (who
else reports on their own city; not every city's leads and their email addresses), and the
change history of those territories only."""

import logging

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils.formats import date_format
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from perer.lib.admin_mixins import AccentInsensitiveSearchMixin, ViewOnSiteMixin
from perer.lib.admin_ordering import ReorderListMixin
from perer.lib.admin_wording import FrenchTitlesMixin
from territories import two_factor
from territories.changes import territories_changed
from territories.models import Territory, TerritoryMembership
from territories.proconnect import admission
from territories.roles import people_visible_to, sees_people_of


class MembershipInline(admin.TabularInline):
    model = TerritoryMembership
    template = "admin/edit_inline/tabular_labelled.html"  # rows and fields named
    extra = 0
    verbose_name = "chef de projet rattaché"
    verbose_name_plural = "chefs de projet rattachés (groupe « Chef de projet ville »)"

    def get_queryset(self, request):
        memberships = super().get_queryset(request).select_related("user", "territory")
        return people_visible_to(request.user, memberships, "territory")

    def has_view_permission(self, request, obj=None):
        if isinstance(obj, Territory) and not sees_people_of(request.user, obj.pk):
            return False
        return super().has_view_permission(request, obj)


@admin.register(Territory)
class TerritoryAdmin(
    ReorderListMixin,  # "Monter" / "Descendre"
    FrenchTitlesMixin,
    AccentInsensitiveSearchMixin,
    ViewOnSiteMixin,
    admin.ModelAdmin,
):
    list_display = ("position", "name", "kind", "department", "parent", "site_link")
    list_display_links = ("name",)
    list_select_related = ("parent",)
    list_filter = ("kind", "department")
    search_fields = ("name", "slug", "insee_code")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]

    def history_view(self, request, object_id, extra_context=None):
        territory = self.get_object(request, unquote(object_id))
        if territory is not None and not sees_people_of(request.user, territory.pk):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["history_hidden"] = not sees_people_of(request.user, obj.pk)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Every write announces itself: the protocols' pages and PDFs show the territories
    # (territories/changes.py).
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        territories_changed.send(sender=Territory, territories=[obj])

    def delete_model(self, request, obj):
        territories_changed.send(sender=Territory, territories=[obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        territories_changed.send(sender=Territory, territories=queryset)
        super().delete_queryset(request, queryset)

    def move_item(self, item, direction):
        other = super().move_item(item, direction)
        territories_changed.send(sender=Territory, territories=[item])
        return other


@admin.register(TerritoryMembership)
class TerritoryMembershipAdmin(FrenchTitlesMixin, admin.ModelAdmin):
    list_display = ("user", "territory", "created_at")
    list_select_related = ("user", "territory")
    list_filter = ("territory",)
    search_fields = ("user__username", "user__last_name", "user__email", "territory__name")

    def get_queryset(self, request):
        return people_visible_to(request.user, super().get_queryset(request), "territory")


class UserMembershipInline(MembershipInline):
    fk_name = "user"
    verbose_name = "territoire suivi"
    verbose_name_plural = "territoires suivis (pour le groupe « Chef de projet ville »)"


User = get_user_model()
logger = logging.getLogger("perer.security")
if admin.site.is_registered(User):
    admin.site.unregister(User)


# Devices are managed from the user admin (state, reset), never by hand: no keys in the admin.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


class TwoFactorFilter(admin.SimpleListFilter):
    title = "double authentification"
    parameter_name = "double_authentification"

    def lookups(self, request, model_admin):
        return [("activee", "activée"), ("non_activee", "non activée")]

    def queryset(self, request, queryset):
        if self.value() == "activee":
            return queryset.filter(two_factor_since__isnull=False)
        if self.value() == "non_activee":
            return queryset.filter(two_factor_since__isnull=True)
        return queryset


# Django's group admin, with the page titles in French.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(FrenchTitlesMixin, BaseGroupAdmin):
    pass


@admin.register(User)
class UserAdmin(FrenchTitlesMixin, BaseUserAdmin):
    inlines = [*BaseUserAdmin.inlines, UserMembershipInline]
    list_display = (*BaseUserAdmin.list_display, "two_factor_state", "proconnect_state")
    list_filter = (
        *BaseUserAdmin.list_filter,
        TwoFactorFilter,
        "territory_memberships__territory",
    )
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Double authentification", {"fields": ("two_factor_state",)}),
        ("ProConnect", {"fields": ("proconnect_state",)}),
    )
    readonly_fields = ("two_factor_state", "proconnect_state")
    actions = ["reset_two_factor", "unlink_proconnect"]

    def get_queryset(self, request):
        users = super().get_queryset(request).select_related("proconnect_link")
        return two_factor.with_enrolment_date(users)

    @admin.display(description="ProConnect", ordering="proconnect_link__linked_at")
    def proconnect_state(self, user):
        link = getattr(user, "proconnect_link", None)
        if link is None:
            return "non relié"
        return f"relié le {date_format(link.linked_at, 'SHORT_DATE_FORMAT')} ({link.email})"

    @admin.action(
        description="Retirer le lien ProConnect (la prochaine connexion le refait par l'adresse)",
        permissions=["change"],
    )
    def unlink_proconnect(self, request, queryset):
        """Remove the selected users' links to ProConnect."""
        self._security_action(
            request,
            queryset,
            admission.unlink,
            history="Lien ProConnect retiré.",
            log="Lien ProConnect de %s retiré par %s",
            done="Lien ProConnect retiré pour {count} compte(s) : {names}. À leur prochaine "
            "connexion avec ProConnect, ils sont reconnus par leur adresse électronique.",
            none="Aucun des comptes choisis n'était relié à ProConnect.",
        )

    @admin.display(description="double authentification", ordering="two_factor_since")
    def two_factor_state(self, user):
        since = getattr(user, "two_factor_since", None)
        if since is None:
            return "non activée"
        return f"activée le {date_format(since, 'SHORT_DATE_FORMAT')}"

    @admin.action(
        description="Réinitialiser la double authentification (téléphone perdu)",
        permissions=["change"],
    )
    def reset_two_factor(self, request, queryset):
        """Remove the devices of the selected users."""
        self._security_action(
            request,
            queryset,
            two_factor.reset,
            history="Double authentification réinitialisée (appareils supprimés).",
            log="Double authentification de %s réinitialisée par %s",
            done="Double authentification réinitialisée pour {count} compte(s) : {names}. Ils "
            "se connectent avec leur mot de passe puis l'activent de nouveau (obligatoire pour "
            "l'agglomération quand le réglage l'exige).",
            none="Aucun des comptes choisis n'avait de double authentification.",
        )

    def _security_action(self, request, queryset, apply, *, history, log, done, none):
        """`apply(user)` (True when it changed something) to each selected user; each change
        recorded in the user's history and the `perer.security` log (`log` % (user, staff))."""
        changed = []
        for user in queryset:
            if apply(user):
                self.log_change(request, user, history)
                logger.warning(log, user.get_username(), request.user.get_username())
                changed.append(user.get_username())
        if changed:
            message = done.format(count=len(changed), names=", ".join(changed))
            self.message_user(request, message, messages.SUCCESS)
        else:
            self.message_user(request, none, messages.WARNING)
