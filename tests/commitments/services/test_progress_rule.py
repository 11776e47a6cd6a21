"""The latest-update rule (services/progress_rule.py): a commitment's status and progress are
those of its latest progress update, whatever is added, edited, moved or deleted."""

import datetime

import pytest

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, ProgressUpdate, Protocol
from commitments.services.progress_rule import sync_from_updates
from tests.factories import ActionFactory, OperationalObjectiveFactory
from tests.support.progress import report

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
TODAY = datetime.date(2024, 6, 15)


def current(target):
    target.refresh_from_db()
    return target.status, target.progress


class TestLatestUpdateRule:
    def test_a_new_commitment_is_not_reported(self):
        assert current(ActionFactory()) == (Status.NOT_REPORTED, 0)

    def test_the_latest_update_sets_status_and_progress(self):
        action = ActionFactory()
        report(action, TODAY - 10 * DAY, Status.PLANNED, 0)
        assert current(action) == (Status.PLANNED, 0)
        report(action, TODAY, Status.IN_PROGRESS, 30)
        assert current(action) == (Status.IN_PROGRESS, 30)
        assert action.updates.count() == 2  # the history stays

    def test_a_back_dated_update_does_not_override_a_later_one(self):
        action = ActionFactory()
        report(action, TODAY, Status.IN_PROGRESS, 60)
        report(action, TODAY - 30 * DAY, Status.PLANNED, 10)
        assert current(action) == (Status.IN_PROGRESS, 60)

    def test_on_the_same_date_the_last_recorded_wins(self):
        action = ActionFactory()
        report(action, TODAY, Status.IN_PROGRESS, 60)
        report(action, TODAY, Status.DONE, 100)
        assert current(action) == (Status.DONE, 100)

    def test_editing_an_older_update_into_the_latest(self):
        action = ActionFactory()
        older = report(action, TODAY - 30 * DAY, Status.PLANNED, 10)
        report(action, TODAY - 5 * DAY, Status.IN_PROGRESS, 40)
        older.date, older.status, older.progress = TODAY, Status.DONE, 100
        older.save()
        assert current(action) == (Status.DONE, 100)

    def test_deleting_the_latest_update_restores_the_previous_one(self):
        action = ActionFactory()
        report(action, TODAY - 30 * DAY, Status.PLANNED, 10)
        latest = report(action, TODAY, Status.DONE, 100)
        latest.delete()
        assert current(action) == (Status.PLANNED, 10)

    def test_deleting_an_older_update_changes_nothing(self):
        action = ActionFactory()
        older = report(action, TODAY - 30 * DAY, Status.PLANNED, 10)
        report(action, TODAY, Status.IN_PROGRESS, 50)
        older.delete()
        assert current(action) == (Status.IN_PROGRESS, 50)

    def test_deleting_the_only_update_returns_to_not_reported(self):
        action = ActionFactory()
        report(action, TODAY, Status.DONE, 100).delete()
        assert current(action) == (Status.NOT_REPORTED, 0)

    def test_operational_objectives_follow_the_same_rule(self):
        objective = OperationalObjectiveFactory()
        report(objective, TODAY, Status.IN_PROGRESS, 20)
        report(objective, TODAY - DAY, Status.DONE, 100)
        assert current(objective) == (Status.IN_PROGRESS, 20)

    def test_only_the_reported_commitment_changes(self):
        action = ActionFactory()
        sibling = ActionFactory(operational_objective=action.operational_objective)
        report(action, TODAY, Status.DONE, 100)
        assert current(sibling) == (Status.NOT_REPORTED, 0)
        assert current(action.operational_objective) == (Status.NOT_REPORTED, 0)

    def test_moving_an_update_resyncs_both_commitments(self):
        first, second = ActionFactory(), ActionFactory()
        update = report(first, TODAY, Status.DONE, 100)
        update.action = second
        update.save()
        assert current(first) == (Status.NOT_REPORTED, 0)
        assert current(second) == (Status.DONE, 100)

    def test_a_change_bumps_the_version_for_the_admin_conflict_check(self):
        action = ActionFactory()
        version = action.version
        report(action, TODAY, Status.DONE, 100)
        action.refresh_from_db()
        assert action.version == version + 1
        # A comment-only update that changes neither status nor progress keeps the version.
        report(action, TODAY, Status.DONE, 100, comment="Rien de neuf")
        action.refresh_from_db()
        assert action.version == version + 1

    def test_deleting_a_commitment_with_updates(self):
        action = ActionFactory()
        report(action, TODAY, Status.DONE, 100)
        action.operational_objective.delete()
        assert not ProgressUpdate.objects.filter(action_id=action.pk).exists()


def test_sync_from_updates_repairs_bulk_writes_and_touches_the_protocol():
    action = ActionFactory()
    protocol = action.operational_objective.strategic_objective.section.protocol
    ProgressUpdate.objects.bulk_create(
        [ProgressUpdate(action=action, date=TODAY, status=Status.IN_PROGRESS, progress=70)]
    )
    assert current(action) == (Status.NOT_REPORTED, 0)  # bulk_create sends no signal
    before = Protocol.objects.get(pk=protocol.pk).last_changed_at
    assert sync_from_updates(Action.objects.filter(pk=action.pk)) == 1
    assert current(action) == (Status.IN_PROGRESS, 70)
    assert Protocol.objects.get(pk=protocol.pk).last_changed_at > before
    assert sync_from_updates(Action.objects.filter(pk=action.pk)) == 0
    assert sync_from_updates(OperationalObjective.objects.none()) == 0
