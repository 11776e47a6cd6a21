"""The latest progress update of a commitment sets its current status and progress.

"Latest" is by date, then by the time the update was recorded: an update back-dated below an
existing one is kept in the history without changing the current state. Deleting the latest
update restores the one before it; deleting the last one returns the commitment to "Non
renseigné" at 0 %, since a status must be backed by a report.

Every path records updates through `record_update`, `confirm_last_status`, `record_updates` or
`prepare_update` + `save_prepared` (the bulk path: many validated updates, then one INSERT), which
validate them (ProgressUpdate.clean). Saving or deleting an update applies the rule
(receivers in commitments/signals.py); code that writes updates without signals (bulk_create)
calls `sync_from_updates`. Each sync is one UPDATE whatever the number of commitments.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from commitments.enums import Status
from commitments.models import TARGET_FIELDS, Action, OperationalObjective, ProgressUpdate, Protocol
from commitments.permissions import trackable_by


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


def _new_update(commitment, **fields):
    return ProgressUpdate(**{TARGET_FIELDS[type(commitment)]: commitment}, **fields)


def record_update(commitment, *, status, progress, date, author, comment="", link=""):
    """Record a dated progress update on `commitment` after validating it (ValidationError
    with French messages otherwise); the rule then sets the commitment's status and progress.
    The one write path of the reporting space, the admin and the imports."""
    update = _new_update(
        commitment,
        status=status,
        progress=progress,
        date=date,
        comment=comment,
        link=link,
        author=author,
    )
    update.full_clean()
    update._history_user = author
    update.save()
    return update


def latest_update(commitment):
    return commitment.updates.latest_first().first()


def confirm_last_status(commitment, *, date, author, comment=""):
    """ "Rien de nouveau": a dated update that confirms the current status and progress."""
    last = latest_update(commitment)
    if last is None:
        raise ValidationError(
            "Aucun statut à confirmer : cet engagement n'a encore aucun point d'avancement. "
            "Indiquez son statut."
        )
    update = _new_update(
        commitment,
        status=last.status,
        progress=last.progress,
        date=date,
        comment=comment or "Rien de nouveau depuis le point précédent.",
        author=author,
        confirmation=True,
    )
    update.full_clean()
    update._history_user = author
    update.save()
    return update


def prepare_update(commitment, *, status, progress, date, author, comment="", link=""):
    """An update of `commitment`, validated but not saved (ValidationError with French
    messages otherwise), for `save_prepared` to write with others in bulk. The values and the
    rules of clean(); not the foreign keys (the commitment comes from a query, the author from
    the request) nor the check constraints (held by the fields' validators and the database):
    those cost a query per update. `commitment` should come with its tree (with_tree()): the
    date rule reads its protocol."""
    update = _new_update(
        commitment,
        status=status,
        progress=progress,
        date=date,
        comment=comment,
        link=link,
        author=author,
    )
    update.full_clean(exclude=[*TARGET_FIELDS.values(), "author"], validate_constraints=False)
    return update


@transaction.atomic
def save_prepared(updates, author):
    """Write updates made by `prepare_update` (all on commitments of one model): one INSERT,
    their history, one UPDATE by the rule and the touch of their protocols, whatever their
    number. The bulk path of the admin's bulk action and of spreadsheet imports."""
    if not updates:
        return
    bulk_create_with_history(updates, ProgressUpdate, default_user=author)
    model = type(updates[0].target)
    field = TARGET_FIELDS[model]
    commitments = model.objects.filter(pk__in=[getattr(u, f"{field}_id") for u in updates])
    _sync(commitments)
    # New updates show on the public pages even when no status changed.
    _touch_protocols_of(commitments)


@transaction.atomic
def record_updates(queryset, *, status, date, author, comment=""):
    """One dated update per commitment of `queryset` that `author` may track (the admin's bulk
    action): the chosen status, 100 % when done, otherwise the commitment's current progress.

    Every update is validated before anything is written; then one INSERT, their history, one
    UPDATE by the rule and the touch of their protocols, whatever the number of commitments.
    Returns (recorded, refused): how many were recorded, how many the user may not track.
    """
    selected = queryset.count()
    allowed = list(trackable_by(author, queryset).with_tree())
    # Every update is validated before anything is written.
    updates = [
        prepare_update(
            commitment,
            status=status,
            progress=100 if status == Status.DONE else commitment.progress,
            date=date,
            comment=comment,
            author=author,
        )
        for commitment in allowed
    ]
    save_prepared(updates, author)
    return len(updates), selected - len(allowed)
