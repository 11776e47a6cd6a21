"""Progress updates in the admin: the timeline inline, the progress-update admin (staff), the
bulk action that records an update per selected commitment."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from commitments.admin.history import HistoryAdmin
from commitments.admin.list_filters import TerritoryFilter
from commitments.admin.role_mixins import ProgressUpdateInlinePermissions
from commitments.enums import Status
from commitments.models import ProgressUpdate
from commitments.permissions import can_correct_updates, updates_visible_to
from commitments.services.progress_rule import (
    delete_update,
    delete_updates,
    record_updates,
    save_update,
)
from perer.lib.admin_mixins import AccentInsensitiveSearchMixin

NEW_UPDATE_STATUSES = [choice for choice in Status.choices if choice[0] != Status.NOT_REPORTED]


class RecordUpdateActionForm(helpers.ActionForm):
    """The fields of the bulk action "record a progress update", next to the action menu."""

    status = forms.ChoiceField(
        label="Statut constaté",
        choices=[("", "---------"), *NEW_UPDATE_STATUSES],
        required=False,
        error_messages={
            "invalid_choice": "« %(value)s » ne peut pas être choisi pour un nouveau point : "
            "indiquez le statut constaté (prévu, en cours, réalisé ou abandonné)."
        },
    )
    date = forms.DateField(
        label="Date du point",
        required=False,
        help_text="Aujourd'hui si vide.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    comment = forms.CharField(label="Commentaire (facultatif)", required=False, max_length=2000)


class RecordUpdateMixin:
    """ModelAdmin mixin: the bulk action records one dated progress update per selected
    commitment (services/progress_rule.record_updates); no column edits a status."""

    action_form = RecordUpdateActionForm
    actions = ["record_update"]

    def record_update_form(self, request):
        form = self.action_form(request.POST, auto_id=None)
        form.fields["action"].choices = self.get_action_choices(request)
        return form

    def response_action(self, request, queryset):
        # Django answers « Aucune action sélectionnée » when any field of the action form is
        # invalid: name the field and its error instead, and record nothing.
        if request.method == "POST" and request.POST.get("action") == "record_update":
            form = self.record_update_form(request)
            if not form.is_valid():
                errors = " ".join(
                    f"{form.fields[name].label} : {' '.join(messages_)}"
                    for name, messages_ in form.errors.items()
                    if name in form.fields
                )
                self.message_user(
                    request, f"Aucun point d'avancement enregistré. {errors}", messages.ERROR
                )
                return None
        return super().response_action(request, queryset)

    @admin.action(
        description="Enregistrer un point d'avancement (statut, date et commentaire ci-contre)",
        permissions=["change"],
    )
    def record_update(self, request, queryset):
        form = self.record_update_form(request)
        if not form.is_valid() or not form.cleaned_data["status"]:
            self.message_user(
                request,
                "Choisissez le statut constaté (et une date valide) avant de valider.",
                messages.WARNING,
            )
            return
        try:
            recorded, refused = record_updates(
                queryset,
                status=form.cleaned_data["status"],
                date=form.cleaned_data["date"] or timezone.localdate(),
                comment=form.cleaned_data["comment"],
                author=request.user,
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        label = Status(form.cleaned_data["status"]).label
        self.message_user(
            request, f"Point d'avancement « {label} » enregistré pour {recorded} engagement(s)."
        )
        if refused:
            self.message_user(
                request,
                f"{refused} engagement(s) d'un autre territoire n'ont pas été modifiés : vous ne "
                "pouvez suivre que les engagements de vos territoires.",
                messages.WARNING,
            )


class ProgressUpdateInline(ProgressUpdateInlinePermissions, admin.TabularInline):
    """The commitment's timeline, read-only: updates are recorded in the tracking space (or
    the progress-update admin for staff), never typed next to the commitment's own fields."""

    model = ProgressUpdate
    template = "admin/edit_inline/tabular_labelled.html"  # rows and fields named
    fields = ("date", "status", "progress", "comment", "author")
    readonly_fields = fields
    extra = 0
    ordering = ("-date", "-created_at")
    verbose_name = "point d'avancement"
    verbose_name_plural = "points d'avancement (le plus récent fixe le statut et l'avancement)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class ActionProgressUpdateInline(ProgressUpdateInline):
    fk_name = "action"


class ObjectiveProgressUpdateInline(ProgressUpdateInline):
    fk_name = "operational_objective"


class ProgressUpdateAdminForm(forms.ModelForm):
    link = forms.URLField(label="lien", required=False, assume_scheme="https")

    class Meta:
        model = ProgressUpdate
        fields = (
            "action",
            "operational_objective",
            "date",
            "status",
            "progress",
            "comment",
            "link",
        )

    def clean(self):
        cleaned_data = super().clean()
        targets = [cleaned_data.get("action"), cleaned_data.get("operational_objective")]
        if sum(target is not None for target in targets) != 1:
            raise forms.ValidationError(
                "Choisissez soit une action, soit un objectif opérationnel (un seul des deux)."
            )
        return cleaned_data


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(AccentInsensitiveSearchMixin, HistoryAdmin):
    """Every report in one list. City leads read their own territories' (need-to-know:
    commitments/permissions.can_see_activity); they report from the commitment's page."""

    form = ProgressUpdateAdminForm
    list_display = ("date", "target_label", "status", "progress", "author", "created_at")
    list_select_related = ("action", "operational_objective", "author")
    list_filter = (TerritoryFilter, "status", "date")
    search_fields = ("comment", "action__text", "operational_objective__text")
    autocomplete_fields = ("action", "operational_objective")
    readonly_fields = ("author", "created_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    date_hierarchy = "date"
    fieldsets = (
        ("Engagement suivi", {"fields": ("action", "operational_objective")}),
        ("Point d'avancement", {"fields": ("date", "status", "progress", "comment", "link")}),
        ("Enregistrement", {"fields": ("author", "created_at")}),
    )

    def get_queryset(self, request):
        # Need-to-know: a city lead lists their own territories' updates only.
        return updates_visible_to(request.user, super().get_queryset(request))

    @admin.display(description="engagement")
    def target_label(self, obj):
        return obj.action or obj.operational_objective

    def has_add_permission(self, request):
        return super().has_add_permission(request) and can_correct_updates(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_correct_updates(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_correct_updates(request.user)

    # Writes through services/progress_rule.py, which applies the rule (the form validated the
    # update: ProgressUpdate.clean). Revert (simple-history) calls save_model too.
    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        save_update(obj, by=request.user)

    def delete_model(self, request, obj):
        delete_update(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        delete_updates(queryset)
