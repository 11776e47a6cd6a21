"""Reporting rounds, frozen figures and the notifications log (commitments/models/rounds.py):
French validation messages, the database constraints, the derived state, the unique key."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from commitments.enums import NotificationKind, RoundState, Status
from commitments.models import Notification, ReportingRound, RoundFigure
from territories.models import Territory
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date


def new_round(**fields):
    values = {
        "title": "Campagne 2026",
        "period_start": D(2026, 1, 1),
        "period_end": D(2026, 6, 30),
        "opens_on": D(2026, 6, 1),
        "deadline": D(2026, 7, 15),
        **fields,
    }
    return ReportingRound(**values)


class TestValidation:
    def test_a_valid_round(self):
        new_round().full_clean()

    def test_a_one_day_period_and_same_day_deadline_are_valid(self):
        new_round(period_end=D(2026, 1, 1), deadline=D(2026, 6, 1)).full_clean()

    def test_period_in_the_wrong_order(self):
        with pytest.raises(ValidationError) as raised:
            new_round(period_end=D(2025, 12, 31)).full_clean()
        assert raised.value.message_dict["period_end"] == [
            "La fin de la période doit être postérieure ou égale à son début (01/01/2026)."
        ]

    def test_deadline_before_opening(self):
        with pytest.raises(ValidationError) as raised:
            new_round(deadline=D(2026, 5, 31)).full_clean()
        assert (
            "postérieure ou égale à la date d'ouverture (01/06/2026)"
            in (raised.value.message_dict["deadline"][0])
        )

    @pytest.mark.parametrize("name", ["period_start", "period_end", "opens_on", "deadline"])
    @pytest.mark.parametrize("day", [D(1, 1, 1), D(1999, 12, 31), D(2100, 1, 1), D(9999, 12, 31)])
    def test_implausible_dates(self, name, day):
        with pytest.raises(ValidationError) as raised:
            new_round(**{name: day}).full_clean()
        assert raised.value.message_dict[name] == [
            "Indiquez une date entre le 01/01/2000 et le 31/12/2099."
        ]

    def test_the_database_refuses_what_clean_refuses(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            new_round(period_end=D(2025, 1, 1)).save()
        with pytest.raises(IntegrityError), transaction.atomic():
            new_round(deadline=D(2025, 1, 1)).save()


class TestState:
    def test_upcoming_open_closed(self):
        round_ = new_round()
        assert round_.state_on(D(2026, 5, 31)) == RoundState.UPCOMING
        assert round_.state_on(D(2026, 6, 1)) == RoundState.OPEN
        assert round_.state_on(D(2026, 8, 1)) == RoundState.OPEN  # past the deadline: still open
        round_.closed_at = timezone.now()
        assert round_.state_on(D(2026, 6, 10)) == RoundState.CLOSED

    def test_querysets(self):
        grigny = Territory.objects.get(slug="grigny")
        corbeil = Territory.objects.get(slug="corbeil-essonnes")
        open_ = new_round()
        open_.save()
        open_.territories.set([grigny, corbeil])
        closed = new_round(title="Close", closed_at=timezone.now())
        closed.save()
        closed.territories.set([corbeil])
        assert list(ReportingRound.objects.open_on(D(2026, 6, 2))) == [open_]
        assert list(ReportingRound.objects.open_on(D(2026, 5, 2))) == []
        assert list(ReportingRound.objects.closed()) == [closed]
        assert set(ReportingRound.objects.concerning([grigny, corbeil])) == {open_, closed}
        assert list(ReportingRound.objects.concerning([grigny])) == [open_]


class TestFigures:
    def figure(self, round_, **fields):
        action = fields.pop("action", None) or factories.ActionFactory()
        values = {
            "round": round_,
            "action": action,
            "kind": "action",
            "text": action.text,
            "territory": action.territory,
            "thematic": action.section.thematic,
            "status": Status.DONE,
            "progress": 100,
            **fields,
        }
        return RoundFigure.objects.create(**values)

    def test_one_row_per_commitment_and_round(self):
        round_ = new_round()
        round_.save()
        first = self.figure(round_)
        with pytest.raises(IntegrityError), transaction.atomic():
            self.figure(round_, action=first.action)

    def test_never_two_targets(self):
        round_ = new_round()
        round_.save()
        with pytest.raises(IntegrityError), transaction.atomic():
            self.figure(round_, operational_objective=factories.OperationalObjectiveFactory())

    def test_deleting_the_commitment_keeps_the_figure(self):
        round_ = new_round()
        round_.save()
        figure = self.figure(round_)
        figure.action.delete()
        figure.refresh_from_db()
        assert figure.action is None and figure.status == Status.DONE


class TestNotification:
    def test_the_key_is_unique(self):
        user = factories.UserFactory()
        key = f"reminder_7_days:round=1:user={user.pk}"
        Notification.objects.create(user=user, kind=NotificationKind.REMINDER_7_DAYS, key=key)
        with pytest.raises(IntegrityError), transaction.atomic():
            Notification.objects.create(user=user, kind=NotificationKind.REMINDER_7_DAYS, key=key)
        assert Notification.objects.pending().count() == 1
