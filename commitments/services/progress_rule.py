"""The latest progress update of a commitment sets its current status and progress.

"Latest" is by date, then by the time the update was recorded: an update back-dated below an
existing one is kept in the history without changing the current state. Deleting the latest
update restores the one before it; deleting the last one returns the commitment to "Non
renseigné" at 0 %, since a status must be backed by a report.

Every write of an update goes through this module, and each function applies the rule itself
(one UPDATE whatever the number of commitments) and records the change of content
(content_changes.record_change: the protocols' pages and PDFs), in one transaction that first
locks the commitments' rows — two updates recorded at the same instant on one commitment are
applied one after the other, the second reading the first:
- `record_update`, `confirm_last_status`: one update (the tracking space, its review of an
  objective); with `version`, refused (perer/lib/concurrency.VersionConflict) when the
  commitment changed since the form was loaded — checked after the lock, in the transaction
  that writes;
- `save_update`, `delete_update`, `delete_updates`: the admin's add, change (an update moved
  to another commitment resyncs both), revert and deletions;
- `prepare_update` + `save_prepared`, and `record_updates`: in bulk (the admin's bulk action,
  spreadsheet imports): one INSERT, one UPDATE;
- `sync_from_updates`: applies the rule to commitments whose updates were written without this
  module (bulk_create of synthetic data, old data).
Recording or deleting an update bumps its commitment's `version` (the stale-form protection:
a form loaded before it is refused); `sync_from_updates` bumps it only where the status or the
progress changed. Updates are validated by ProgressUpdate.clean (models/progress.py), which
also holds « réalisé ⇒ 100 % » (`progress_for`).

Queries: one locked SELECT of the commitments, the writes, one UPDATE by the rule per kind of
commitment, two UPDATEs recording the change (sections, protocols) — whatever the number of
updates.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from commitments.enums import Status
from commitments.models import TARGET_FIELDS, ProgressUpdate, progress_for
from commitments.permissions import trackable_by
from commitments.services.content_changes import record_change
from perer.lib.concurrency import check_version


def latest_updates_of(model):
    """The updates of the outer commitment row, latest first (for correlated subqueries)."""
    return ProgressUpdate.objects.filter(**{TARGET_FIELDS[model]: OuterRef("pk")}).latest_first()


def _sync(queryset, *, bump):
    """One UPDATE: copy the latest update's status and progress onto the commitments. `bump`:
    every row's version moves (its updates changed); otherwise only the rows whose status or
    progress differ are written."""
    latest = latest_updates_of(queryset.model)
    not_reported = Value(Status.NOT_REPORTED.value)
    rows = queryset.annotate(
        _new_status=Coalesce(Subquery(latest.values("status")[:1]), not_reported),
        _new_progress=Coalesce(Subquery(latest.values("progress")[:1]), Value(0)),
    )
    if not bump:
        rows = rows.exclude(status=F("_new_status"), progress=F("_new_progress"))
    return rows.update(
        status=F("_new_status"),
        progress=F("_new_progress"),
        version=F("version") + 1,
        updated_at=timezone.now(),
    )


def _commitments(targets):
    """Querysets of the commitments named by (action id, operational objective id) pairs."""
    ids: dict[Any, set[int]] = {model: set() for model in TARGET_FIELDS}
    for pair in targets:
        for model, pk in zip(TARGET_FIELDS, pair, strict=True):
            if pk is not None:
                ids[model].add(pk)
    return [model.objects.filter(pk__in=pks) for model, pks in ids.items() if pks]


def _lock(querysets):
    """Lock the commitments' rows until the transaction ends, in key order (two writers of
    several commitments never wait for each other in a circle)."""
    for queryset in querysets:
        list(queryset.order_by("pk").select_for_update().values_list("pk", flat=True))


def _applied(querysets):
    """The rule applied to commitments whose updates changed, and the change recorded."""
    for queryset in querysets:
        _sync(queryset, bump=True)
    record_change(*querysets)


def _target_of(update):
    return (update.action_id, update.operational_objective_id)


def sync_from_updates(queryset):
    """Apply the rule to a queryset of actions or operational objectives whose updates were
    written without this module (bulk_create). Returns the number of commitments changed."""
    changed = _sync(queryset, bump=False)
    if changed:
        record_change(queryset)
    return changed


def _new_update(commitment, **fields):
    return ProgressUpdate(**{TARGET_FIELDS[type(commitment)]: commitment}, **fields)


def _locked(commitment, version):
    """The commitment's row locked, its version checked when the caller loaded one."""
    if version is None:
        _lock([type(commitment).objects.filter(pk=commitment.pk)])
    else:
        check_version(commitment, version)


