"""The latest-update rule (services/progress_rule.py): a commitment's status and progress are
those of its latest progress update, whatever is added, edited, moved or deleted."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, ProgressUpdate, Protocol
from commitments.models.progress import EARLIEST_DATE
from commitments.services.progress_rule import (
    confirm_last_status,
    delete_update,
    delete_updates,
    record_update,
    record_updates,
    save_update,
    sync_from_updates,
)
from perer.lib.concurrency import VersionConflict
from tests.factories import ActionFactory, OperationalObjectiveFactory, UserFactory
from tests.support.admin import build_tree, corbeil, grigny, make_user
from tests.support.progress import (
    PROTOCOL_START,
    VALID_UPDATE,
    assert_follows_latest_update,
    bad_update_params,
    report,
)

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
        save_update(older, by=None)
        assert current(action) == (Status.DONE, 100)

    def test_deleting_the_latest_update_restores_the_previous_one(self):
        action = ActionFactory()
        report(action, TODAY - 30 * DAY, Status.PLANNED, 10)
        latest = report(action, TODAY, Status.DONE, 100)
        delete_update(latest, by=None)
        assert current(action) == (Status.PLANNED, 10)

    def test_deleting_an_older_update_changes_nothing(self):
        action = ActionFactory()
        older = report(action, TODAY - 30 * DAY, Status.PLANNED, 10)
        report(action, TODAY, Status.IN_PROGRESS, 50)
        delete_update(older, by=None)
        assert current(action) == (Status.IN_PROGRESS, 50)

    def test_deleting_the_only_update_returns_to_not_reported(self):
        action = ActionFactory()
        delete_update(report(action, TODAY, Status.DONE, 100), by=None)
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
        save_update(update, by=None)
        assert current(first) == (Status.NOT_REPORTED, 0)
        assert current(second) == (Status.DONE, 100)

    def test_deleting_updates_in_bulk_resyncs_their_commitments(self):
        first, second = ActionFactory(), OperationalObjectiveFactory()
        report(first, TODAY - DAY, Status.PLANNED, 0)
        report(first, TODAY, Status.DONE, 100)
        report(second, TODAY, Status.IN_PROGRESS, 30)
        latest = ProgressUpdate.objects.filter(date=TODAY)
        assert delete_updates(latest) == 2
        assert current(first) == (Status.PLANNED, 0)
        assert current(second) == (Status.NOT_REPORTED, 0)

    def test_a_repair_bumps_the_version_where_the_status_changed_only(self):
        action = ActionFactory()
        version = action.version
        report(action, TODAY, Status.DONE, 100)  # written in bulk, then repaired
        action.refresh_from_db()
        assert action.version == version + 1
        report(action, TODAY, Status.DONE, 100, comment="Rien de neuf")
        action.refresh_from_db()
        assert action.version == version + 1

    def test_every_update_recorded_or_deleted_bumps_the_version(self):
        """The stale-form protection: a form loaded before any update is refused, even one
        that changes neither the status nor the progress."""
        action = ActionFactory()
        today = datetime.date.today()
        record_update(action, status=Status.DONE, progress=100, date=today, author=None)
        same = record_update(action, status=Status.DONE, progress=100, date=today, author=None)
        action.refresh_from_db()
        assert action.version == 3
        delete_update(same, by=None)
        action.refresh_from_db()
        assert (action.version, action.status) == (4, Status.DONE)

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
    assert current(action) == (Status.NOT_REPORTED, 0)  # written without the rule
    before = Protocol.objects.get(pk=protocol.pk).last_changed_at
    assert sync_from_updates(Action.objects.filter(pk=action.pk)) == 1
    assert current(action) == (Status.IN_PROGRESS, 70)
    assert Protocol.objects.get(pk=protocol.pk).last_changed_at > before
    assert sync_from_updates(Action.objects.filter(pk=action.pk)) == 0
    assert sync_from_updates(OperationalObjective.objects.none()) == 0


# record_update, confirm_last_status, record_updates: the write paths, validated ----------------


class TestRecordUpdate:
    def test_records_a_dated_update_that_sets_status_and_progress(self):
        action = ActionFactory()
        protocol = action.operational_objective.strategic_objective.section.protocol
        Protocol.objects.filter(pk=protocol.pk).update(last_changed_at="2000-01-01T00:00Z")
        author = UserFactory()
        update = record_update(
            action,
            status=Status.IN_PROGRESS,
            progress=40,
            date=datetime.date.today(),
            author=author,
            comment="Comité tenu",
            link="https://example.org/cr",
        )
        assert (update.author, update.comment, update.confirmation) == (
            author,
            "Comité tenu",
            False,
        )
        assert assert_follows_latest_update(action) == update
        assert (action.status, action.progress, action.version) == (Status.IN_PROGRESS, 40, 2)
        assert update.history.get().history_user == author
        assert Protocol.objects.get(pk=protocol.pk).last_changed_at.year > 2000

    def test_operational_objectives_too(self):
        objective = OperationalObjectiveFactory()
        record_update(
            objective, status=Status.DONE, progress=100, date=datetime.date.today(), author=None
        )
        assert current(objective) == (Status.DONE, 100)

    def test_a_back_dated_update_is_kept_without_changing_the_status(self):
        action = ActionFactory()
        today = datetime.date.today()
        record_update(action, status=Status.IN_PROGRESS, progress=60, date=today, author=None)
        record_update(action, status=Status.PLANNED, progress=0, date=PROTOCOL_START, author=None)
        assert action.updates.count() == 2
        assert assert_follows_latest_update(action).progress == 60

    def test_the_first_day_of_the_protocol_and_today_are_accepted(self):
        action = ActionFactory()
        for when in (PROTOCOL_START, datetime.date.today()):
            record_update(action, status=Status.PLANNED, progress=0, date=when, author=None)
        assert action.updates.count() == 2

    def test_a_protocol_without_period_accepts_dates_from_2000(self):
        action = ActionFactory(
            operational_objective__strategic_objective__section__protocol__start_year=None
        )
        with pytest.raises(ValidationError, match="à partir du 01/01/2000"):
            record_update(
                action,
                status=Status.PLANNED,
                progress=0,
                date=EARLIEST_DATE - DAY,
                author=None,
            )
        record_update(action, status=Status.PLANNED, progress=0, date=EARLIEST_DATE, author=None)

    @pytest.mark.parametrize(("changes", "field", "message"), bad_update_params())
    def test_an_invalid_update_is_refused_with_a_french_message(self, changes, field, message):
        action = ActionFactory()
        report(action, datetime.date.today() - 10 * DAY, Status.PLANNED, 10)
        fields = {**VALID_UPDATE, "date": datetime.date.today(), **changes}
        with pytest.raises(ValidationError) as refused:
            record_update(action, author=None, **fields)
        assert any(message in text for text in refused.value.message_dict[field]), (
            refused.value.message_dict
        )
        assert action.updates.count() == 1  # nothing saved
        assert current(action) == (Status.PLANNED, 10)


class TestConfirmLastStatus:
    def test_confirms_the_status_and_progress_of_the_latest_update(self):
        action = ActionFactory()
        report(action, datetime.date.today() - 400 * DAY, Status.IN_PROGRESS, 30)
        user = UserFactory()
        update = confirm_last_status(action, date=datetime.date.today(), author=user)
        assert (update.status, update.progress, update.confirmation) == (
            Status.IN_PROGRESS,
            30,
            True,
        )
        assert update.comment == "Rien de nouveau depuis le point précédent."
        assert update.author == user
        assert assert_follows_latest_update(action) == update

    def test_nothing_to_confirm_without_an_update(self):
        action = ActionFactory()
        with pytest.raises(ValidationError, match="Aucun statut à confirmer"):
            confirm_last_status(action, date=datetime.date.today(), author=None)
        assert not action.updates.exists()

    def test_the_date_is_validated_too(self):
        action = ActionFactory()
        report(action, datetime.date.today() - 10 * DAY, Status.PLANNED, 0)
        with pytest.raises(ValidationError, match="dans le futur"):
            confirm_last_status(action, date=datetime.date(9999, 12, 31), author=None)
        assert action.updates.count() == 1


class TestRecordUpdates:
    """The bulk action's service: one update per commitment the user may track."""

    def test_one_update_per_commitment(self):
        oo = OperationalObjectiveFactory()
        started, fresh = (
            ActionFactory(operational_objective=oo),
            ActionFactory(operational_objective=oo),
        )
        report(started, datetime.date.today() - 30 * DAY, Status.IN_PROGRESS, 60)
        user = make_user("agglomeration")
        queryset = Action.objects.filter(operational_objective=oo)
        today = datetime.date.today()

        assert record_updates(
            queryset, status=Status.PLANNED, date=today, author=user, comment="Revue"
        ) == (2, 0)
        # The chosen status; the progress each commitment had.
        assert current(started) == (Status.PLANNED, 60)
        assert current(fresh) == (Status.PLANNED, 0)
        for action in (started, fresh):
            latest = assert_follows_latest_update(action)
            assert (latest.date, latest.author, latest.comment) == (today, user, "Revue")
            assert latest.history.get().history_user == user

        # "Réalisé" means 100 %.
        record_updates(queryset, status=Status.DONE, date=today, author=user)
        assert current(started) == current(fresh) == (Status.DONE, 100)

    def test_a_lead_records_only_on_their_territories(self):
        mine, theirs = build_tree(grigny())["action"], build_tree(corbeil())["action"]
        lead = make_user("grigny_lead")
        queryset = Action.objects.filter(pk__in=[mine.pk, theirs.pk])
        assert record_updates(
            queryset, status=Status.ABANDONED, date=datetime.date.today(), author=lead
        ) == (1, 1)
        assert current(mine) == (Status.ABANDONED, 0)
        assert current(theirs) == (Status.NOT_REPORTED, 0)
        assert not theirs.updates.exists()

    @pytest.mark.parametrize(
        ("changes", "field", "message"), bad_update_params(only=("date", "status", "comment"))
    )
    def test_one_invalid_update_writes_nothing(self, changes, field, message):
        oo = OperationalObjectiveFactory()
        actions = [ActionFactory(operational_objective=oo) for _ in range(3)]
        fields = {"status": Status.IN_PROGRESS, "date": datetime.date.today(), **changes}
        fields.pop("progress", None)  # the bulk action keeps each commitment's progress
        with pytest.raises(ValidationError) as refused:
            record_updates(
                Action.objects.filter(operational_objective=oo),
                author=make_user("agglomeration"),
                **fields,
            )
        assert any(message in text for text in refused.value.messages), refused.value.messages
        assert not ProgressUpdate.objects.filter(action__in=actions).exists()
        assert all(current(action) == (Status.NOT_REPORTED, 0) for action in actions)


