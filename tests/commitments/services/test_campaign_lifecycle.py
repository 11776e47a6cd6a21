"""Opening, editing and closing campaigns (commitments/services/campaign_lifecycle.py): validation
in French, staff only, every territory by default, closing freezes the figures once and for all."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from commitments.enums import Status
from commitments.models import Campaign, CampaignFigure, Protocol
from commitments.services.campaign_lifecycle import close_campaign, open_campaign, update_campaign
from commitments.services.progress_rule import record_update
from territories.models import Territory
from tests.support.admin import make_user
from tests.support.campaigns import campaign_fields, days_ago, new_campaign, report_in_period, town
from tests.support.progress import report

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user("agglomeration")


class TestOpen:
    def test_every_territory_when_none_is_chosen(self, staff):
        campaign_ = open_campaign(by=staff, **campaign_fields())
        assert set(campaign_.territories.all()) == set(Territory.objects.all())
        assert campaign_.created_by == staff

    def test_chosen_territories(self, staff):
        territory, _ = town()
        campaign_ = new_campaign(staff, [territory])
        assert list(campaign_.territories.all()) == [territory]

    def test_invalid_dates_are_refused_in_french(self, staff):
        with pytest.raises(ValidationError) as raised:
            open_campaign(by=staff, **campaign_fields(period_end=days_ago(200)))
        assert "La fin de la période doit être postérieure" in str(raised.value)
        assert not Campaign.objects.exists()

    @pytest.mark.parametrize("role", ["grigny_lead", "anonymous"])
    def test_only_staff(self, role):
        user = make_user(role)
        if user is None:
            from django.contrib.auth.models import AnonymousUser

            user = AnonymousUser()
        with pytest.raises(PermissionDenied):
            open_campaign(by=user, **campaign_fields())


class TestUpdate:
    def test_update_then_closed_is_refused(self, staff):
        territory, _ = town()
        campaign_ = new_campaign(staff, [territory])
        update_campaign(campaign_, by=staff, title="Campagne de printemps")
        assert Campaign.objects.get().title == "Campagne de printemps"
        close_campaign(campaign_, staff)
        with pytest.raises(ValidationError, match="est clôturée depuis le"):
            update_campaign(campaign_, by=staff, title="Autre")
        assert Campaign.objects.get().title == "Campagne de printemps"


class TestClose:
    def test_closing_freezes_one_row_per_commitment(self, staff):
        territory, (leaf, action1, action2) = town()
        other, (elsewhere, *_) = town("Ailleurs")
        report_in_period(leaf, Status.DONE, 100, comment="Terminé", author=staff)
        report(action1, days_ago(300), Status.PLANNED, 10)  # before the period
        report_in_period(elsewhere)
        campaign_ = new_campaign(staff, [territory])
        assert close_campaign(campaign_, staff) == 3
        figures = {
            f.operational_objective_id or f.action_id: f for f in CampaignFigure.objects.all()
        }
        assert set(figures) == {leaf.pk, action1.pk, action2.pk}
        assert figures[leaf.pk].reported and figures[leaf.pk].status == Status.DONE
        assert figures[leaf.pk].last_comment == "Terminé"
        assert figures[leaf.pk].author == staff and figures[leaf.pk].author_name
        assert figures[leaf.pk].territory == territory
        assert not figures[action1.pk].reported
        assert figures[action1.pk].status == Status.PLANNED
        assert figures[action2.pk].status == Status.NOT_REPORTED
        campaign_.refresh_from_db()
        assert campaign_.is_closed and campaign_.closed_by == staff

    def test_an_edit_after_closing_changes_no_figure(self, staff):
        territory, (leaf, action1, _) = town()
        report_in_period(leaf, Status.IN_PROGRESS, 40)
        campaign_ = new_campaign(staff, [territory])
        close_campaign(campaign_, staff)
        before = list(CampaignFigure.objects.values().order_by("pk"))
        record_update(leaf, status=Status.DONE, progress=100, date=days_ago(50), author=staff)
        record_update(action1, status=Status.DONE, progress=100, date=days_ago(1), author=staff)
        leaf.delete()
        assert list(CampaignFigure.objects.values("status", "progress", "reported")) == [
            {k: row[k] for k in ("status", "progress", "reported")} for row in before
        ]

    def test_closing_twice_is_refused(self, staff):
        territory, _ = town()
        campaign_ = new_campaign(staff, [territory])
        close_campaign(campaign_, staff)
        with pytest.raises(ValidationError, match="ne peut plus être modifiée ni clôturée"):
            close_campaign(Campaign.objects.get(pk=campaign_.pk), staff)
        assert CampaignFigure.objects.count() == 3

    def test_an_upcoming_campaign_cannot_be_closed(self, staff):
        territory, _ = town()
        campaign_ = new_campaign(staff, [territory], opens_on=days_ago(-3), deadline=days_ago(-10))
        with pytest.raises(ValidationError, match="n'est pas encore ouverte"):
            close_campaign(campaign_, staff)
        assert not CampaignFigure.objects.exists()

    def test_only_staff_close(self, staff):
        territory, _ = town()
        campaign_ = new_campaign(staff, [territory])
        with pytest.raises(PermissionDenied):
            close_campaign(campaign_, make_user("grigny_lead"))
        assert not Campaign.objects.get().is_closed

    def test_closing_renews_the_public_pages(self, staff):
        territory, _ = town()
        before = Protocol.objects.get(territory=territory).last_changed_at
        close_campaign(new_campaign(staff, [territory]), staff)
        assert Protocol.objects.get(territory=territory).last_changed_at > before

    def test_constant_queries(self, staff, django_assert_max_num_queries):
        small, _ = town("Petite", size=1)
        big, _ = town("Grande", size=8)
        for territory in (small, big):
            campaign_ = new_campaign(staff, [territory])
            with django_assert_max_num_queries(12):
                close_campaign(campaign_, staff)
