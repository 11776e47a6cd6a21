"""Campaign arithmetic (commitments/selectors/campaign_completion.py): reported means an update
dated within the period, bounds included, a "rien de nouveau" confirmation counts; figures per
territory and thematic, who answered, what is missing; a closed campaign reads its frozen rows;
the rows its reader sees; constant query counts."""

import pytest

from commitments.enums import Status
from commitments.selectors.campaign_completion import (
    Completion,
    campaign_report,
    last_closed_campaign,
    missing_by_territory,
    open_campaigns_for,
    remaining_message,
    report_for,
)
from commitments.services.campaign_lifecycle import close_campaign
from commitments.services.progress_rule import confirm_last_status, record_update
from tests.support.admin import grigny, make_user
from tests.support.campaigns import PERIOD, days_ago, new_campaign, report_in_period, town
from tests.support.progress import report

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user("agglomeration")


def reported_ids(report_):
    return {row.commitment_id for row in report_.rows if row.reported}


class TestReported:
    def test_in_the_period_counts_before_does_not(self, staff):
        territory, (leaf, action1, action2) = town()
        report(leaf, days_ago(50), Status.IN_PROGRESS, 30)
        report(action1, days_ago(PERIOD[0] + 1), Status.PLANNED, 0)  # the day before
        campaign_ = new_campaign(staff, [territory])
        result = campaign_report(campaign_, [territory])
        assert reported_ids(result) == {leaf.pk}
        assert (result.overall.total, result.overall.reported, result.overall.missing) == (3, 1, 2)
        assert {row.commitment_id for row in result.missing} == {action1.pk, action2.pk}

    def test_both_bounds_are_included(self, staff):
        territory, (leaf, action1, action2) = town()
        report(leaf, days_ago(PERIOD[0]), Status.IN_PROGRESS, 30)
        report(action1, days_ago(PERIOD[1]), Status.IN_PROGRESS, 30)
        report(action2, days_ago(PERIOD[1] - 1), Status.IN_PROGRESS, 30)  # the day after
        result = campaign_report(new_campaign(staff, [territory]), [territory])
        assert reported_ids(result) == {leaf.pk, action1.pk}

    def test_a_confirmation_counts(self, staff):
        territory, (leaf, *_) = town()
        record_update(leaf, status=Status.PLANNED, progress=0, date=days_ago(300), author=staff)
        confirm_last_status(leaf, date=days_ago(30), author=staff)
        result = campaign_report(new_campaign(staff, [territory]), [territory])
        assert reported_ids(result) == {leaf.pk}
        row = next(r for r in result.rows if r.commitment_id == leaf.pk)
        assert row.status == Status.PLANNED
        assert row.last_comment == "Rien de nouveau depuis le point précédent."

    def test_an_objective_with_actions_is_not_a_commitment_of_the_campaign(self, staff):
        territory, (leaf, action1, _) = town()
        report_in_period(action1.operational_objective)
        result = campaign_report(new_campaign(staff, [territory]), [territory])
        assert [row.commitment_id for row in result.rows] == [leaf.pk, action1.pk, _.pk]
        assert reported_ids(result) == set()

    def test_figures_by_territory_thematic_and_author(self, staff):
        one, (a, b, c) = town("Une")
        two, (d, e, f) = town("Deux")
        lead = make_user("grigny_lead")
        lead.first_name, lead.last_name = "Awa", "Diallo"
        lead.save()
        report_in_period(a, author=lead)
        report_in_period(b, author=lead)
        report_in_period(d, author=staff)
        campaign_ = new_campaign(staff, [one, two])
        result = campaign_report(campaign_, [one, two])
        assert [(t, c.reported, c.total) for t, c in result.by_territory] == [
            (one, 2, 3),
            (two, 1, 3),
        ]
        assert sum(c.total for _, c in result.by_thematic) == 6
        answers = [(x.territory, x.author_name, x.count) for x in result.answers]
        assert (one, "Awa Diallo", 2) in answers and (two, staff.username, 1) in answers

    def test_other_territories_stay_out(self, staff):
        territory, _ = town()
        other, _ = town("Ailleurs")
        result = campaign_report(new_campaign(staff, [territory, other]), [territory])
        assert {row.territory for row in result.rows} == {territory}


