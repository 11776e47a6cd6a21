"""Whether an indicator holds its trajectory: one function, `trajectory_status`.

The trajectory is the straight line from the baseline (value, year) to the target (value,
year). The last value (the latest year recorded) is judged against it, at its own year: the
status never depends on today's date, only on the figures.

The statuses, and their wording on the pages (`TrajectoryStatus`):
- « objectif atteint »: the last value reaches the target — at or above it when the indicator
  is to rise or the target is a minimum (« au minimum 30 % »), at or below it when it is to
  fall, equal to it when the direction is unknown (« tendre vers 50 % » with no baseline).
  Checked first: a target reached counts whatever the trajectory says.
- « sur la trajectoire »: not reached yet, and the last value is at least where the straight
  line says it should be that year (at least for a rise, at most for a fall). After the target
  year the line stays at the target: not reached then means late.
- « en retard sur la trajectoire »: not reached, and behind the line.
- « objectif pas encore atteint »: not reached, and there is no line to judge against — the
  target has no year (only the horizon as the text writes it, « à échéances de 15/20 ans »:
  it is not parsed), or there is no baseline, or the baseline has no year, or the direction is
  unknown and cannot be inferred. Only « reached or not » can be said then.
- « pas encore de valeur »: a target, but no value recorded yet. The baseline alone is not a
  value: it is the line's starting point, not a measure of progress.
- « sans objectif chiffré »: no target, or a relative target (« multiplier par 2 ») without the
  baseline it multiplies: there is nothing to reach, whatever the values.

The direction: the indicator's own (hausse / baisse); a minimum target always means « at least »
(a rise); when the text does not say (« tendre vers »), the direction from the baseline towards
the target, when both are known and differ.

Pure Python on an indicator and its values already loaded: no query.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from commitments.enums import Direction


class TrajectoryStatus(models.TextChoices):
    """The values are the `trajectoire` filter's of /indicateurs/ (public URLs)."""

    REACHED = "atteint", "Objectif atteint"
    ON_TRACK = "sur-la-trajectoire", "Sur la trajectoire"
    LATE = "en-retard", "En retard sur la trajectoire"
    NOT_REACHED = "pas-encore-atteint", "Objectif pas encore atteint"
    NO_VALUE = "sans-valeur", "Pas encore de valeur"
    NO_TARGET = "sans-objectif", "Sans objectif chiffré"


# What each status means, in one sentence for the pages.
EXPLANATIONS = {
    TrajectoryStatus.REACHED: "La dernière valeur atteint la cible.",
    TrajectoryStatus.ON_TRACK: "La dernière valeur est au niveau de la trajectoire, ou au-delà : "
    "la droite qui va de la valeur de référence à la cible.",
    TrajectoryStatus.LATE: "La dernière valeur est en deçà de la trajectoire : la droite qui va "
    "de la valeur de référence à la cible.",
    TrajectoryStatus.NOT_REACHED: "La cible n'est pas atteinte ; sans année cible ou sans valeur "
    "de référence datée, aucune trajectoire ne peut être tracée.",
    TrajectoryStatus.NO_VALUE: "Aucune valeur n'a encore été enregistrée.",
    TrajectoryStatus.NO_TARGET: "Le protocole ne fixe pas de cible chiffrée à cet indicateur.",
}


@dataclass(frozen=True)
class Trajectory:
    status: TrajectoryStatus
    target: Decimal | None  # the target value (a relative target already multiplied)
    direction: str  # Direction value, or "" when unknown
    last_year: int | None
    last_value: Decimal | None
    expected: Decimal | None  # where the line stands at the last value's year, when there is one

    @property
    def label(self):
        return self.status.label

    @property
    def explanation(self):
        return EXPLANATIONS[self.status]

    @property
    def is_late(self):
        return self.status == TrajectoryStatus.LATE


def target_value(indicator):
    """The target as a figure: the target value, or the baseline times the factor; None when
    there is none (or a factor without a baseline)."""
    if indicator.target_value is not None:
        return Decimal(indicator.target_value)
    if indicator.target_factor is not None and indicator.baseline_value is not None:
        return Decimal(indicator.baseline_value) * Decimal(indicator.target_factor)
    return None


def effective_direction(indicator, target):
    """hausse / baisse, or "" when neither the text nor the figures say it (see the module)."""
    if indicator.target_is_minimum:
        return Direction.UP.value
    if indicator.direction:
        return indicator.direction
    baseline = indicator.baseline_value
    if target is None or baseline is None or Decimal(baseline) == target:
        return ""
    return Direction.UP.value if target > Decimal(baseline) else Direction.DOWN.value


def expected_value(indicator, target, year):
    """Where the straight line from the baseline to the target stands in `year` (the target
    after its year, the baseline before its year); None without a line."""
    start_year, end_year = indicator.baseline_year, indicator.target_year
    if start_year is None or end_year is None or indicator.baseline_value is None:
        return None
    start = Decimal(indicator.baseline_value)
    if year >= end_year or end_year == start_year:
        return target
    if year <= start_year:
        return start
    return start + (target - start) * Decimal(year - start_year) / Decimal(end_year - start_year)


def _at_least(value, reference, direction):
    """Whether `value` is where `reference` is or better, in `direction`."""
    if direction == Direction.UP:
        return value >= reference
    if direction == Direction.DOWN:
        return value <= reference
    return value == reference


def trajectory_status(indicator, values):
    """The Trajectory of `indicator` given its yearly `values` (objects with `year` and
    `value`, any order; IndicatorValue rows)."""
    target = target_value(indicator)
    direction = effective_direction(indicator, target)
    last = max(values, key=lambda row: row.year, default=None)
    last_year = last.year if last is not None else None
    last_value = Decimal(last.value) if last is not None else None

    def result(status, expected=None):
        return Trajectory(status, target, direction, last_year, last_value, expected)

    if target is None:
        return result(TrajectoryStatus.NO_TARGET)
    if last is None:
        return result(TrajectoryStatus.NO_VALUE)
    if _at_least(last_value, target, direction):
        return result(TrajectoryStatus.REACHED)
    expected = expected_value(indicator, target, last_year) if direction else None
    if expected is None:
        return result(TrajectoryStatus.NOT_REACHED)
    if _at_least(last_value, expected, direction):
        return result(TrajectoryStatus.ON_TRACK, expected)
    return result(TrajectoryStatus.LATE, expected)