def test_every_write_path_of_the_service_keeps_the_rule():
    """Whatever the order of the calls, the stored status is the latest update's."""
    action = ActionFactory()
    today = datetime.date.today()
    record_update(action, status=Status.PLANNED, progress=0, date=today - 5 * DAY, author=None)
    assert_follows_latest_update(action)
    record_updates(
        Action.objects.filter(pk=action.pk),
        status=Status.IN_PROGRESS,
        date=today,
        author=make_user("agglomeration"),
    )
    assert_follows_latest_update(action)
    record_update(action, status=Status.DONE, progress=100, date=today - 2 * DAY, author=None)
    assert assert_follows_latest_update(action).status == Status.IN_PROGRESS
    confirm_last_status(action, date=today, author=None)
    assert assert_follows_latest_update(action).confirmation
    delete_update(action.updates.latest_first().first(), by=None)
    assert_follows_latest_update(action)


class TestVersionChecked:
    """With the version the form was loaded with, a write on a commitment changed since is
    refused before anything is written (perer/lib/concurrency.py; the race between two
    connections: test_progress_rule_concurrency.py)."""

    def test_the_current_version_passes_and_moves_on(self):
        action = ActionFactory()
        today = datetime.date.today()
        record_update(action, status=Status.PLANNED, progress=0, date=today, author=None, version=1)
        with pytest.raises(VersionConflict) as stale:
            record_update(
                action, status=Status.DONE, progress=100, date=today, author=None, version=1
            )
        assert stale.value.current_version == 2
        with pytest.raises(VersionConflict):
            confirm_last_status(action, date=today, author=None, version=1)
        assert current(action) == (Status.PLANNED, 0)
        assert action.updates.count() == 1
        confirm_last_status(action, date=today, author=None, version=2)
        assert action.updates.count() == 2
