"""Campaigns, frozen figures and the notifications log (commitments/models/campaigns.py):
French validation messages, the database constraints, the derived state, the unique key."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from commitments.enums import CampaignState, NotificationKind, Status
from commitments.models import Campaign, CampaignFigure, Notification
from territories.models import Territory
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date


def new_campaign(**fields):
    values = {
        "title": "Campagne 2026",
        "period_start": D(2026, 1, 1),
        "period_end": D(2026, 6, 30),
        "opens_on": D(2026, 6, 1),
        "deadline": D(2026, 7, 15),
        **fields,
    }
    return Campaign(**values)


class TestValidation:
    def test_a_valid_campaign(self):
        new_campaign().full_clean()

    def test_a_one_day_period_and_same_day_deadline_are_valid(self):
        new_campaign(period_end=D(2026, 1, 1), deadline=D(2026, 6, 1)).full_clean()

    def test_period_in_the_wrong_order(self):
        with pytest.raises(ValidationError) as raised:
            new_campaign(period_end=D(2025, 12, 31)).full_clean()
        assert raised.value.message_dict["period_end"] == [
            "La fin de la période doit être postérieure ou égale à son début (01/01/2026)."
        ]

    def test_deadline_before_opening(self):
        with pytest.raises(ValidationError) as raised:
            new_campaign(deadline=D(2026, 5, 31)).full_clean()
        assert (
            "postérieure ou égale à la date d'ouverture (01/06/2026)"
            in (raised.value.message_dict["deadline"][0])
        )

    @pytest.mark.parametrize("name", ["period_start", "period_end", "opens_on", "deadline"])
    @pytest.mark.parametrize("day", [D(1, 1, 1), D(1999, 12, 31), D(2100, 1, 1), D(9999, 12, 31)])
    def test_implausible_dates(self, name, day):
        with pytest.raises(ValidationError) as raised:
            new_campaign(**{name: day}).full_clean()
        assert raised.value.message_dict[name] == [
            "Indiquez une date entre le 01/01/2000 et le 31/12/2099."
        ]

    def test_the_database_refuses_what_clean_refuses(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            new_campaign(period_end=D(2025, 1, 1)).save()
        with pytest.raises(IntegrityError), transaction.atomic():
            new_campaign(deadline=D(2025, 1, 1)).save()


class TestState:
    def test_upcoming_open_closed(self):
        campaign_ = new_campaign()
        assert campaign_.state_on(D(2026, 5, 31)) == CampaignState.UPCOMING
        assert campaign_.state_on(D(2026, 6, 1)) == CampaignState.OPEN
        assert (
            campaign_.state_on(D(2026, 8, 1)) == CampaignState.OPEN
        )  # past the deadline: still open
        campaign_.closed_at = timezone.now()
        assert campaign_.state_on(D(2026, 6, 10)) == CampaignState.CLOSED

    def test_querysets(self):
        grigny = Territory.objects.get(slug="grigny")
        corbeil = Territory.objects.get(slug="corbeil-essonnes")
        open_ = new_campaign()
        open_.save()
        open_.territories.set([grigny, corbeil])
        closed = new_campaign(title="Close", closed_at=timezone.now())
        closed.save()
        closed.territories.set([corbeil])
        assert list(Campaign.objects.open_on(D(2026, 6, 2))) == [open_]
        assert list(Campaign.objects.open_on(D(2026, 5, 2))) == []
        assert list(Campaign.objects.closed()) == [closed]
        assert set(Campaign.objects.concerning([grigny, corbeil])) == {open_, closed}
        assert list(Campaign.objects.concerning([grigny])) == [open_]


class TestFigures:
    def figure(self, campaign_, **fields):
        action = fields.pop("action", None) or factories.ActionFactory()
        values = {
            "campaign": campaign_,
            "action": action,
            "kind": "action",
            "text": action.text,
            "territory": action.territory,
            "thematic": action.section.thematic,
            "status": Status.DONE,
            "progress": 100,
            **fields,
        }
        return CampaignFigure.objects.create(**values)

    def test_one_row_per_commitment_and_campaign(self):
        campaign_ = new_campaign()
        campaign_.save()
        first = self.figure(campaign_)
        with pytest.raises(IntegrityError), transaction.atomic():
            self.figure(campaign_, action=first.action)

    def test_never_two_targets(self):
        campaign_ = new_campaign()
        campaign_.save()
        with pytest.raises(IntegrityError), transaction.atomic():
            self.figure(campaign_, operational_objective=factories.OperationalObjectiveFactory())

    def test_deleting_the_commitment_keeps_the_figure(self):
        campaign_ = new_campaign()
        campaign_.save()
        figure = self.figure(campaign_)
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
