"""Progress reporting in the admin: progress update inlines and admin, the bulk status action."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import get_m2m_field_name, get_m2m_reverse_field_name

from commitments.admin.mixins import AccentInsensitiveSearchMixin, HistoryAdmin
from commitments.admin.permissions import ProgressUpdateInlinePermissions
from commitments.enums import Status
from commitments.models import ProgressUpdate, Protocol
from commitments.permissions import (
    TERRITORY_PATHS,
    can_add_progress_update,
    editable_for,
    is_agglomeration,
)
from territories.models import Territory

BULK_STATUS_REASON = "Changement de statut groupé"


def _snapshot_m2m(model, records):
    """bulk_history_create records no m2m rows: copy the current ones, two queries a field."""
    if not records or not connection.features.can_return_rows_from_bulk_insert:
        return
    by_object = {record.id: record for record in records}
    for m2m_field in model.history.model._history_m2m_fields:
        history_m2m = getattr(records[0], m2m_field.name).model
        own, other = get_m2m_field_name(m2m_field), get_m2m_reverse_field_name(m2m_field)
        through = getattr(model, m2m_field.name).through
        rows = through.objects.filter(**{f"{own}_id__in": by_object}).values_list(
            "pk", f"{own}_id", f"{other}_id"
        )
        history_m2m.objects.bulk_create(
            history_m2m(
                **{"id": pk, "history": by_object[obj_id], f"{own}_id": obj_id, f"{other}_id": oid}
            )
            for pk, obj_id, oid in rows
        )


@transaction.atomic
def bulk_set_status(queryset, status, user):
    """Set `status` on the commitments of `queryset` that `user` may track.

    A constant number of queries: one UPDATE (version bumped, so open forms see a conflict),
    the history records of every changed row, and the touch of their protocols.
    Returns (changed, refused): how many rows changed, how many the user may not track.
    """
    model = queryset.model
    allowed = editable_for(user, queryset)
    selected = queryset.count()
    allowed_ids = list(allowed.values_list("pk", flat=True))
    refused = selected - len(allowed_ids)
    rows = model._default_manager.filter(pk__in=allowed_ids).exclude(status=status)
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return 0, refused
    rows = model._default_manager.filter(pk__in=ids)
    rows.update(status=status, version=F("version") + 1, updated_at=timezone.now())
    objs = list(rows)
    records = model.history.bulk_history_create(
        objs, update=True, default_user=user, default_change_reason=BULK_STATUS_REASON
    )
    _snapshot_m2m(model, records)
    protocol_path = TERRITORY_PATHS[model._meta.model_name].removesuffix("__territory")
    Protocol.objects.filter(pk__in=rows.values(protocol_path)).touch()
    return len(ids), refused


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


class ProgressUpdateTerritoryFilter(admin.SimpleListFilter):
    title = "territoire"
    parameter_name = "territoire"

    def lookups(self, request, model_admin):
        return [(str(t.pk), t.name) for t in Territory.objects.in_display_order()]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return queryset.for_territory(int(value)) if value.isdigit() else queryset.none()


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
    list_filter = (ProgressUpdateTerritoryFilter, "status", "date")
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
