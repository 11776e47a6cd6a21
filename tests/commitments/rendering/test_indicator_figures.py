"""rendering/indicator_figures.py: an indicator's figures in French."""

from decimal import Decimal

import pytest

from commitments.enums import Unit
from commitments.models import Indicator, IndicatorDefinition
from commitments.rendering.indicator_figures import baseline_text, figure, target_text

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (Decimal("35.0000"), Unit.PERCENT, "35 %"),
        (Decimal("35.5"), Unit.PERCENT, "35,5 %"),
        (Decimal("2400"), Unit.COUNT, "2 400"),
        (Decimal("1234567.25"), Unit.EUROS, "1 234 567,25 €"),
        (Decimal("-1200"), Unit.COUNT, "-1 200"),
        (Decimal("12"), Unit.PER_THOUSAND, "12 ‰"),
        (None, Unit.PERCENT, "—"),
    ],
)
def test_figure(value, unit, expected):
    assert figure(value, unit) == expected.replace(" ", NBSP)


def indicator(unit=Unit.PERCENT, **fields):
    return Indicator(definition=IndicatorDefinition(unit=unit, decimals=0), **fields)


def test_baseline():
    assert baseline_text(indicator()) == ""
    assert baseline_text(indicator(baseline_value=7, baseline_year=2015)) == f"7{NBSP}% (2015)"
    assert baseline_text(indicator(Unit.COUNT, baseline_value=4)) == "4"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ""),
        ({"target_value": 60}, "60 %"),
        ({"target_value": 30, "target_is_minimum": True}, "au minimum 30 %"),
        (
            {"target_value": 50, "target_horizon": "à échéances de 15/20 ans"},
            "50 % à échéances de 15/20 ans",
        ),
        ({"target_value": 50, "target_year": 2026}, "50 % en 2026"),
        ({"target_factor": Decimal("2.00")}, "valeur de référence × 2"),
    ],
)
def test_target(fields, expected):
    assert target_text(indicator(**fields)) == expected.replace(" %", f"{NBSP}%").replace(
        " × ", f"{NBSP}×{NBSP}"
    )


def test_target_with_year_and_horizon_shows_the_words_of_the_text():
    found = indicator(
        Unit.COUNT, target_value=2400, target_year=2030, target_horizon="à l'horizon 2030"
    )
    assert target_text(found) == f"2{NBSP}400 à l'horizon 2030"
