"""The latest progress update of a commitment sets its current status and progress.

"Latest" is by date, then by the time the update was recorded: an update back-dated below an
existing one is kept in the history without changing the current state. Deleting the latest
update restores the one before it; deleting the last one returns the commitment to "Non
renseigné" at 0 %, since a status must be backed by a report.

The receivers are registered by importing this module from commitments/signals.py.
"""

from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver
from django.utils import timezone

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, ProgressUpdate, Protocol

# The ProgressUpdate foreign key that points at each kind of commitment.
TARGET_FIELDS = {Action: "action", OperationalObjective: "operational_objective"}


def latest_updates_of(model):
    """The updates of the outer commitment row, latest first (for correlated subqueries)."""
    return ProgressUpdate.objects.filter(**{TARGET_FIELDS[model]: OuterRef("pk")}).order_by(
        "-date", "-created_at", "-pk"
    )


def _sync(queryset):
    """One UPDATE: copy the latest update's status and progress onto the commitments whose
    current values differ. Bumps `version` so that an admin form opened before the update
    reports a conflict instead of silently writing the old status back."""
    latest = latest_updates_of(queryset.model)
    return (
        queryset.annotate(
            _new_status=Coalesce(
                Subquery(latest.values("status")[:1]), Value(Status.NOT_REPORTED.value)
            ),
            _new_progress=Coalesce(Subquery(latest.values("progress")[:1]), Value(0)),
        )
        .exclude(status=F("_new_status"), progress=F("_new_progress"))
        .update(
            status=F("_new_status"),
            progress=F("_new_progress"),
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
    )


def sync_from_updates(queryset):
    """Apply the latest-update rule to a queryset of actions or operational objectives.

    For code that writes updates without signals (bulk_create, imports). Returns the number of
    commitments changed.
    """
    changed = _sync(queryset)
    if changed:
        Protocol.objects.filter(pk__in=queryset.values(_protocol_path(queryset.model))).touch()
    return changed


def _protocol_path(model):
    path = "strategic_objective__section__protocol"
    return "operational_objective__" + path if model is Action else path


def _targets(action_id, operational_objective_id):
    if action_id is not None:
        yield Action.objects.filter(pk=action_id)
    if operational_objective_id is not None:
        yield OperationalObjective.objects.filter(pk=operational_objective_id)


@receiver(post_init, sender=ProgressUpdate)
def remember_target(sender, instance, **kwargs):
    # An update moved to another commitment must also resync the one it left.
    instance._tracking_target = (instance.action_id, instance.operational_objective_id)


@receiver(post_save, sender=ProgressUpdate)
@receiver(post_delete, sender=ProgressUpdate)
def apply_latest_update(sender, instance, raw=False, **kwargs):
    if raw:
        return
    current = (instance.action_id, instance.operational_objective_id)
    previous = getattr(instance, "_tracking_target", current)
    # No touch() for the current target: this save/delete already touched it (signals.py).
    for queryset in _targets(*current):
        _sync(queryset)
    if previous != current:
        for queryset in _targets(*previous):
            sync_from_updates(queryset)
    instance._tracking_target = current
