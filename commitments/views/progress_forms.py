"""The forms of the tracking space (/suivi/). Field names are a public contract
(shared/DESIGN.md): `status`, `progress`, `date`, `comment`, `link`.

They collect input, in words a project lead understands; what makes an update valid is
ProgressUpdate's own validation (models/progress.py), run here on the input (`update_errors`) so
that every problem is shown at once, next to its field, and run again by
services/progress_rule.record_update when the update is written: the space, the admin and the
imports apply one rule. Each form carries the commitment's `version` (hidden): the one
stale-form protection (perer/lib/concurrency.py), checked by the service that writes.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone

from commitments.enums import Status
from commitments.models import (
    COMMENT_MAX_LENGTH,
    TARGET_FIELDS,
    TRACKING_FIELDS,
    Partner,
    ProgressUpdate,
    progress_for,
)
from perer.lib.concurrency import VersionedModelForm

NEW_UPDATE_STATUSES = [choice for choice in Status.choices if choice[0] != Status.NOT_REPORTED]
# The fields of an update a form may carry, in the order of the page.
UPDATE_FIELDS = ("status", "progress", "date", "comment", "link")

STATUS_ERRORS = {
    "required": "Choisissez le statut constaté : prévu, en cours, réalisé ou abandonné.",
    "invalid_choice": "Choisissez le statut constaté dans la liste : prévu, en cours, réalisé "
    "ou abandonné.",
}
PROGRESS_ERRORS = {
    "required": "Indiquez l'avancement, de 0 à 100 %.",
    "invalid": "Indiquez l'avancement par un nombre entier, de 0 à 100.",
    # These two are formatted with the limit: "%%" is a percent sign.
    "min_value": "L'avancement ne peut pas être inférieur à 0 %%.",
    "max_value": "L'avancement ne peut pas dépasser 100 %%.",
}
DATE_ERRORS = {
    "required": "Indiquez la date du point.",
    "invalid": "Indiquez une date valide, par exemple 15/03/2024.",
}
COMMENT_ERRORS = {
    "max_length": "Le commentaire est trop long : 2 000 caractères au plus (il en compte "
    "%(show_value)s).",
}


class WebLinkField(forms.URLField):
    """An http(s) address only: `javascript:`, `data:` or `ftp:` are refused."""

    default_validators = [URLValidator(schemes=["http", "https"])]
    default_error_messages = {
        "invalid": "Indiquez une adresse web complète, qui commence par http:// ou https://."
    }


def update_errors(commitment, **values):
    """What ProgressUpdate's validation finds wrong in these values for `commitment`
    ({field or None: [messages]}). A value of None (a field already refused) is not checked."""
    update = ProgressUpdate(**{TARGET_FIELDS[type(commitment)]: commitment}, **values)
    exclude = {*TARGET_FIELDS.values(), "author", "confirmation"}
    exclude |= {name for name, value in values.items() if value is None}
    try:
        # No constraint queries: the fields' validators and clean() state the same rules.
        update.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return error.message_dict
    return {}


def add_errors(form, errors, elsewhere=None):
    """Put `errors` ({field: messages}) on `form`'s fields: a field it lacks goes to
    `elsewhere` (another form holding it) or to the form's own non-field errors; a field already
    refused keeps its first message."""
    for name, messages in errors.items():
        for target in (form, elsewhere):
            if target is not None and name in target.fields:
                if name not in target.errors:
                    target.add_error(name, messages)
                break
        else:
            for message in messages:
                if message not in form.non_field_errors():
                    form.add_error(None, message)


class UpdateForm(forms.Form):
    """One progress update: one status and one progress only. `last` is the commitment's
    latest update (the form starts from it), `commitment` the one it reports on."""

    status = forms.ChoiceField(
        label="Statut constaté",
        choices=[("", "Choisissez un statut"), *NEW_UPDATE_STATUSES],
        error_messages=STATUS_ERRORS,
    )
    progress = forms.IntegerField(
        label="Avancement (en %)",
        min_value=0,
        max_value=100,
        help_text="De 0 à 100. Un engagement réalisé est avancé à 100 %.",
        error_messages=PROGRESS_ERRORS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    date = forms.DateField(
        label="Date du point",
        help_text="Le jour où cette situation a été constatée (pas de date future).",
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    comment = forms.CharField(
        label="Commentaire (facultatif)",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        help_text="Ce qui a été fait, ce qui bloque, la suite (2 000 caractères au plus).",
        error_messages=COMMENT_ERRORS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    link = WebLinkField(
        label="Lien (facultatif)",
        required=False,
        assume_scheme="https",
        help_text="Une adresse web en http:// ou https:// (compte rendu, article…).",
    )
    # The commitment's version when the page was loaded (perer/lib/concurrency.py): checked
    # by the service that records the update, in its transaction.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, last=None, commitment=None, **kwargs):
        self.commitment = commitment
        self.last = last
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("date", timezone.localdate())
        initial.setdefault("version", commitment.version if commitment else None)
        if last is not None and last.status != Status.NOT_REPORTED:
            initial.setdefault("status", last.status)
            initial.setdefault("progress", last.progress)
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned_data = super().clean()
        # « Réalisé ⇒ 100 % » applied unless the user typed another figure (refused then).
        if "progress" not in self.changed_data:
            cleaned_data["progress"] = progress_for(
                cleaned_data.get("status"), cleaned_data.get("progress")
            )
        return cleaned_data

    def update_values(self):
        return {name: self.cleaned_data.get(name) for name in UPDATE_FIELDS}

    def _post_clean(self):
        if self.commitment is not None:
            add_errors(self, update_errors(self.commitment, **self.update_values()))


class ConfirmForm(UpdateForm):
    """ "Rien de nouveau": the date and an optional comment; the status and the progress are
    those of the last update."""

    status = progress = link = None

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_rien_%s")
        super().__init__(*args, **kwargs)
        self.initial.pop("status", None)
        self.initial.pop("progress", None)
        self.fields[
            "comment"
        ].help_text = "Par exemple ce qui est attendu et quand (2 000 caractères au plus)."

    def clean(self):
        return self.cleaned_data

    def update_values(self):
        if self.last is None:
            return {}  # services/progress_rule.confirm_last_status says why
        return {
            "status": self.last.status,
            "progress": self.last.progress,
            "date": self.cleaned_data.get("date"),
            "comment": self.cleaned_data.get("comment"),
        }

    def _post_clean(self):
        if self.commitment is not None and self.last is not None:
            add_errors(self, update_errors(self.commitment, **self.update_values()))


class CommitmentDetailsForm(VersionedModelForm):
    """What a lead may change besides updates: the pilot and the years (TRACKING_FIELDS; never
    the text or the partners, which are part of the adopted protocol). Validated in the
    transaction that saves it (its version check locks the row). Its ids are prefixed: the
    page also holds the update form and its own `version`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_details_%s")
        super().__init__(*args, **kwargs)
        lead = self.fields["lead"]
        lead.queryset = Partner.objects.order_by("name")
        lead.empty_label = "Aucun pilote désigné"
        lead.help_text = "Le partenaire qui conduit cet engagement."
        lead.error_messages["invalid_choice"] = "Choisissez le pilote dans la liste."
        # The years' range and order are the model's rule (models/years.py): its form
        # fields carry the bounds and the messages, its validation the order.
        for name in ("start_year", "end_year"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"
        self.fields["start_year"].help_text = "Facultatif, par exemple 2020."
        self.fields["end_year"].help_text = "Facultatif, la même année ou une année suivante."


def details_form_class(model):
    return forms.modelform_factory(model, form=CommitmentDetailsForm, fields=TRACKING_FIELDS)


class ReviewRowForm(forms.Form):
    """One commitment in the yearly review of a strategic objective: only a changed row is
    recorded."""

    # Which commitment the row is ("action-12"), and its version when the page was loaded.
    key = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label="Nouveau statut",
        choices=[("", "Inchangé"), *NEW_UPDATE_STATUSES],
        required=False,
        error_messages=STATUS_ERRORS,
    )
    progress = forms.IntegerField(
        label="Avancement (en %)",
        min_value=0,
        max_value=100,
        required=False,
        error_messages=PROGRESS_ERRORS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    comment = forms.CharField(
        label="Commentaire (facultatif)",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        error_messages=COMMENT_ERRORS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    # What identifies the row, not what the lead changes.
    BOOKKEEPING = {"key", "version"}

    def is_changed(self):
        return bool(set(self.changed_data) - self.BOOKKEEPING)


class ReviewForm(forms.Form):
    """The date shared by every row of the review."""

    date = UpdateForm.base_fields["date"]


class SpaceFilterForm(forms.Form):
    """Filters of "Mes engagements". `territories` are those the user may see."""

    territoire = forms.ModelChoiceField(
        label="Territoire",
        queryset=None,
        required=False,
        to_field_name="slug",
        empty_label="Tous mes territoires",
        error_messages={
            "invalid_choice": "Ce territoire n'est pas l'un des vôtres : choisissez-en un dans "
            "la liste."
        },
    )
    thematique = forms.ModelChoiceField(
        label="Thématique",
        queryset=None,
        required=False,
        to_field_name="slug",
        empty_label="Toutes les thématiques",
        error_messages={
            "invalid_choice": "Cette thématique n'existe pas : choisissez-en une dans la liste."
        },
    )
    statut = forms.ChoiceField(
        label="Statut",
        choices=[("", "Tous les statuts"), *Status.choices],
        required=False,
        error_messages={
            "invalid_choice": "Ce statut n'existe pas : choisissez-en un dans la liste."
        },
    )
    sans_nouvelles = forms.BooleanField(
        label="Sans nouvelles depuis 12 mois", label_suffix="", required=False
    )
    sans_pilote = forms.BooleanField(label="Sans pilote", label_suffix="", required=False)

    def __init__(self, *args, territories, thematics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territoire"].queryset = territories
        self.fields["thematique"].queryset = thematics