class TestClosed:
    def test_a_closed_campaign_reads_its_frozen_rows(self, staff):
        territory, (leaf, action1, _) = town()
        report_in_period(leaf, Status.IN_PROGRESS, 40)
        campaign_ = new_campaign(staff, [territory])
        close_campaign(campaign_, staff)
        record_update(action1, status=Status.DONE, progress=100, date=days_ago(50), author=staff)
        record_update(leaf, status=Status.DONE, progress=100, date=days_ago(40), author=staff)
        result = campaign_report(campaign_, [territory])
        assert reported_ids(result) == {leaf.pk}
        assert [row.status for row in result.rows] == [
            Status.IN_PROGRESS,
            Status.NOT_REPORTED,
            Status.NOT_REPORTED,
        ]

    def test_last_closed_campaign(self, staff):
        territory, (leaf, *_) = town()
        assert last_closed_campaign() is None
        report_in_period(leaf, Status.DONE, 100)
        campaign_ = new_campaign(staff, [territory])
        close_campaign(campaign_, staff)
        figures = last_closed_campaign()
        assert figures.campaign == campaign_ and figures.territory_ids == {territory.pk}
        assert figures.at_closing[Status.DONE] == 1 and figures.total == 3
        assert last_closed_campaign(grigny()) is None


class TestMessages:
    @pytest.mark.parametrize(
        ("total", "reported", "expected"),
        [
            (59, 47, "12 engagements sur 59 restent à renseigner pour la campagne « C »."),
            (59, 58, "1 engagement sur 59 reste à renseigner pour la campagne « C »."),
            (59, 59, "Tous les engagements (59) sont renseignés pour la campagne « C »."),
            (0, 0, "Aucun engagement n'est concerné pour la campagne « C »."),
        ],
    )
    def test_what_is_left(self, staff, total, reported, expected):
        campaign_ = type("R", (), {"title": "C", "closed_at": None})()
        assert remaining_message(campaign_, Completion(total=total, reported=reported)) == expected

    def test_what_was_left_at_closing(self):
        campaign_ = type("R", (), {"title": "C", "closed_at": "hier"})()
        assert remaining_message(campaign_, Completion(total=59, reported=47)) == (
            "12 engagements sur 59 n'ont pas été renseignés pour la campagne « C »."
        )


class TestOpenCampaigns:
    def test_the_open_campaigns_of_a_leads_territories(self, staff):
        territory, (leaf, *_) = town()
        other, _ = town("Ailleurs")
        report_in_period(leaf)
        open_ = new_campaign(staff, [territory, other])
        new_campaign(staff, [other], title="Pas la nôtre")
        new_campaign(
            staff, [territory], title="À venir", opens_on=days_ago(-2), deadline=days_ago(-9)
        )
        closed = new_campaign(staff, [territory], title="Close")
        close_campaign(closed, staff)
        [summary] = open_campaigns_for([territory.pk])
        assert summary.campaign == open_
        assert (summary.completion.total, summary.completion.missing) == (3, 2)
        assert summary.remaining_message == (
            "2 engagements sur 3 restent à renseigner pour la campagne « Campagne 2026 »."
        )

    def test_constant_queries(self, staff, django_assert_max_num_queries):
        small, _ = town("Petite", size=1)
        big, _ = town("Grande", size=10)
        for territory in (small, big):
            new_campaign(staff, [territory])
            new_campaign(staff, [territory], title="Deuxième")
            with django_assert_max_num_queries(4):
                assert len(open_campaigns_for([territory.pk])) == 2


class TestVisibility:
    def test_a_report_holds_the_rows_its_reader_sees(self, staff):
        """Which campaigns and territories each user sees is commitments/permissions.py's
        (tests/commitments/test_permissions.py); the report keeps to them."""
        lead = make_user("grigny_lead")
        territory, _ = town()
        ours = new_campaign(staff, [grigny(), territory])
        assert {row.territory for row in report_for(lead, ours).rows} == {grigny()}
        assert {row.territory for row in report_for(staff, ours).rows} == {grigny(), territory}


@pytest.mark.parametrize("closed", [False, True], ids=["live", "frozen"])
def test_report_queries_are_constant(staff, closed, django_assert_max_num_queries):
    for size in (1, 12):
        territory, leaves = town(f"Ville {size}", size=size)
        for leaf in leaves[::2]:
            report_in_period(leaf, author=staff)
        campaign_ = new_campaign(staff, [territory])
        if closed:
            close_campaign(campaign_, staff)
        with django_assert_max_num_queries(3 if not closed else 1):
            result = campaign_report(campaign_, [territory])
            assert result.overall.total == 3 * size
            assert result.answers and result.by_thematic and result.by_territory


def test_missing_by_territory(staff, django_assert_max_num_queries):
    one, (a, *_) = town("Une")
    two, _ = town("Deux", size=2)
    three, leaves = town("Trois")
    for leaf in [a, *leaves]:
        report_in_period(leaf)
    campaign_ = new_campaign(staff, [one, two, three])
    with django_assert_max_num_queries(3):
        assert missing_by_territory(campaign_) == {one.pk: 2, two.pk: 6}
