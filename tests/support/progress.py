"""Progress updates reported on an action or an operational objective, as a test states them.

A commitment's status and progress are those of its latest dated update: a test that needs a
commitment "in progress at 40 %" records the update that says so (`report_today`), never
writes the status on the commitment (that raises StatusWrittenDirectly).
"""

import datetime

import pytest

from commitments.enums import Status
from commitments.models import Action
from tests.factories import ProgressUpdateFactory


def report(target, when, status, progress, **fields):
    """An update of `target` (an action or an operational objective) dated `when`.

    Created without validation (any date, any value), then the rule applied and the change
    recorded as the services do (progress_rule.sync_from_updates, content_changes), and the
    target's status, progress and version reloaded."""
    from commitments.services.content_changes import record_change
    from commitments.services.progress_rule import sync_from_updates

    if isinstance(target, Action):
        fields.update(action=target, operational_objective=None)
    else:
        fields.update(action=None, operational_objective=target)
    update = ProgressUpdateFactory(date=when, status=status, progress=progress, **fields)
    if update.target is not None:
        sync_from_updates(type(update.target).objects.filter(pk=update.target.pk))
        record_change(update)
    if target.pk is not None:
        target.refresh_from_db(fields=["status", "progress", "version", "updated_at"])
    return update


def report_days_ago(target, days_ago, status=Status.IN_PROGRESS, progress=50, **fields):
    """An update of `target` dated `days_ago` days before today."""
    when = datetime.date.today() - datetime.timedelta(days=days_ago)
    return report(target, when, status, progress, **fields)


def report_today(target, status, progress, **fields):
    """The update that gives `target` this status and progress from today on."""
    return report_days_ago(target, 0, status, progress, **fields)


def assert_follows_latest_update(commitment):
    """The rule holds: the commitment's stored status and progress are those of its latest
    update (latest date, then latest recorded), "non renseigné" at 0 % without any."""
    commitment.refresh_from_db()
    latest = commitment.updates.latest_first().first()
    expected = (latest.status, latest.progress) if latest else (Status.NOT_REPORTED, 0)
    assert (commitment.status, commitment.progress) == expected
    return latest


# A valid update, and what each invalid variant changes, the field the error is shown next to
# and a piece of its French message. The protocols of the tests start in 2019 (ProtocolFactory).
VALID_UPDATE = {"status": Status.IN_PROGRESS, "progress": 40, "comment": "", "link": ""}
PROTOCOL_START = datetime.date(2019, 1, 1)


def bad_updates():
    """(id, changed fields, field in error, message) for every kind of invalid update."""
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    return [
        ("future", {"date": tomorrow}, "date", "ne peut pas être dans le futur"),
        (
            "before-the-period",
            {"date": PROTOCOL_START - datetime.timedelta(days=1)},
            "date",
            "antérieure au début du protocole : indiquez une date à partir du 01/01/2019",
        ),
        ("year-9999", {"date": datetime.date(9999, 12, 31)}, "date", "dans le futur"),
        ("year-1", {"date": datetime.date(1, 1, 1)}, "date", "antérieure au début du protocole"),
        ("progress-140", {"progress": 140}, "progress", "inférieure ou égale à 100"),
        (
            "not-reported",
            {"status": Status.NOT_REPORTED, "progress": 0},
            "status",
            "« Non renseigné » ne peut pas être choisi pour un nouveau point",
        ),
        (
            "done-at-40",
            {"status": Status.DONE, "progress": 40},
            "progress",
            "Un engagement réalisé est avancé à 100 %",
        ),
        ("javascript-link", {"link": "javascript:alert(1)"}, "link", "Saisissez une URL valide"),
        (
            "comment-2001",
            {"comment": "x" * 2001},
            "comment",
            "au plus 2000 caractères (actuellement 2001)",
        ),
    ]


def bad_update_params(only=None):
    """bad_updates() as pytest parameters, optionally restricted to some changed fields."""
    return [
        pytest.param(changes, field, message, id=name)
        for name, changes, field, message in bad_updates()
        if only is None or set(changes) <= set(only)
    ]


# Dates that data recorded before updates were validated may hold.
OUT_OF_RANGE_DATES = (datetime.date(9999, 12, 31), datetime.date(1, 1, 1))


def insert_unvalidated_updates(target, dates=OUT_OF_RANGE_DATES, status=Status.DONE, progress=100):
    """Updates dated `dates` on `target`, written as old data may hold them: bulk_create (no
    clean()), then the rule applied as it was then (the year-9999 update is the
    latest one, so it sets the status)."""
    from commitments.models import TARGET_FIELDS, ProgressUpdate
    from commitments.services.progress_rule import sync_from_updates

    field = TARGET_FIELDS[type(target)]
    updates = ProgressUpdate.objects.bulk_create(
        [
            ProgressUpdate(
                **{field: target},
                date=when,
                status=status,
                progress=progress,
                comment=f"Point daté du {when.isoformat()}",
            )
            for when in dates
        ]
    )
    sync_from_updates(type(target).objects.filter(pk=target.pk))
    target.refresh_from_db()
    return updates
