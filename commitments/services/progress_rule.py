"""The latest progress update of a commitment sets its current status and progress.

"Latest" is by date, then by the time the update was recorded: an update back-dated below an
existing one is kept in the history without changing the current state. Deleting the latest
update restores the one before it; deleting the last one returns the commitment to "Non
renseigné" at 0 %, since a status must be backed by a report.

Saving or deleting an update applies the rule (receivers in commitments/signals.py); code that
writes updates without signals (bulk_create, imports) calls `sync_from_updates`. Each call is
one UPDATE whatever the number of commitments.
"""

from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.utils import get_m2m_field_name, get_m2m_reverse_field_name

from commitments.enums import Status
from commitments.models import TARGET_FIELDS, Action, OperationalObjective, ProgressUpdate, Protocol
from commitments.permissions import trackable_by

BULK_STATUS_REASON = "Changement de statut groupé"


def latest_updates_of(model):
    """The updates of the outer commitment row, latest first (for correlated subqueries)."""
    return ProgressUpdate.objects.filter(**{TARGET_FIELDS[model]: OuterRef("pk")}).latest_first()


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


def _touch_protocols_of(queryset):
    Protocol.objects.filter(pk__in=queryset.values(queryset.model.tree.protocol)).touch()


def sync_from_updates(queryset):
    """Apply the latest-update rule to a queryset of actions or operational objectives.

    For code that writes updates without signals (bulk_create, imports). Returns the number of
    commitments changed.
    """
    changed = _sync(queryset)
    if changed:
        _touch_protocols_of(queryset)
    return changed


def resync(action_id, operational_objective_id):
    """Apply the rule to the commitment an update points at (the caller touches its protocol)."""
    if action_id is not None:
        _sync(Action.objects.filter(pk=action_id))
    if operational_objective_id is not None:
        _sync(OperationalObjective.objects.filter(pk=operational_objective_id))


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
    selected = queryset.count()
    allowed_ids = list(trackable_by(user, queryset).values_list("pk", flat=True))
    refused = selected - len(allowed_ids)
    ids = list(
        model._default_manager.filter(pk__in=allowed_ids)
        .exclude(status=status)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0, refused
    rows = model._default_manager.filter(pk__in=ids)
    rows.update(status=status, version=F("version") + 1, updated_at=timezone.now())
    records = model.history.bulk_history_create(
        list(rows), update=True, default_user=user, default_change_reason=BULK_STATUS_REASON
    )
    _snapshot_m2m(model, records)
    _touch_protocols_of(rows)
    return len(ids), refused
