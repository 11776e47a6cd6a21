"""What the dashboards show besides the roll-ups (selectors/dashboard_data.py): the lists of
commitments without a lead or not reported for a year, and progress month by month."""

import datetime

import pytest

from commitments.selectors import dashboard_data, rollups
from commitments.selectors.rollups import stale_cutoff
from tests.factories import ActionFactory, ProtocolFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 6, 15)


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
        with django_assert_num_queries(3):  # leaf counts (2), the replay (1)
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


class TestLevelLists:
    """Counts per level of lists cut at a limit, from the roll-up's total (no query)."""

    def test_whole_lists(self):
        actions, objectives = dashboard_data.level_lists((["a"] * 3, ["o"] * 2), 5, limit=10)
        assert (actions.count, objectives.count) == (3, 2)
        assert not actions.cut and not objectives.cut

    def test_one_level_cut_the_other_gives_its_count(self):
        actions, objectives = dashboard_data.level_lists((["a"] * 59, ["o"] * 100), 354, 100)
        assert (actions.count, objectives.count) == (59, 295)
        assert objectives.cut and not actions.cut
        actions, objectives = dashboard_data.level_lists((["a"] * 100, ["o"] * 4), 150, 100)
        assert (actions.count, objectives.count) == (146, 4)
        assert actions.cut and not objectives.cut

    def test_exactly_the_limit_is_not_cut(self):
        actions, objectives = dashboard_data.level_lists((["a"] * 2, ["o"] * 100), 102, 100)
        assert objectives.count == 100 and not objectives.cut

    def test_both_cut_counts_unknown(self):
        actions, objectives = dashboard_data.level_lists((["a"] * 100, ["o"] * 100), 450, 100)
        assert actions.count is None and objectives.count is None
        assert actions.cut and objectives.cut
