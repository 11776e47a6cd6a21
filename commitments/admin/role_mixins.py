"""The role rules of commitments/permissions.py applied to ModelAdmins and inlines.

The Django model permission (granted through the groups) is required first; the role rule
then narrows it per object. Everything is checked on the server: the querysets, the
`has_*_permission` methods, the read-only fields and the save itself.
"""

from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied

from commitments.models import TRACKING_FIELDS
from commitments.permissions import (
    can_correct_updates,
    can_edit_structure,
    can_edit_tracking,
    can_see_activity,
)


class RoleAdminMixin:
    """For the protocol tree's ModelAdmins: structure for the agglomeration, tracking fields
    for the city leads of the object's territory."""

    def has_add_permission(self, request):
        return super().has_add_permission(request) and can_edit_structure(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_edit_structure(request.user)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return can_edit_structure(request.user) or can_edit_tracking(request.user, obj)

    def tracking_only(self, request, obj):
        """True when the user may change this object's tracking fields and nothing else."""
        return (
            obj is not None
            and not can_edit_structure(request.user)
            and can_edit_tracking(request.user, obj)
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self.tracking_only(request, obj):
            editable = {*TRACKING_FIELDS, "version"}
            readonly += [
                name
                for name in flatten_fieldsets(self.get_fieldsets(request, obj))
                if name not in editable and name not in readonly
            ]
        return readonly

    def save_model(self, request, obj, form, change):
        if change and not can_edit_structure(request.user):
            # Defence in depth: the form already excludes everything else.
            structural = set(form.changed_data) - {*TRACKING_FIELDS, "version"}
            if not can_edit_tracking(request.user, obj) or structural:
                raise PermissionDenied
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        if not can_edit_structure(request.user):
            raise PermissionDenied
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        if not can_edit_structure(request.user):
            raise PermissionDenied
        super().delete_queryset(request, queryset)


class StructureInlineMixin:
    """Inlines listing children of a protocol element: only the agglomeration edits them."""

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and can_edit_structure(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_edit_structure(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_edit_structure(request.user)


class ProgressUpdateInlinePermissions:
    """The timeline inline is read-only: updates are recorded in the tracking space; only
    the agglomeration deletes one (the rule then restores the one before it). It is shown to
    whoever may see who reported on the commitment (can_see_activity: a city lead, on their own
    territories' commitments)."""

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or can_see_activity(request.user, obj))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_correct_updates(request.user)
