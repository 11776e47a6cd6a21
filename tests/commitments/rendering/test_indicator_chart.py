"""The indicator's SVG chart and its data table: the same points, every text escaped, the last
value labelled, the trajectory drawn only when there is one; the comparison chart."""

import re
from decimal import Decimal

import pytest

from commitments.rendering.indicator_chart import (
    ComparisonRow,
    chart_points,
    comparison_chart_svg,
    indicator_chart_svg,
    nice_top,
)
from commitments.selectors.indicator_trajectory import trajectory_status
from tests.factories import IndicatorDefinitionFactory, IndicatorFactory, IndicatorValueFactory

pytestmark = pytest.mark.django_db

POINT = re.compile(r'class="point (\w+)" data-kind="\w+" data-year="(\d*)" data-value="([\d.]*)"')
LEVEL = re.compile(r'class="level (\w+)" data-kind="\w+" data-year="" data-value="([\d.]*)"')


def build(**settings):
    values = settings.pop("values", [(2019, 20), (2021, 31)])
    definition = settings.pop("definition", None) or IndicatorDefinitionFactory()
    indicator = IndicatorFactory(definition=definition, **settings)
    rows = [IndicatorValueFactory(indicator=indicator, year=y, value=v) for y, v in values]
    trajectory = trajectory_status(indicator, rows)
    points = chart_points(indicator, rows, trajectory)
    return indicator, points, trajectory, str(indicator_chart_svg(indicator, points, trajectory))


def drawn(svg):
    """(kind, year, value) of every point and level line the SVG draws."""
    found = [(kind, int(year), Decimal(value)) for kind, year, value in POINT.findall(svg)]
    found += [(kind, None, Decimal(value)) for kind, value in LEVEL.findall(svg)]
    return sorted(found, key=str)


def listed(points):
    return sorted(((p.kind, p.year, Decimal(p.value)) for p in points), key=str)


def test_a_trajectory_from_baseline_to_target():
    indicator, points, trajectory, svg = build(
        baseline_value=10, baseline_year=2017, target_value=50, target_year=2027, direction="hausse"
    )
    assert [(p.kind, p.year, p.text) for p in points] == [
        ("reference", 2017, "10\u00a0%"),
        ("value", 2019, "20\u00a0%"),
        ("value", 2021, "31\u00a0%"),
        ("target", 2027, "50\u00a0%"),
    ]
    # The straight line stands at 18 % in 2019 and 26 % in 2021: both values ahead of it.
    assert [p.expected for p in points if p.kind == "value"] == ["18\u00a0%", "26\u00a0%"]
    assert trajectory.label == "Sur la trajectoire"
    assert drawn(svg) == listed(points)
    assert svg.count('class="trajectory"') == 1
    assert '<text class="last-value"' in svg and ">31\u00a0% (2021)</text>" in svg
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" role="img"')
    assert 'viewBox="0 0 340 ' in svg
    assert "Situation : sur la trajectoire." in svg
    # Every series is named in the legend, shapes and not colour alone.
    for name in ("Valeurs mesurées", "Valeur de référence", "Cible", "Trajectoire"):
        assert name in svg


def test_without_years_no_trajectory_and_level_lines():
    # « tendre vers 50 % … à échéances de 15/20 ans », a baseline without a year.
    indicator, points, trajectory, svg = build(
        baseline_value=4, target_value=50, target_horizon="à échéances de 15/20 ans"
    )
    assert 'class="trajectory"' not in svg
    assert drawn(svg) == listed(points)
    assert ("target", None, Decimal(50)) in drawn(svg)
    assert "cible 50\u00a0% à échéances de 15/20 ans" in svg
    assert all(point.expected == "" for point in points)


def test_a_relative_target_is_drawn_at_its_value():
    _, points, trajectory, svg = build(
        baseline_value=100,
        baseline_year=2018,
        target_factor=2,
        target_year=2026,
        values=[(2020, 120)],
        definition=IndicatorDefinitionFactory(unit="nombre"),
    )
    assert trajectory.target == 200
    assert ("target", 2026, Decimal(200)) in drawn(svg)
    assert drawn(svg) == listed(points)


def test_every_text_is_escaped():
    definition = IndicatorDefinitionFactory(name="Taux <script>alert(1)</script> & co")
    indicator, points, _, svg = build(definition=definition, scope="Quartier <b>Nord</b>")
    assert "<script>" not in svg and "<b>" not in svg
    assert "Taux &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in svg
    assert "Quartier &lt;b&gt;Nord&lt;/b&gt;" in svg


def test_nothing_to_draw():
    _, points, trajectory, svg = build(values=[])
    assert points == [] and "Aucun chiffre à représenter." in svg
    assert "aucune valeur mesurée" in svg.lower()


@pytest.mark.parametrize(
    ("highest", "top"), [(4, 4), (7, 8), (35, 40), (50, 50), (100, 100), (2400, 2500)]
)
def test_the_value_axis_holds_every_figure(highest, top):
    assert nice_top(highest)[0] == top


def test_comparison_chart():
    rows = [
        ComparisonRow("Grigny <b>", Decimal("35"), 2017, Decimal("50"), "En retard", "pourcentage"),
        ComparisonRow("Évry", None, None, None, "Pas encore de valeur", "pourcentage"),
    ]
    svg = str(comparison_chart_svg(rows, title="Taux & <x>"))
    assert "<b>" not in svg and "Grigny &lt;b&gt;" in svg and "Taux &amp; &lt;x&gt;" in svg
    assert svg.count('class="comparison-row"') == 2
    assert svg.count('class="bar"') == 1  # Évry has no value: no bar, the words say so
    assert "pas encore de valeur" in svg
    assert 'data-value="35" data-year="2017"' in svg
    assert "Cible : 50\u00a0%" in svg
