"""Roll-ups (selectors/rollups.py): in SQL per territory, protocol, section, thematic or
strategic objective, and of a loaded tree; both follow the leaf rule."""

import datetime

import pytest

from commitments.enums import Status
from commitments.models import OperationalObjective
from commitments.selectors import dashboard_data, rollups
from commitments.selectors.protocol_tree import strategic_objectives_tree
from commitments.selectors.rollups import Rollup
from tests.factories import (
    ActionFactory,
    OperationalObjectiveFactory,
    SectionFactory,
    StrategicObjectiveFactory,
)
from tests.support.progress import report_today

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 6, 15)
# The figures of the `tree` fixture (tests/conftest.py): the whole protocol, and its first
# branch (so1, its section, its thematic).
WHOLE_TREE = {
    "total": 5,
    "done": 2,
    "in_progress": 1,
    "not_reported": 2,
    "progress_sum": 240,
    "without_lead": 2,
    "stale": 3,
}
FIRST_BRANCH = {
    "total": 4,
    "done": 2,
    "in_progress": 1,
    "not_reported": 1,
    "progress_sum": 240,
    "without_lead": 1,
    "stale": 2,
}


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
        expect(figures[territory.pk], **WHOLE_TREE)
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
        expect(so1, **FIRST_BRANCH)
        expect(so2, total=0)
        assert so2.avg_progress is None and so2.share_done is None
        expect(so3, total=1, not_reported=1, without_lead=1, stale=1)
        expect(Rollup.sum(rollup for _, rollup in rows), **WHOLE_TREE)

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
            expect(figures[first.pk], **FIRST_BRANCH)
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
        with django_assert_num_queries(2):  # the groups, the roll-ups (one UNION ALL)
            rollups.rollup_rows(
                "strategic_objective",
                dashboard_data.strategic_objective_groups(territory),
                territory=territory,
            )


class TestRollup:
    """The roll-up of a loaded tree (selectors/rollups.py) follows the leaf rule."""

    def test_strategic_objective_progress_from_its_leaves(self):
        so = StrategicObjectiveFactory()
        with_actions = OperationalObjectiveFactory(strategic_objective=so)
        report_today(ActionFactory(operational_objective=with_actions), Status.DONE, 100)
        report_today(ActionFactory(operational_objective=with_actions), Status.IN_PROGRESS, 50)
        # An operational objective without actions is a leaf of its own.
        report_today(OperationalObjectiveFactory(strategic_objective=so), Status.IN_PROGRESS, 30)
        other = StrategicObjectiveFactory(section=so.section)
        report_today(
            ActionFactory(operational_objective__strategic_objective=other), Status.IN_PROGRESS, 90
        )

        loaded = strategic_objectives_tree().get(pk=so.pk)
        rolled = Rollup.of_tree([loaded])
        assert rolled.total == 3
        assert rolled.progress_sum == 180
        assert rolled.avg_progress == pytest.approx(60)

    def test_operational_objective_with_actions_averages_them(self):
        oo = OperationalObjectiveFactory()
        report_today(oo, Status.IN_PROGRESS, 5)
        report_today(ActionFactory(operational_objective=oo), Status.IN_PROGRESS, 20)
        report_today(ActionFactory(operational_objective=oo), Status.IN_PROGRESS, 70)
        loaded = OperationalObjective.objects.prefetch_related("actions").get(pk=oo.pk)
        assert Rollup.of_leaves(loaded.leaves()).avg_progress == pytest.approx(45)

    def test_rollup_of_a_loaded_tree_costs_no_query(self, django_assert_num_queries):
        section = SectionFactory()
        for _ in range(3):
            ActionFactory(operational_objective__strategic_objective__section=section)
        objectives = list(strategic_objectives_tree().filter(section=section))
        with django_assert_num_queries(0):
            assert Rollup.of_tree(objectives).total == 3
