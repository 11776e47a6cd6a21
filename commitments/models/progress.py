"""Progress updates: the dated reports on a tracked commitment, by their author.

The latest update (by date, then by the time it was recorded) sets the commitment's status and
progress (commitments/services/progress_rule.py). What makes an update valid is written once,
in `ProgressUpdate.clean()` and the fields' validators: every path (the tracking space, the
admin, the spreadsheet import) validates through them. « Réalisé ⇒ 100 % » is `progress_for`:
clean() refuses another figure, and the forms and the bulk action fill it in with it.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    URLValidator,
)
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from commitments.enums import Status
from commitments.models.constraints import progress_0_100
from commitments.models.nodes import Action, OperationalObjective
from perer.lib.user_names import display_name

# The ProgressUpdate foreign key that points at each kind of tracked commitment.
TARGET_FIELDS = {Action: "action", OperationalObjective: "operational_objective"}

COMMENT_MAX_LENGTH = 2000
# « Réalisé » means this progress.
DONE_PROGRESS = 100
DONE_PROGRESS_MESSAGE = "Un engagement réalisé est avancé à 100 %."
# The earliest plausible date when a protocol states no period.
EARLIEST_DATE = datetime.date(2000, 1, 1)


def progress_for(status, progress):
    """« Réalisé ⇒ 100 % », written once: the progress of an update of `status` whose progress
    is otherwise `progress` (the figure typed, or the commitment's current one)."""
    return DONE_PROGRESS if status == Status.DONE else progress


def earliest_date(protocol):
    """An update is never dated before its protocol's period starts."""
    if protocol is not None and protocol.start_year:
        return datetime.date(protocol.start_year, 1, 1)
    return EARLIEST_DATE


class ProgressUpdateQuerySet(models.QuerySet):
    def latest_first(self):
        return self.order_by("-date", "-created_at", "-pk")

    def with_targets(self):
        """The commitment each update reports on, with its place in the tree (one query)."""
        return self.select_related(
            *(
                f"{field}__{path}"
                for model, field in TARGET_FIELDS.items()
                for path in (model.tree.territory, model.tree.thematic)
            )
        )

    def for_territory(self, territory):
        lookups = [
            Q(**{f"{field}__{model.tree.territory}": territory})
            for model, field in TARGET_FIELDS.items()
        ]
        return self.filter(Q(*lookups, _connector=Q.OR))


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
    comment = models.TextField(
        "commentaire", blank=True, validators=[MaxLengthValidator(COMMENT_MAX_LENGTH)]
    )
    link = models.URLField(
        "lien",
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Une adresse web (http:// ou https://) : compte rendu, article, délibération…",
    )
    confirmation = models.BooleanField(
        "rien de nouveau",
        default=False,
        help_text="Le point confirme le statut précédent, sans changement.",
    )
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
            progress_0_100(),
        ]
        indexes = [models.Index(fields=["-date"], name="commitments_update_date_idx")]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} — {self.get_status_display()} ({self.progress} %)"

    @property
    def target(self):
        return self.action or self.operational_objective

    @property
    def author_name(self):
        return display_name(self.author, unknown="auteur inconnu")

    def clean(self):
        """The rules every update follows, whatever records it (French messages)."""
        errors = {}
        today = timezone.localdate()
        target = self.target if (self.action_id or self.operational_objective_id) else None
        if self.date is not None:
            if self.date > today:
                errors["date"] = (
                    f"La date ne peut pas être dans le futur (aujourd'hui : {today:%d/%m/%Y})."
                )
            elif target is not None and self.date < earliest_date(target.section.protocol):
                earliest = earliest_date(target.section.protocol)
                errors["date"] = (
                    f"La date est antérieure au début du protocole : indiquez une date à partir "
                    f"du {earliest:%d/%m/%Y}."
                )
        if self._state.adding and self.status == Status.NOT_REPORTED:
            errors["status"] = (
                "« Non renseigné » ne peut pas être choisi pour un nouveau point : indiquez le "
                "statut constaté (prévu, en cours, réalisé ou abandonné)."
            )
        if self.progress is not None and self.progress != progress_for(self.status, self.progress):
            errors["progress"] = DONE_PROGRESS_MESSAGE
        if errors:
            raise ValidationError(errors)
