"""Optimistic concurrency: a save based on a stale page is refused — the one stale-form
protection of the portal, for the admin and the tracking space alike.

The model carries a `version` counter, incremented by every change of the row (and, for a
tracked commitment, by every progress update recorded or deleted: services/progress_rule.py).
A form carries the version the page was loaded with, in a hidden `version` field. The check
runs INSIDE the transaction that writes, with the row locked (`check_version`: SELECT … FOR
UPDATE on PostgreSQL; SQLite's transactions take the write lock when they begin, settings.py),
so that of two people saving the same row at the same instant one saves and the other, who
waited for the lock, finds the new version: refused (`VersionConflict`), their input kept on
screen, the hidden field then carrying the current version, so that saving the same form again
is a deliberate choice to replace that version.

- `check_version(instance, loaded_version)`: the check itself, for services.
- `VersionedModelForm`: a model form whose clean() runs the same check (the admin's change
  forms, run in the admin's transaction; the tracking space's pilot-and-years form, validated
  in the transaction that saves it).

Queries: one locked SELECT of the version per check; the conflict message reads the history.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from perer.lib.user_names import display_name


class VersionConflict(Exception):
    """The row's version is no longer the one the form was loaded with."""

    def __init__(self, current_version):
        super().__init__(f"version {current_version} since the form was loaded")
        self.current_version = current_version


def check_version(instance, loaded_version):
    """Lock `instance`'s row until the current transaction ends and return its version; raise
    VersionConflict when it is not `loaded_version` any more. Call it inside the transaction
    that writes (outside one, a lock would end at once: TransactionManagementError)."""
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("check_version runs in the transaction that writes")
    rows = type(instance)._default_manager.filter(pk=instance.pk).select_for_update()
    current = rows.values_list("version", flat=True).first()
    if current != loaded_version:
        raise VersionConflict(current)
    return current


def conflict_message(instance, loaded_version, current_version=None):
    """A French explanation of what changed in `instance` since `loaded_version` (who, when,
    which fields, from django-simple-history when it recorded the current version)."""
    current_version = instance.version if current_version is None else current_version
    details = ""
    history = getattr(type(instance), "history", None)
    if history is not None:
        records = history.filter(id=instance.pk).select_related("history_user")
        records = records.order_by("-history_date", "-history_id")
        latest = records.first()
        if latest is not None and latest.version == current_version:
            if latest.history_user is not None:
                details += f" par {display_name(latest.history_user)}"
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
    """A model form that refuses to overwrite a row changed since the form was loaded. Validate
    it in the transaction that saves it: clean() locks the row (`check_version`)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "version" in self.fields and self.instance.pk is not None:
            self.initial["version"] = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        assert cleaned_data is not None  # a ModelForm's clean() returns its cleaned_data
        field = self.fields.get("version")
        if field is None or field.disabled or self.instance.pk is None:
            return cleaned_data
        # A form equal to the current row writes nothing of the user's, except when reverting
        # to a past version (the form then starts from that version, not the current row).
        reverting = getattr(self.instance, "_perer_reverting", False)
        if not reverting and not set(self.changed_data) - {"version"}:
            return cleaned_data
        loaded_version = cleaned_data.get("version")
        try:
            check_version(self.instance, loaded_version)
        except VersionConflict as conflict:
            current = conflict.current_version
            # A QueryDict (a dict in some tests): both copy, where the stubs say Mapping.
            data = self.data.copy()  # type: ignore[attr-defined]
            data[self.add_prefix("version")] = "" if current is None else str(current)
            self.data = data
            raise ValidationError(
                conflict_message(self.instance, loaded_version, current), code="conflict"
            ) from None
        return cleaned_data
