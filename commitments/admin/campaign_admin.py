"""Campaigns, their frozen figures and the notifications log in the admin.

Campaigns are managed by role, not by Django model permissions (no group change needed):
agglomeration staff and superusers (commitments/permissions.can_manage_campaigns) open, edit
and close campaigns here; city project leads do not see these admins at all — they follow their
campaigns in /suivi/campagnes/. Every write goes through services/campaign_lifecycle.py: a new
campaign through `open_campaign` (no territory chosen = every territory), a change through
`update_campaign`, "Clôturer la campagne" (a button on the change form, or the list's action)
through `close_campaign` after a confirmation page. A closed campaign is read-only and cannot be
deleted (its figures are what was reported to the council). Frozen figures and notifications
are read-only lists.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from commitments.models import Campaign, CampaignFigure, Notification
from commitments.permissions import can_manage_campaigns
from commitments.selectors.campaign_completion import closing_facts
from commitments.services.campaign_lifecycle import (
    CAMPAIGN_FIELDS,
    check_not_closed,
    close_campaign,
    open_campaign,
    update_campaign,
)
from perer.lib.admin_mixins import AccentInsensitiveSearchMixin
from perer.lib.admin_wording import FrenchTitlesMixin


class StaffOnlyMixin:
    """Every permission by role: staff only, whatever the model permissions."""

    def has_module_permission(self, request):
        return can_manage_campaigns(request.user)

    def has_view_permission(self, request, obj=None):
        return can_manage_campaigns(request.user)


class ReadOnlyMixin(StaffOnlyMixin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = (*CAMPAIGN_FIELDS, "territories")
        widgets = {name: DateInput() for name in CAMPAIGN_FIELDS if name != "title"}

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            try:
                check_not_closed(Campaign.objects.get(pk=self.instance.pk))
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from error
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(
    FrenchTitlesMixin, StaffOnlyMixin, AccentInsensitiveSearchMixin, admin.ModelAdmin
):
    form = CampaignForm
    change_form_template = "campaigns/admin_change_form.html"
    list_display = (
        "title",
        "state_label",
        "period_start",
        "period_end",
        "opens_on",
        "deadline",
        "closed_at",
        "page_link",
    )
    search_fields = ("title",)
    filter_horizontal = ("territories",)
    readonly_fields = ("created_by", "created_at", "closed_at", "closed_by")
    fieldsets = (
        (None, {"fields": ("title",)}),
        (
            "Calendrier",
            {
                "fields": ("period_start", "period_end", "opens_on", "deadline"),
                "description": "Un engagement est renseigné pour la campagne s'il a reçu un point "
                "d'avancement daté de la période (bornes comprises ; une confirmation « rien de "
                "nouveau » compte).",
            },
        ),
        ("Territoires concernés", {"fields": ("territories",)}),
        ("Enregistrement", {"fields": readonly_fields}),
    )
    actions = ["close_selected"]

    def has_add_permission(self, request):
        return can_manage_campaigns(request.user)

    def has_change_permission(self, request, obj=None):
        return can_manage_campaigns(request.user) and not (obj is not None and obj.is_closed)

    def has_delete_permission(self, request, obj=None):
        return can_manage_campaigns(request.user) and not (obj is not None and obj.is_closed)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by", "closed_by")

    @admin.display(description="état")
    def state_label(self, obj):
        return obj.state.label

    @admin.display(description="suivi")
    def page_link(self, obj):
        return format_html(
            '<a href="{}">Voir la campagne<span class="visually-hidden"> « {} »</span></a>',
            obj.get_absolute_url(),
            obj.title,
        )

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in CAMPAIGN_FIELDS}
        territories = form.cleaned_data.get("territories")
        if change:
            update_campaign(obj, by=request.user, territories=territories, **fields)
        else:
            created = open_campaign(by=request.user, territories=territories, **fields)
            obj.pk, obj._state = created.pk, created._state

    def save_related(self, request, form, formsets, change):
        # The territories were written by the service ("all" when none is chosen).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_queryset(self, request, queryset):
        if queryset.filter(closed_at__isnull=False).exists():
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    # Closing: a confirmation page, then services/campaign_lifecycle.close_campaign.

    def get_urls(self):
        return [
            path(
                "<path:object_id>/cloturer/",
                self.admin_site.admin_view(self.close_view),
                name="commitments_campaign_close",
            ),
        ] + super().get_urls()

    def close_view(self, request, object_id):
        campaign_ = self.get_object(request, unquote(object_id))
        if campaign_ is None:
            raise Http404("Cette campagne n'existe pas.")
        if not can_manage_campaigns(request.user):
            raise PermissionDenied
        change_url = reverse("admin:commitments_campaign_change", args=[campaign_.pk])
        if request.method == "POST":
            try:
                frozen = close_campaign(campaign_, request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"La campagne « {campaign_.title} » est clôturée : les chiffres de {frozen} "
                    f"engagement{'s' if frozen > 1 else ''} sont figés.",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Clôturer la campagne « {campaign_.title} »",
            "campaign": campaign_,
            "opts": self.opts,
            "change_url": change_url,
            **({} if campaign_.is_closed else closing_facts(campaign_)),
        }
        return TemplateResponse(request, "campaigns/admin_close.html", context)

    @admin.action(description="Clôturer la campagne sélectionnée (avec confirmation)")
    def close_selected(self, request, queryset):
        campaigns = list(queryset[:2])
        if len(campaigns) != 1:
            self.message_user(
                request, "Sélectionnez une seule campagne à clôturer.", messages.WARNING
            )
            return None
        return HttpResponseRedirect(
            reverse("admin:commitments_campaign_close", args=[campaigns[0].pk])
        )


@admin.register(CampaignFigure)
class CampaignFigureAdmin(
    FrenchTitlesMixin, ReadOnlyMixin, AccentInsensitiveSearchMixin, admin.ModelAdmin
):
    list_display = (
        "campaign",
        "territory",
        "thematic",
        "text_short",
        "status",
        "progress",
        "reported",
        "last_update_date",
        "author_name",
    )
    list_filter = ("campaign", "territory", "reported", "status")
    list_select_related = ("campaign", "territory", "thematic")
    search_fields = ("text", "last_comment", "author_name")

    @admin.display(description="intitulé")
    def text_short(self, obj):
        return obj.text if len(obj.text) <= 90 else obj.text[:89] + "…"


class SentFilter(admin.SimpleListFilter):
    title = "envoi"
    parameter_name = "envoi"

    def lookups(self, request, model_admin):
        return [("envoyee", "Envoyée"), ("en_attente", "En attente"), ("erreur", "En erreur")]

    def queryset(self, request, queryset):
        if self.value() == "envoyee":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "en_attente":
            return queryset.filter(sent_at__isnull=True, error="")
        if self.value() == "erreur":
            return queryset.exclude(error="")
        return queryset


@admin.register(Notification)
class NotificationAdmin(
    FrenchTitlesMixin, ReadOnlyMixin, AccentInsensitiveSearchMixin, admin.ModelAdmin
):
    list_display = ("created_at", "user", "kind", "campaign", "sent_at", "error_short")
    list_filter = ("kind", SentFilter, "campaign")
    list_select_related = ("user", "campaign")
    search_fields = ("user__username", "user__email", "key")
    date_hierarchy = "created_at"

    @admin.display(description="erreur")
    def error_short(self, obj):
        return obj.error if len(obj.error) <= 80 else obj.error[:79] + "…"
