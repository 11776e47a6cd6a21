"""Campaigns ("campagnes de suivi"), their frozen figures, and the notifications log.

- `Campaign`: staff ask the territories concerned to report on their commitments. A
  commitment (an action, or an operational objective without actions: `NodeQuerySet.leaves()`)
  of a concerned territory's protocol in force is *reported* for the campaign when it has a
  progress update dated within [period_start, period_end], both inclusive; a "rien de nouveau"
  confirmation is an update and counts. The territories are stored explicitly: "all" is
  written as every territory at opening (commitments/services/campaigns.py), so a territory added
  later is not concerned by a campaign already opened. The state is derived, never stored
  (`CampaignState`): upcoming before `opens_on`, open until closed, closed once `closed_at` is
  set; the deadline does not close a campaign, closing is an explicit action (`close_campaign`) that
  stores `closed_at`, `closed_by` and the `CampaignFigure` rows in one transaction.
- `CampaignFigure`: one row per commitment of the campaign at closing, never changed afterwards; a
  closed campaign's pages and PDFs read these rows, not the live data. The row keeps what it shows
  (kind, text, territory, thematic, status, progress, last update date, comment, author name):
  deleting the commitment or the user later sets the reference to NULL and loses nothing shown.
- `Notification`: the log of every email sent to a user (see its docstring).

Writes: commitments/services/campaign_lifecycle.py (open_campaign, update_campaign, close_campaign).
Reads: commitments/selectors/campaign_completion.py (reported or not, completion, what is left,
who sees which campaign). Module names are unique in the project (tests/test_architecture.py).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from commitments.enums import CampaignState, CommitmentKind, NotificationKind, Status
from commitments.models.constraints import progress_0_100

# The plausible dates of a campaign (no update is dated before 2000: models/progress.py).
EARLIEST_CAMPAIGN_DATE = datetime.date(2000, 1, 1)
LATEST_CAMPAIGN_DATE = datetime.date(2099, 12, 31)
CAMPAIGN_DATE_FIELDS = ("period_start", "period_end", "opens_on", "deadline")


class CampaignQuerySet(models.QuerySet):
    def closed(self):
        return self.filter(closed_at__isnull=False)

    def not_closed(self):
        return self.filter(closed_at__isnull=True)

    def open_on(self, day=None):
        """Campaigns open on `day` (today by default): opened and not closed."""
        day = day or timezone.localdate()
        return self.not_closed().filter(opens_on__lte=day)

    def concerning(self, territories):
        """Campaigns that concern at least one of `territories` (no duplicates)."""
        return self.filter(
            pk__in=Campaign.territories.through.objects.filter(territory__in=territories).values(
                "campaign_id"
            )
        )

    def latest_first(self):
        return self.order_by("-opens_on", "-pk")


class Campaign(models.Model):
    title = models.CharField("titre", max_length=200)
    period_start = models.DateField(
        "début de la période",
        help_text="Les points d'avancement datés de cette période (bornes comprises) comptent.",
    )
    period_end = models.DateField("fin de la période")
    opens_on = models.DateField("ouverture", help_text="Date d'ouverture aux chefs de projet.")
    deadline = models.DateField("échéance")
    territories = models.ManyToManyField(
        "territories.Territory",
        verbose_name="territoires concernés",
        related_name="campaigns",
        blank=True,
        help_text="Laisser vide pour tous les territoires.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="créée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    closed_at = models.DateTimeField("clôturée le", null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="clôturée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = "campagne de suivi"
        verbose_name_plural = "campagnes de suivi"
        ordering = ["-opens_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="%(app_label)s_%(class)s_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(opens_on__lte=models.F("deadline")),
                name="%(app_label)s_%(class)s_opens_before_deadline",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaign_detail", kwargs={"pk": self.pk})

    def clean(self):
        errors = {}
        for name in CAMPAIGN_DATE_FIELDS:
            value = getattr(self, name)
            if value is not None and not (EARLIEST_CAMPAIGN_DATE <= value <= LATEST_CAMPAIGN_DATE):
                errors[name] = (
                    f"Indiquez une date entre le {EARLIEST_CAMPAIGN_DATE:%d/%m/%Y} et le "
                    f"{LATEST_CAMPAIGN_DATE:%d/%m/%Y}."
                )
        if errors:
            raise ValidationError(errors)
        if self.period_start and self.period_end and self.period_start > self.period_end:
            errors["period_end"] = (
                "La fin de la période doit être postérieure ou égale à son début "
                f"({self.period_start:%d/%m/%Y})."
            )
        if self.opens_on and self.deadline and self.opens_on > self.deadline:
            errors["deadline"] = (
                "L'échéance doit être postérieure ou égale à la date d'ouverture "
                f"({self.opens_on:%d/%m/%Y})."
            )
        if errors:
            raise ValidationError(errors)

    def state_on(self, day=None):
        if self.closed_at is not None:
            return CampaignState.CLOSED
        day = day or timezone.localdate()
        return CampaignState.UPCOMING if day < self.opens_on else CampaignState.OPEN

    @property
    def state(self):
        return self.state_on()

    def get_state_display(self):
        return self.state.label

    @property
    def is_closed(self):
        return self.closed_at is not None

    def days_left(self, day=None):
        """Days until the deadline (0 on the day, negative once past)."""
        return (self.deadline - (day or timezone.localdate())).days


class CampaignFigure(models.Model):
    """One commitment's figures frozen when its campaign closed (see the module docstring)."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name="campagne",
        on_delete=models.CASCADE,
        related_name="figures",
    )
    # The commitment, like ProgressUpdate: one of the two (both NULL once it is deleted).
    action = models.ForeignKey(
        "commitments.Action",
        verbose_name="action",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    operational_objective = models.ForeignKey(
        "commitments.OperationalObjective",
        verbose_name="objectif opérationnel",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField("niveau", max_length=20, choices=CommitmentKind.choices)
    position = models.PositiveIntegerField("ordre", default=0)
    text = models.TextField("intitulé")
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="territoire",
        on_delete=models.PROTECT,
        related_name="+",
    )
    thematic = models.ForeignKey(
        "commitments.Thematic",
        verbose_name="thématique",
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField("statut", max_length=20, choices=Status.choices)
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    reported = models.BooleanField("renseigné pour la campagne", default=False)
    last_update_date = models.DateField("date du dernier point", null=True, blank=True)
    last_comment = models.TextField("dernier commentaire", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_name = models.CharField("auteur (nom)", max_length=300, blank=True)

    class Meta:
        verbose_name = "chiffre figé"
        verbose_name_plural = "chiffres figés"
        ordering = ["campaign", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__isnull=True) | Q(operational_objective__isnull=True),
                name="%(app_label)s_%(class)s_at_most_one_target",
            ),
            models.UniqueConstraint(
                fields=["campaign", "action"], name="%(app_label)s_%(class)s_unique_campaign_action"
            ),
            models.UniqueConstraint(
                fields=["campaign", "operational_objective"],
                name="%(app_label)s_%(class)s_unique_campaign_objective",
            ),
            progress_0_100(),
        ]

    def __str__(self):
        return f"{self.campaign} — {self.text[:60]}"


class NotificationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(sent_at__isnull=True)


class Notification(models.Model):
    """An email to a user, recorded so that none is sent twice.

    A row is inserted (unique key) BEFORE sending, in the same transaction as the enqueue, so
    that no notification is sent twice whatever the number of workers or reruns: a second
    insert of the same key fails on the unique constraint and sends nothing. The key names what
    is sent to whom, e.g. "reminder_7_days:round=3:user=5" or "weekly_digest:2026-W48:user=5".
    `sent_at` is set once the email is handed to the mail server; `error` holds the last
    failure (then the job is retried).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="destinataire",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField("type", max_length=30, choices=NotificationKind.choices)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="campagne",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    key = models.CharField("clé d'unicité", max_length=200, unique=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    sent_at = models.DateTimeField("envoyée le", null=True, blank=True)
    error = models.TextField("erreur", blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "notification"
        verbose_name_plural = "notifications"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.user}"