def _saved(update, author):
    update.full_clean()
    update._history_user = author
    update.save()
    _applied(_commitments([_target_of(update)]))
    return update


@transaction.atomic
def record_update(commitment, *, status, progress, date, author, comment="", link="", version=None):
    """Record a dated progress update on `commitment` after validating it (ValidationError
    with French messages otherwise) and apply the rule. `version`: the commitment's version
    the form was loaded with (VersionConflict if it changed since; None: not checked)."""
    _locked(commitment, version)
    update = _new_update(
        commitment,
        status=status,
        progress=progress,
        date=date,
        comment=comment,
        link=link,
        author=author,
    )
    return _saved(update, author)


def latest_update(commitment):
    return commitment.updates.latest_first().first()


@transaction.atomic
def confirm_last_status(commitment, *, date, author, comment="", version=None):
    """ "Rien de nouveau": a dated update that confirms the current status and progress
    (`version` as for record_update)."""
    _locked(commitment, version)
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
    return _saved(update, author)


@transaction.atomic
def save_update(update, *, by):
    """Save an update validated by its form (the admin's add, change and revert). An update
    moved to another commitment leaves the one it was on: both follow the rule again."""
    stored = ProgressUpdate.objects.filter(pk=update.pk).values_list(
        "action_id", "operational_objective_id"
    )
    targets = {_target_of(update), *(stored if update.pk is not None else ())}
    commitments = _commitments(targets)
    _lock(commitments)
    update._history_user = by
    update.save()
    _applied(commitments)
    return update


@transaction.atomic
def delete_update(update, *, by):
    """Delete one update; its commitment follows the update before it."""
    commitments = _commitments([_target_of(update)])
    _lock(commitments)
    update._history_user = by
    update.delete()
    _applied(commitments)


@transaction.atomic
def delete_updates(queryset):
    """Delete the updates of `queryset` (the admin's bulk deletion); their commitments follow
    the updates left. Returns the number deleted (the history records the request's user:
    simple-history's middleware)."""
    commitments = _commitments(queryset.values_list("action_id", "operational_objective_id"))
    _lock(commitments)
    deleted, _ = queryset.delete()
    _applied(commitments)
    return deleted


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
    """Write updates made by `prepare_update` (all on commitments of one model): one locked
    read, one INSERT, their history, one UPDATE by the rule and the change recorded, whatever
    their number. The bulk path of the admin's bulk action and of spreadsheet imports."""
    if not updates:
        return
    commitments = _commitments(_target_of(update) for update in updates)
    _lock(commitments)
    bulk_create_with_history(updates, ProgressUpdate, default_user=author)
    _applied(commitments)


@transaction.atomic
def record_updates(queryset, *, status, date, author, comment=""):
    """One dated update per commitment of `queryset` that `author` may track (the admin's bulk
    action): the chosen status, and the commitment's current progress unless the status sets
    it (« réalisé ⇒ 100 % », models/progress.py `progress_for`).

    Every update is validated before anything is written; then save_prepared.
    Returns (recorded, refused): how many were recorded, how many the user may not track.
    """
    selected = queryset.count()
    allowed = list(trackable_by(author, queryset).with_tree())
    updates = [
        prepare_update(
            commitment,
            status=status,
            progress=progress_for(status, commitment.progress),
            date=date,
            comment=comment,
            author=author,
        )
        for commitment in allowed
    ]
    save_prepared(updates, author)
    return len(updates), selected - len(allowed)
