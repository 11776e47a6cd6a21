"""Progress reporting in the admin: progress update inlines and admin, the bulk status action."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models

from commitments.admin.history import HistoryAdmin
from commitments.admin.list_filters import TerritoryFilter
from commitments.admin.role_mixins import ProgressUpdateInlinePermissions
from commitments.enums import Status
from commitments.models import ProgressUpdate
from commitments.permissions import can_add_progress_update
from commitments.services.progress_rule import bulk_set_status
from perer.lib.admin_mixins import AccentInsensitiveSearchMixin
from territories.roles import is_agglomeration


class StatusActionForm(helpers.ActionForm):
    status = forms.ChoiceField(
        label="Nouveau statut", choices=[("", "---------"), *Status.choices], required=False
    )


class BulkStatusMixin:
    action_form = StatusActionForm
    actions = ["set_status"]

    @admin.action(
        description="Changer le statut (choisir le nouveau statut)", permissions=["change"]
    )
    def set_status(self, request, queryset):
        status = request.POST.get("status", "")
        if status not in Status.values:
            self.message_user(
                request,
                "Choisissez le nouveau statut dans la liste « Nouveau statut » avant de valider.",
                messages.WARNING,
            )
            return
        changed, refused = bulk_set_status(queryset, status, request.user)
        label = Status(status).label
        self.message_user(request, f"Statut « {label} » appliqué à {changed} élément(s).")
        if refused:
            self.message_user(
                request,
                f"{refused} élément(s) d'un autre territoire n'ont pas été modifiés : vous ne "
                "pouvez suivre que les engagements de vos territoires.",
                messages.WARNING,
            )


class ProgressUpdateForm(forms.ModelForm):
    link = forms.URLField(label="lien", required=False, assume_scheme="https")

    class Meta:
        model = ProgressUpdate
        fields = ("date", "status", "progress", "comment", "link")
        widgets = {"comment": forms.Textarea(attrs={"rows": 2, "cols": 40})}


class ProgressUpdateInline(ProgressUpdateInlinePermissions, admin.TabularInline):
    model = ProgressUpdate
    form = ProgressUpdateForm
    fields = ("date", "status", "progress", "comment", "link", "author")
    readonly_fields = ("author",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    extra = 1
    ordering = ("-date", "-created_at")
    verbose_name = "point d'avancement"
    verbose_name_plural = "points d'avancement (le plus récent fixe le statut et l'avancement)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            # A new report starts from the current state (each call builds a new form class).
            formset.form.base_fields["status"].initial = obj.status
            formset.form.base_fields["progress"].initial = obj.progress
        return formset


class ActionProgressUpdateInline(ProgressUpdateInline):
    fk_name = "action"


class ObjectiveProgressUpdateInline(ProgressUpdateInline):
    fk_name = "operational_objective"


class ProgressUpdateInlineSaveMixin:
    """ModelAdmin mixin: new progress updates are signed by the user who reports them."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProgressUpdate:
            return super().save_formset(request, form, formset, change)
        for update in formset.save(commit=False):
            if update.pk is None:
                if not can_add_progress_update(request.user, form.instance):
                    continue
                update.author = request.user
            update._history_user = request.user
            update.save()
        for update in formset.deleted_objects:
            update.delete()
        formset.save_m2m()


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
    """Every report in one list. City leads read it; they report from the commitment's page."""

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

    @admin.display(description="engagement")
    def target_label(self, obj):
        return obj.action or obj.operational_objective

    def has_add_permission(self, request):
        return super().has_add_permission(request) and is_agglomeration(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and is_agglomeration(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and is_agglomeration(request.user)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)
