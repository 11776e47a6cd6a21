"""What makes a protocol a commitment tracker: status, progress, lead, partners, years, updates."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from commitments.enums import Status

# What a city project lead may change on their own territory's commitments.
TRACKING_FIELDS = ("status", "progress", "lead", "partners", "start_year", "end_year")


class TrackedCommitment(models.Model):
    """Tracking fields shared by operational objectives and actions."""

    status = models.CharField(
        "statut", max_length=20, choices=Status.choices, default=Status.NOT_REPORTED
    )
    progress = models.PositiveSmallIntegerField(
        "avancement (%)",
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    lead = models.ForeignKey(
        "commitments.Partner",
        verbose_name="pilote",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_%(class)ss",
    )
    start_year = models.PositiveSmallIntegerField("année de début", null=True, blank=True)
    end_year = models.PositiveSmallIntegerField("année de fin", null=True, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="%(app_label)s_%(class)s_progress_0_100",
            ),
            models.CheckConstraint(
                condition=Q(start_year__isnull=True)
                | Q(end_year__isnull=True)
                | Q(start_year__lte=F("end_year")),
                name="%(app_label)s_%(class)s_start_before_end",
            ),
        ]


class ProgressUpdateQuerySet(models.QuerySet):
    def latest_first(self):
        return self.order_by("-date", "-created_at", "-pk")

    def for_territory(self, territory):
        return self.filter(
            Q(
                action__operational_objective__strategic_objective__section__protocol__territory=territory
            )
            | Q(operational_objective__strategic_objective__section__protocol__territory=territory)
        )


class ProgressUpdate(models.Model):
    """A dated report on an action or an operational objective (exactly one of them)."""

    action = models.ForeignKey(
        "commitments.Action",
        verbose_name="action",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="updates",
    )
    operational_objective = models.ForeignKey(
        "commitments.OperationalObjective",
        verbose_name="objectif opérationnel",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="updates",
    )
    date = models.DateField("date", default=timezone.localdate)
    status = models.CharField("statut", max_length=20, choices=Status.choices)
    progress = models.PositiveSmallIntegerField(
        "avancement (%)", validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    comment = models.TextField("commentaire", blank=True)
    link = models.URLField("lien", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="progress_updates",
    )
    created_at = models.DateTimeField("enregistré le", auto_now_add=True)

    history = HistoricalRecords()
    objects = ProgressUpdateQuerySet.as_manager()

    class Meta:
        verbose_name = "point d'avancement"
        verbose_name_plural = "points d'avancement"
        ordering = ["-date", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(action__isnull=False) & Q(operational_objective__isnull=True))
                | (Q(action__isnull=True) & Q(operational_objective__isnull=False)),
                name="%(app_label)s_%(class)s_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="%(app_label)s_%(class)s_progress_0_100",
            ),
        ]
        indexes = [models.Index(fields=["-date"], name="commitments_update_date_idx")]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} — {self.get_status_display()} ({self.progress} %)"

    @property
    def target(self):
        return self.action or self.operational_objective
