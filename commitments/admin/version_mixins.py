"""Optimistic concurrency for the admin: a save based on a stale page is refused.

Every protocol node carries a `version` counter incremented on each save (Node.save). The
change form and the editable list carry the version the page was loaded with, in a hidden
field; if the row's version changed since, the save is refused with a message saying who
changed what, and the user's input stays on screen. The hidden field then carries the current
version, so that saving the same form again is a deliberate choice to replace that version.

The same mechanism as the tracking space's (perer/lib/concurrency.py): the form's clean()
runs `check_version`, which locks the row, and Django's change view validates and saves in one
transaction (simple-history's revert too, admin/history.py) — so the check runs inside the
transaction that writes, as the services' do. An editable list would validate outside it:
give one a transaction before using VersionedModelForm there.
"""

import contextlib

from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from perer.lib.concurrency import VersionedModelForm


class VersionedInlineMixin:
    """Inline rows are versioned too (see ConcurrencyAdminMixin.get_form)."""

    form = VersionedModelForm

    def get_formset(self, request, obj=None, **kwargs):
        fields = kwargs.get("fields")
        if fields is None:
            fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = [name for name in fields if name != "version"]
        return super().get_formset(request, obj, **kwargs)


class ConcurrencyAdminMixin:
    """ModelAdmin mixin: versioned forms, row lock while a change is saved."""

    form = VersionedModelForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        # "version" is a declared form field, not an editable model field: keep it out of the
        # model fields the form is built from (it is always included as a declared field).
        fields = kwargs.get("fields")
        if fields is None:
            fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = [name for name in fields if name != "version"]
        return super().get_form(request, obj, change, **kwargs)

    def get_object(self, request, object_id, from_field=None):
        # Lock the row until the admin's transaction commits, so that the version the form
        # checks is the one the save replaces (PostgreSQL; SQLite serialises writers anyway).
        if (
            request.method == "POST"
            and from_field is None
            and connection.features.has_select_for_update
            and transaction.get_connection().in_atomic_block
        ):
            # A malformed id: super() answers "not found".
            with contextlib.suppress(ValidationError, ValueError):
                list(self.model._default_manager.select_for_update().filter(pk=object_id))
        return super().get_object(request, object_id, from_field)

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", self.changelist_form_class(request))
        return super().get_changelist_form(request, **kwargs)

    def changelist_form_class(self, request):
        return VersionedModelForm
