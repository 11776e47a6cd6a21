"""The forms of the reporting space (/suivi/). Field names are a public contract
(shared/DESIGN.md): `status`, `progress`, `date`, `comment`, `link`.

They only collect input: validation of an update is ProgressUpdate.clean() (run by
services/progress_rule.record_update), so the space, the admin and the imports apply one rule.
"""

from django import forms
from django.utils import timezone

from commitments.enums import Status
from commitments.models import COMMENT_MAX_LENGTH, TRACKING_FIELDS, Partner
from perer.lib.concurrency import VersionedModelForm

NEW_UPDATE_STATUSES = [choice for choice in Status.choices if choice[0] != Status.NOT_REPORTED]


class UpdateForm(forms.Form):
    """One progress update: one status and one progress only."""

    status = forms.ChoiceField(label="Statut constaté", choices=NEW_UPDATE_STATUSES)
    progress = forms.IntegerField(
        label="Avancement (en %)",
        min_value=0,
        max_value=100,
        help_text="De 0 à 100. Un engagement réalisé est avancé à 100 %.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    date = forms.DateField(
        label="Date du point",
        help_text="Le jour où cette situation a été constatée (pas de date future).",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        help_text="Ce qui a été fait, ce qui bloque, la suite (2 000 caractères au plus).",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    link = forms.URLField(
        label="Lien (facultatif)",
        required=False,
        assume_scheme="https",
        help_text="Une adresse web en http:// ou https:// (compte rendu, article…).",
    )
    # The latest update when the page was loaded: another update since is a conflict.
    last_update = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned_data = super().clean()
        # "Réalisé" means 100 %: applied unless the user typed another figure.
        if cleaned_data.get("status") == Status.DONE and "progress" not in self.changed_data:
            cleaned_data["progress"] = 100
        return cleaned_data

    def __init__(self, *args, last=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("date", timezone.localdate())
        initial.setdefault("last_update", last.pk if last else None)
        if last is not None and last.status != Status.NOT_REPORTED:
            initial.setdefault("status", last.status)
            initial.setdefault("progress", last.progress)
        super().__init__(*args, **kwargs)


class ConfirmForm(forms.Form):
    """ "Rien de nouveau": the date and an optional comment."""

    date = UpdateForm.base_fields["date"]
    comment = UpdateForm.base_fields["comment"]
    last_update = UpdateForm.base_fields["last_update"]


class CommitmentDetailsForm(VersionedModelForm):
    """What a lead may change besides updates: the pilot and the years (TRACKING_FIELDS; never
    the text or the partners, which are part of the adopted protocol)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = Partner.objects.order_by("name")
        self.fields["lead"].empty_label = "Aucun pilote désigné"


def details_form_class(model):
    return forms.modelform_factory(model, form=CommitmentDetailsForm, fields=TRACKING_FIELDS)


class ReviewRowForm(forms.Form):
    """One commitment in the yearly review of a strategic objective: only a changed row is
    recorded."""

    status = forms.ChoiceField(
        label="Statut", choices=[("", "Inchangé"), *NEW_UPDATE_STATUSES], required=False
    )
    progress = forms.IntegerField(
        label="Avancement (en %)", min_value=0, max_value=100, required=False
    )
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


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
    )
    thematique = forms.ModelChoiceField(
        label="Thématique",
        queryset=None,
        required=False,
        to_field_name="slug",
        empty_label="Toutes les thématiques",
    )
    statut = forms.ChoiceField(
        label="Statut", choices=[("", "Tous les statuts"), *Status.choices], required=False
    )
    sans_nouvelles = forms.BooleanField(label="Sans nouvelles depuis 12 mois", required=False)
    sans_pilote = forms.BooleanField(label="Sans pilote", required=False)

    def __init__(self, *args, territories, thematics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territoire"].queryset = territories
        self.fields["thematique"].queryset = thematics
