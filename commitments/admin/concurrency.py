"""Optimistic concurrency for the admin: a save based on a stale page is refused.

Every protocol node carries a `version` counter incremented on each save (Node.save). The
change form and the editable list carry the version the page was loaded with, in a hidden
field; if the row's version changed since, the save is refused with a message saying who
changed what, and the user's input stays on screen. The hidden field then carries the current
version, so that saving the same form again is a deliberate choice to replace that version.
"""

import contextlib

from django import forms
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone


def conflict_message(instance, loaded_version):
    """A French explanation of what changed in `instance` since `loaded_version`."""
    details = ""
    history = getattr(type(instance), "history", None)
    if history is not None:
        records = history.filter(id=instance.pk).select_related("history_user")
        records = records.order_by("-history_date", "-history_id")
        latest = records.first()
        if latest is not None and latest.version == instance.version:
            user = latest.history_user
            if user is not None:
                details += f" par {user.get_full_name() or user.get_username()}"
            when = timezone.localtime(latest.history_date)
            details += f" le {when:%d/%m/%Y à %H:%M}"
            loaded = records.filter(version=loaded_version).first()
            if loaded is not None and loaded.pk != latest.pk:
                delta = latest.diff_against(loaded, excluded_fields=["version", "updated_at"])
                names = [
                    str(instance._meta.get_field(change.field).verbose_name)
                    for change in delta.changes
                ]
                if names:
                    details += f" (champs modifiés : {', '.join(names)})"
    return (
        f"Cet élément a été modifié{details} depuis que vous avez ouvert cette page. Votre "
        "saisie n'a pas été enregistrée ; elle est conservée ci-dessous. Ouvrez l'élément dans "
        "un autre onglet pour voir sa version actuelle : enregistrer à nouveau ce formulaire "
        "remplacera cette version par votre saisie."
    )


class VersionedModelForm(forms.ModelForm):
    """A model form that refuses to overwrite a row changed since the form was loaded."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "version" in self.fields and self.instance.pk is not None:
            self.initial["version"] = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        field = self.fields.get("version")
        if field is None or field.disabled or self.instance.pk is None:
            return cleaned_data
        # A form equal to the current row writes nothing of the user's, except when reverting
        # to a past version (the form then starts from that version, not the current row).
        reverting = getattr(self.instance, "_perer_reverting", False)
        if not reverting and not set(self.changed_data) - {"version"}:
            return cleaned_data
        # self.instance still holds the row as read at the start of this request.
        loaded_version = cleaned_data.get("version")
        if loaded_version != self.instance.version:
            message = conflict_message(self.instance, loaded_version)
            self.data = self.data.copy()
            self.data[self.add_prefix("version")] = str(self.instance.version)
            raise ValidationError(message, code="conflict")
        return cleaned_data


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
