"""Optimistic concurrency for model forms: a save based on a stale page is refused.

The model carries a `version` counter incremented on each save. The form carries the version
the page was loaded with, in a hidden field; if the row's version changed since, the save is
refused with a message saying who changed what (from django-simple-history), and the user's
input stays on screen. The hidden field then carries the current version, so that saving the
same form again is a deliberate choice to replace that version. Used by the admin and by the
reporting space.
"""

from django import forms
from django.core.exceptions import ValidationError
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
