import datetime

import pytest

from commitments.enums import Status
from commitments.reporting import dashboard_data, rollups
from commitments.reporting.protocol_tree import strategic_objectives_tree
from commitments.reporting.rollups import Rollup, stale_cutoff
from tests.factories import (
    ActionFactory,
    OperationalObjectiveFactory,
    PartnerFactory,
    ProgressUpdateFactory,
    ProtocolFactory,
    SectionFactory,
    StrategicObjectiveFactory,
    ThematicFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 6, 15)


def report(target, when, status, progress, *, objective=False):
    target_kwargs = (
        {"action": None, "operational_objective": target}
        if objective
        else {"action": target, "operational_objective": None}
    )
    return ProgressUpdateFactory(date=when, status=status, progress=progress, **target_kwargs)


@pytest.fixture
def tree():
    """A protocol built by hand:

    section A ─ so1 ─ oo1a (no action: a leaf, done 100 %, reported this month)
                    └ oo1b ─ a1 (in progress 40 %, last reported 2 years ago)
                           ├ a2 (never reported, no lead)
                           └ a3 (done 100 %, reported this month; a back-dated update)
              └ so2 (a branch without any objective or action)
    section B ─ so3 ─ oo3 (no action, never reported, no lead)
    """
    lead = PartnerFactory()
    protocol = ProtocolFactory()
    theme_a, theme_b = ThematicFactory(), ThematicFactory()
    section_a = SectionFactory(protocol=protocol, thematic=theme_a)
    section_b = SectionFactory(protocol=protocol, thematic=theme_b)
    so1 = StrategicObjectiveFactory(section=section_a)
    so2 = StrategicObjectiveFactory(section=section_a)
    so3 = StrategicObjectiveFactory(section=section_b)
    oo1a = OperationalObjectiveFactory(strategic_objective=so1, lead=lead)
    oo1b = OperationalObjectiveFactory(strategic_objective=so1)
    a1 = ActionFactory(operational_objective=oo1b, lead=lead)
    a2 = ActionFactory(operational_objective=oo1b)
    a3 = ActionFactory(operational_objective=oo1b, lead=lead)
    oo3 = OperationalObjectiveFactory(strategic_objective=so3)
    report(oo1a, datetime.date(2024, 6, 5), Status.DONE, 100, objective=True)
    report(a1, datetime.date(2022, 5, 1), Status.IN_PROGRESS, 40)
    report(a3, datetime.date(2024, 4, 10), Status.IN_PROGRESS, 50)
    report(a3, datetime.date(2024, 6, 1), Status.DONE, 100)
    report(a3, datetime.date(2024, 3, 1), Status.PLANNED, 10)  # back-dated, recorded last
    # An objective with actions is represented by its actions: its own report is not counted.
    report(oo1b, datetime.date(2024, 5, 1), Status.DONE, 100, objective=True)
    # Another territory, to check that figures stay apart.
    other = ActionFactory()
    report(other, datetime.date(2024, 6, 1), Status.DONE, 100)
    return locals()


def expect(
    rollup,
    *,
    total,
    done=0,
    in_progress=0,
    planned=0,
    abandoned=0,
    not_reported=0,
    progress_sum=0,
    without_lead=0,
    stale=0,
):
    assert rollup.total == total
    assert rollup.counts == {
        Status.DONE: done,
        Status.IN_PROGRESS: in_progress,
        Status.PLANNED: planned,
        Status.ABANDONED: abandoned,
        Status.NOT_REPORTED: not_reported,
    }
    assert rollup.progress_sum == progress_sum
    assert rollup.without_lead == without_lead
    assert rollup.stale == stale


