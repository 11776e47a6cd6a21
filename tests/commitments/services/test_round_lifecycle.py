"""Opening, editing and closing rounds (commitments/services/round_lifecycle.py): validation in
French, staff only, every territory by default, closing freezes the figures once and for all."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from commitments.enums import Status
from commitments.models import Protocol, ReportingRound, RoundFigure
from commitments.services.progress_rule import record_update
from commitments.services.round_lifecycle import close_round, open_round, update_round
from territories.models import Territory
from tests.support.admin import make_user
from tests.support.progress import report
from tests.support.rounds import days_ago, new_round, report_in_period, round_fields, town

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user("agglomeration")


class TestOpen:
    def test_every_territory_when_none_is_chosen(self, staff):
        round_ = open_round(by=staff, **round_fields())
        assert set(round_.territories.all()) == set(Territory.objects.all())
        assert round_.created_by == staff

    def test_chosen_territories(self, staff):
        territory, _ = town()
        round_ = new_round(staff, [territory])
        assert list(round_.territories.all()) == [territory]

    def test_invalid_dates_are_refused_in_french(self, staff):
        with pytest.raises(ValidationError) as raised:
            open_round(by=staff, **round_fields(period_end=days_ago(200)))
        assert "La fin de la période doit être postérieure" in str(raised.value)
        assert not ReportingRound.objects.exists()

    @pytest.mark.parametrize("role", ["grigny_lead", "anonymous"])
    def test_only_staff(self, role):
        user = make_user(role)
        if user is None:
            from django.contrib.auth.models import AnonymousUser

            user = AnonymousUser()
        with pytest.raises(PermissionDenied):
            open_round(by=user, **round_fields())


class TestUpdate:
    def test_update_then_closed_is_refused(self, staff):
        territory, _ = town()
        round_ = new_round(staff, [territory])
        update_round(round_, by=staff, title="Campagne de printemps")
        assert ReportingRound.objects.get().title == "Campagne de printemps"
        close_round(round_, staff)
        with pytest.raises(ValidationError, match="est clôturée depuis le"):
            update_round(round_, by=staff, title="Autre")
        assert ReportingRound.objects.get().title == "Campagne de printemps"


class TestClose:
    def test_closing_freezes_one_row_per_commitment(self, staff):
        territory, (leaf, action1, action2) = town()
        other, (elsewhere, *_) = town("Ailleurs")
        report_in_period(leaf, Status.DONE, 100, comment="Terminé", author=staff)
        report(action1, days_ago(300), Status.PLANNED, 10)  # before the period
        report_in_period(elsewhere)
        round_ = new_round(staff, [territory])
        assert close_round(round_, staff) == 3
        figures = {f.operational_objective_id or f.action_id: f for f in RoundFigure.objects.all()}
        assert set(figures) == {leaf.pk, action1.pk, action2.pk}
        assert figures[leaf.pk].reported and figures[leaf.pk].status == Status.DONE
        assert figures[leaf.pk].last_comment == "Terminé"
        assert figures[leaf.pk].author == staff and figures[leaf.pk].author_name
        assert figures[leaf.pk].territory == territory
        assert not figures[action1.pk].reported
        assert figures[action1.pk].status == Status.PLANNED
        assert figures[action2.pk].status == Status.NOT_REPORTED
        round_.refresh_from_db()
        assert round_.is_closed and round_.closed_by == staff

    def test_an_edit_after_closing_changes_no_figure(self, staff):
        territory, (leaf, action1, _) = town()
        report_in_period(leaf, Status.IN_PROGRESS, 40)
        round_ = new_round(staff, [territory])
        close_round(round_, staff)
        before = list(RoundFigure.objects.values().order_by("pk"))
        record_update(leaf, status=Status.DONE, progress=100, date=days_ago(50), author=staff)
        record_update(action1, status=Status.DONE, progress=100, date=days_ago(1), author=staff)
        leaf.delete()
        assert list(RoundFigure.objects.values("status", "progress", "reported")) == [
            {k: row[k] for k in ("status", "progress", "reported")} for row in before
        ]

    def test_closing_twice_is_refused(self, staff):
        territory, _ = town()
        round_ = new_round(staff, [territory])
        close_round(round_, staff)
        with pytest.raises(ValidationError, match="ne peut plus être modifiée ni clôturée"):
            close_round(ReportingRound.objects.get(pk=round_.pk), staff)
        assert RoundFigure.objects.count() == 3

    def test_an_upcoming_round_cannot_be_closed(self, staff):
        territory, _ = town()
        round_ = new_round(staff, [territory], opens_on=days_ago(-3), deadline=days_ago(-10))
        with pytest.raises(ValidationError, match="n'est pas encore ouverte"):
            close_round(round_, staff)
        assert not RoundFigure.objects.exists()

    def test_only_staff_close(self, staff):
        territory, _ = town()
        round_ = new_round(staff, [territory])
        with pytest.raises(PermissionDenied):
            close_round(round_, make_user("grigny_lead"))
        assert not ReportingRound.objects.get().is_closed

    def test_closing_renews_the_public_pages(self, staff):
        territory, _ = town()
        before = Protocol.objects.get(territory=territory).last_changed_at
        close_round(new_round(staff, [territory]), staff)
        assert Protocol.objects.get(territory=territory).last_changed_at > before

    def test_constant_queries(self, staff, django_assert_max_num_queries):
        small, _ = town("Petite", size=1)
        big, _ = town("Grande", size=8)
        for territory in (small, big):
            round_ = new_round(staff, [territory])
            with django_assert_max_num_queries(12):
                close_round(round_, staff)
