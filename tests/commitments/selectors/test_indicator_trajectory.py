"""The trajectory status of an indicator: reached, on track, late, for both directions and a
minimum target, and what is said without a line (no target year, no baseline, no value)."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from commitments.selectors.indicator_trajectory import (
    TrajectoryStatus,
    expected_value,
    trajectory_status,
)

S = TrajectoryStatus


def indicator(
    *,
    baseline=None,
    baseline_year=None,
    target=None,
    target_year=None,
    factor=None,
    minimum=False,
    direction="",
):
    return SimpleNamespace(
        baseline_value=None if baseline is None else Decimal(baseline),
        baseline_year=baseline_year,
        target_value=None if target is None else Decimal(target),
        target_factor=None if factor is None else Decimal(factor),
        target_is_minimum=minimum,
        target_year=target_year,
        direction=direction,
    )


def values(*pairs):
    return [SimpleNamespace(year=year, value=Decimal(value)) for year, value in pairs]


# A rise from 10 (2020) to 50 (2030): the line stands at 30 in 2025.
RISE = {"baseline": 10, "baseline_year": 2020, "target": 50, "target_year": 2030}
# A fall from 50 (2020) to 10 (2030): the line stands at 30 in 2025.
FALL = {"baseline": 50, "baseline_year": 2020, "target": 10, "target_year": 2030}


@pytest.mark.parametrize(
    ("settings", "direction", "points", "expected"),
    [
        # A rise.
        (RISE, "hausse", [(2025, 30)], S.ON_TRACK),  # exactly on the line
        (RISE, "hausse", [(2025, 31)], S.ON_TRACK),
        (RISE, "hausse", [(2025, 29)], S.LATE),
        (RISE, "hausse", [(2025, 50)], S.REACHED),
        (RISE, "hausse", [(2025, 60)], S.REACHED),
        (RISE, "hausse", [(2032, 49)], S.LATE),  # after the target year: the target or late
        (RISE, "hausse", [(2025, 40), (2022, 10)], S.ON_TRACK),  # the latest year counts
        (RISE, "hausse", [(2022, 40), (2025, 20)], S.LATE),
        # A fall.
        (FALL, "baisse", [(2025, 30)], S.ON_TRACK),
        (FALL, "baisse", [(2025, 29)], S.ON_TRACK),
        (FALL, "baisse", [(2025, 31)], S.LATE),
        (FALL, "baisse", [(2025, 10)], S.REACHED),
        (FALL, "baisse", [(2025, 5)], S.REACHED),
        # No direction written (« tendre vers »): inferred from the baseline and the target.
        (RISE, "", [(2025, 29)], S.LATE),
        (FALL, "", [(2025, 29)], S.ON_TRACK),
        # No value yet.
        (RISE, "hausse", [], S.NO_VALUE),
    ],
)
def test_status_against_the_straight_line(settings, direction, points, expected):
    result = trajectory_status(indicator(**settings, direction=direction), values(*points))
    assert result.status == expected


def test_the_line_is_straight_from_baseline_to_target():
    rise = indicator(**RISE, direction="hausse")
    assert expected_value(rise, Decimal(50), 2020) == 10
    assert expected_value(rise, Decimal(50), 2021) == 14
    assert expected_value(rise, Decimal(50), 2030) == 50
    assert expected_value(rise, Decimal(50), 2031) == 50
    late = trajectory_status(rise, values((2021, 13)))
    assert (late.status, late.expected, late.last_value, late.last_year) == (S.LATE, 14, 13, 2021)


@pytest.mark.parametrize(
    ("value", "expected"), [(30, S.REACHED), (45, S.REACHED), (29, S.NOT_REACHED)]
)
def test_a_minimum_target_is_reached_once_equalled(value, expected):
    # « Inclure au minimum 30 % des jeunes » : no baseline, no year.
    minimum = indicator(target=30, minimum=True, direction="hausse")
    assert trajectory_status(minimum, values((2021, value))).status == expected


def test_a_minimum_target_on_a_line():
    minimum = indicator(**RISE, minimum=True)  # no direction written: a minimum is « at least »
    assert trajectory_status(minimum, values((2025, 30))).status == S.ON_TRACK
    assert trajectory_status(minimum, values((2025, 29))).status == S.LATE
    assert trajectory_status(minimum, values((2025, 55))).status == S.REACHED


def test_without_a_target_year_only_reached_or_not():
    # « tendre vers 50 % … à échéances de 15/20 ans »: a horizon as text, no baseline.
    horizon = indicator(target=50)
    assert trajectory_status(horizon, values((2021, 40))).status == S.NOT_REACHED
    assert trajectory_status(horizon, values((2021, 50))).status == S.REACHED
    # Direction unknown: passing the target is not reaching it.
    assert trajectory_status(horizon, values((2021, 60))).status == S.NOT_REACHED
    # A baseline with a year but a target without one.
    no_year = indicator(baseline=7, baseline_year=2015, target=50, direction="hausse")
    assert trajectory_status(no_year, values((2017, 35))).status == S.NOT_REACHED


def test_without_a_target():
    assert trajectory_status(indicator(baseline=2), values((2021, 3))).status == S.NO_TARGET
    # « multiplier par 2 » without the baseline it multiplies.
    relative = indicator(factor=2, direction="hausse")
    assert trajectory_status(relative, values((2021, 3))).status == S.NO_TARGET


def test_a_relative_target_multiplies_the_baseline():
    relative = indicator(
        baseline=100, baseline_year=2019, factor=2, target_year=2029, direction="hausse"
    )
    assert trajectory_status(relative, values((2024, 150))).status == S.ON_TRACK
    assert trajectory_status(relative, values((2024, 149))).status == S.LATE
    assert trajectory_status(relative, values((2024, 200))).target == 200


figures = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False)
years = st.integers(min_value=2000, max_value=2040)


@given(
    baseline=figures,
    target=figures,
    start=years,
    span=st.integers(min_value=1, max_value=30),
    offset=st.integers(min_value=0, max_value=40),
    value=figures,
    direction=st.sampled_from(["hausse", "baisse"]),
)
def test_mirror_directions_agree(baseline, target, start, span, offset, value, direction):
    """A fall is a rise seen in a mirror: negating every figure and the direction keeps the
    status; and a value on the right side of the line is never late."""
    assume(baseline != target)
    assume((target > baseline) == (direction == "hausse"))
    settings = {"baseline_year": start, "target_year": start + span}
    year = start + offset
    up = indicator(baseline=baseline, target=target, direction=direction, **settings)
    down = indicator(
        baseline=-baseline,
        target=-target,
        direction="baisse" if direction == "hausse" else "hausse",
        **settings,
    )
    result = trajectory_status(up, values((year, value)))
    assert result.status == trajectory_status(down, values((year, -value))).status
    line = expected_value(up, target, year)
    better = value >= line if direction == "hausse" else value <= line
    assert result.status in ({S.REACHED, S.ON_TRACK} if better else {S.LATE})
    reached = value >= target if direction == "hausse" else value <= target
    assert (result.status == S.REACHED) == reached


@given(
    target=figures,
    value=figures,
    baseline=st.one_of(st.none(), figures),
    year=years,
)
def test_a_minimum_is_reached_exactly_when_equalled(target, value, baseline, year):
    minimum = indicator(
        baseline=baseline,
        baseline_year=None if baseline is None else 2000,
        target=target,
        target_year=2045,
        minimum=True,
    )
    status = trajectory_status(minimum, values((year, value))).status
    assert (status == S.REACHED) == (value >= target)
    assert status != S.NO_VALUE