class TestRollups:
    def test_per_territory(self, tree):
        territory = tree["protocol"].territory
        figures = rollups.rollups_by("territory", today=TODAY)
        expect(
            figures[territory.pk],
            total=5,
            done=2,
            in_progress=1,
            not_reported=2,
            progress_sum=240,
            without_lead=2,
            stale=3,
        )
        assert figures[territory.pk].avg_progress == 48
        assert figures[territory.pk].share_done == 40
        other = tree["other"].territory
        expect(figures[other.pk], total=1, done=1, progress_sum=100, without_lead=1)

    def test_per_strategic_objective_with_an_empty_branch(self, tree):
        territory = tree["protocol"].territory
        rows = rollups.rollup_rows(
            "strategic_objective",
            dashboard_data.strategic_objective_groups(territory),
            territory=territory,
            today=TODAY,
        )
        assert [group for group, _ in rows] == [tree["so1"], tree["so2"], tree["so3"]]
        so1, so2, so3 = (rollup for _, rollup in rows)
        expect(
            so1,
            total=4,
            done=2,
            in_progress=1,
            not_reported=1,
            progress_sum=240,
            without_lead=1,
            stale=2,
        )
        expect(so2, total=0)
        assert so2.avg_progress is None and so2.share_done is None
        expect(so3, total=1, not_reported=1, without_lead=1, stale=1)
        expect(
            Rollup.sum(rollup for _, rollup in rows),
            total=5,
            done=2,
            in_progress=1,
            not_reported=2,
            progress_sum=240,
            without_lead=2,
            stale=3,
        )

    def test_sql_rollups_agree_with_the_rollups_of_the_loaded_tree(self, tree):
        territory = tree["protocol"].territory
        figures = rollups.rollups_by("strategic_objective", territory=territory, today=TODAY)
        for objective in strategic_objectives_tree().for_territory(territory):
            rollup = figures.get(objective.pk, Rollup())
            loaded = Rollup.of_tree([objective])
            assert rollup.total == loaded.total
            assert rollup.avg_progress == loaded.avg_progress
            assert rollup.counts == loaded.counts

    def test_per_section_thematic_and_protocol(self, tree):
        territory = tree["protocol"].territory
        for dimension, first, second in (
            ("section", tree["section_a"], tree["section_b"]),
            ("thematic", tree["theme_a"], tree["theme_b"]),
        ):
            figures = rollups.rollups_by(dimension, territory=territory, today=TODAY)
            expect(
                figures[first.pk],
                total=4,
                done=2,
                in_progress=1,
                not_reported=1,
                progress_sum=240,
                without_lead=1,
                stale=2,
            )
            expect(figures[second.pk], total=1, not_reported=1, without_lead=1, stale=1)
        figures = rollups.rollups_by("protocol", today=TODAY)
        assert figures[tree["protocol"].pk].total == 5

    def test_by_territory_and_thematic(self, tree):
        territory = tree["protocol"].territory
        figures = rollups.rollups_by(("territory", "thematic"), today=TODAY)
        assert figures[territory.pk, tree["theme_a"].pk].done == 2
        assert figures[territory.pk, tree["theme_b"].pk].not_reported == 1

    def test_filtered_by_thematic(self, tree):
        figures = rollups.rollups_by("territory", thematic=tree["theme_b"], today=TODAY)
        assert figures[tree["protocol"].territory.pk].total == 1

    def test_constant_queries(self, tree, django_assert_num_queries):
        territory = tree["protocol"].territory
        with django_assert_num_queries(3):
            rollups.rollup_rows(
                "strategic_objective",
                dashboard_data.strategic_objective_groups(territory),
                territory=territory,
            )


class TestLists:
    def test_without_lead(self, tree):
        actions, objectives = dashboard_data.without_lead(tree["protocol"].territory)
        assert list(actions) == [tree["a2"]]
        assert list(objectives) == [tree["oo3"]]

    def test_stale(self, tree):
        actions, objectives = dashboard_data.stale(tree["protocol"].territory, today=TODAY)
        assert list(actions) == [tree["a1"], tree["a2"]]
        assert list(objectives) == [tree["oo3"]]

    def test_twelve_months_cutoff(self):
        assert stale_cutoff(datetime.date(2024, 6, 15)) == datetime.date(2023, 6, 15)
        assert stale_cutoff(datetime.date(2024, 2, 29)) == datetime.date(2023, 2, 28)
        assert stale_cutoff(datetime.date(2024, 1, 31)) == datetime.date(2023, 1, 31)


class TestProgressOverTime:
    def test_replays_the_updates_month_by_month(self, tree, django_assert_num_queries):
        territory = tree["protocol"].territory
        with django_assert_num_queries(4):
            points = dashboard_data.progress_over_time(territory, today=TODAY)
        by_month = {point.month: point for point in points}
        assert points[0].month == datetime.date(2022, 5, 1)
        assert points[-1].month == datetime.date(2024, 6, 1)
        assert len(points) == 26
        # Five leaves; a1 reports 40 % from May 2022.
        assert by_month[datetime.date(2022, 5, 1)].avg_progress == 40 / 5
        # The back-dated update counts in March 2024 only: a3 at 10 %.
        assert by_month[datetime.date(2024, 3, 1)].avg_progress == (40 + 10) / 5
        assert by_month[datetime.date(2024, 4, 1)].avg_progress == (40 + 50) / 5
        june = by_month[datetime.date(2024, 6, 1)]
        assert june.avg_progress == (40 + 100 + 100) / 5
        assert (june.done, june.reported) == (2, 3)
        # The last point matches today's roll-up.
        assert (
            june.avg_progress
            == rollups.rollups_by("territory", today=TODAY)[territory.pk].avg_progress
        )

    def test_no_update_no_point(self):
        protocol = ProtocolFactory()
        ActionFactory(operational_objective__strategic_objective__section__protocol=protocol)
        assert dashboard_data.progress_over_time(protocol.territory) == []
