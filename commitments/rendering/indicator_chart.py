"""An indicator's accessible SVG charts, made on the server, in the house style of charts.py.

- `chart_points(indicator, values, trajectory)`: what the chart draws and its data table lists,
  one list for both (the baseline, each yearly value, the target), so that they cannot differ.
- `indicator_chart_svg(...)`: the values (a solid line with campaign points), the baseline (a
  square), the target (a diamond at its year, or a dotted line across the chart when it has no
  year), the straight trajectory from the baseline to the target (dashed), the last value
  labelled with its figure and year; a legend under the chart names each shape. Shapes and line
  styles tell the series apart, not colour alone; the desc states every figure in words.
- `comparison_chart_svg(rows)`: one definition across territories: a bar per indicator with the
  last value (and its year) written above it, the target marked by a tick and written out.

Each chart is an `<svg role="img">` labelled by its title and desc, 340 units wide (viewBox)
and never scaled up, so that on a 375 px phone no text renders under 12 px. Every text is
escaped. No query: the indicator comes with its definition and territory.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape

from commitments.rendering.charts import FONT_SIZE, SMALL_FONT_SIZE, TEXT, WIDTH, _shorten, _svg
from commitments.rendering.indicator_figures import figure

# Colours with a contrast of at least 4.5:1 on white; the shapes differ too.
VALUE_COLOUR = "#0063cb"
BASELINE_COLOUR = "#6e445a"
TARGET_COLOUR = "#18753c"
TRAJECTORY_COLOUR = "#3a3a3a"
GRID = "#dddddd"
AXIS_TEXT = "#3a3a3a"

KIND_LABELS = {
    "reference": "Valeur de référence",
    "value": "Valeur mesurée",
    "target": "Cible",
}


@dataclass(frozen=True)
class ChartPoint:
    kind: str  # "reference", "value" or "target"
    year: int | None
    value: Decimal
    text: str  # the figure in French, with its unit
    expected: str = ""  # the trajectory's figure that year, when there is a trajectory
    source: str = ""  # a yearly value's source and comment
    comment: str = ""

    @property
    def label(self):
        return KIND_LABELS[self.kind]

    @property
    def data_value(self):
        """The figure as data attributes carry it: « 2400 », « 35.5 »."""
        return format(Decimal(self.value).normalize(), "f")


def chart_points(indicator, values, trajectory):
    """The baseline, the yearly values (by year) and the target, as the chart draws them and
    the table lists them."""
    unit = indicator.definition.unit

    def expected(year):
        line = _line(indicator, trajectory)
        if line is None or year is None:
            return ""
        (x1, y1), (x2, y2) = line
        if year <= x1:
            at = y1
        elif year >= x2:
            at = y2
        else:
            at = y1 + (y2 - y1) * Decimal(year - x1) / Decimal(x2 - x1)
        return figure(_round(at, indicator.definition.decimals), unit)

    points = []
    if indicator.baseline_value is not None:
        year = indicator.baseline_year
        points.append(
            ChartPoint(
                "reference", year, indicator.baseline_value, figure(indicator.baseline_value, unit)
            )
        )
    for row in sorted(values, key=lambda row: row.year):
        points.append(
            ChartPoint(
                "value",
                row.year,
                row.value,
                figure(row.value, unit),
                expected(row.year),
                row.source,
                row.comment,
            )
        )
    if trajectory.target is not None:
        target = _round(trajectory.target, indicator.definition.decimals)
        points.append(ChartPoint("target", indicator.target_year, target, figure(target, unit)))
    return points


def _round(value, decimals):
    return Decimal(value).quantize(Decimal(1).scaleb(-decimals))


def _line(indicator, trajectory):
    """((baseline year, baseline), (target year, target)) when a trajectory can be drawn."""
    if (
        indicator.baseline_value is None
        or indicator.baseline_year is None
        or indicator.target_year is None
        or trajectory.target is None
    ):
        return None
    return (
        (indicator.baseline_year, Decimal(indicator.baseline_value)),
        (indicator.target_year, trajectory.target),
    )


def nice_top(highest):
    """The top of the value axis and its step: 4 or 5 steps of 1, 2, 2.5 or 5 × 10^n, the
    lowest top that holds `highest` (fewer steps on a tie)."""
    if highest <= 0:
        return 4, 1
    best = None
    for count in (4, 5):
        raw = highest / count
        power = 10 ** math.floor(math.log10(raw))
        for multiple in (1, 2, 2.5, 5, 10):
            step = multiple * power
            if step * count >= highest * (1 - 1e-12):
                break
        if step >= 1:
            step = round(step)
        if best is None or step * count < best[0]:
            best = (step * count, step)
    return best


def _tick(value):
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    whole, _, decimals = text.partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return "\u00a0".join(groups) + (f",{decimals}" if decimals else "")


def describe(indicator, points, trajectory):
    """The chart's figures in words (the desc)."""
    parts = []
    for point in points:
        when = f" en {point.year}" if point.year else ""
        if point.kind == "reference":
            parts.append(f"valeur de référence {point.text}{when}")
        elif point.kind == "target":
            horizon = f" {indicator.target_horizon}" if indicator.target_horizon else ""
            minimum = "au minimum " if indicator.target_is_minimum else ""
            parts.append(f"cible {minimum}{point.text}{horizon or when}")
    measured = [f"{p.year} : {p.text}" for p in points if p.kind == "value"]
    parts.append(
        "valeurs mesurées : " + ", ".join(measured) if measured else "aucune valeur mesurée"
    )
    if _line(indicator, trajectory) is not None:
        parts.append("la trajectoire va en ligne droite de la valeur de référence à la cible")
    sentence = " ; ".join(parts)
    return f"{sentence[0].upper()}{sentence[1:]}. Situation : {trajectory.label.lower()}."


def indicator_chart_svg(indicator, points, trajectory, *, chart_id="graphique-indicateur"):
    """The chart of one indicator (see the module). `points` are chart_points(...)."""
    title = f"{indicator.definition.name} — {indicator.territory.name}"
    if indicator.scope:
        title += f" ({indicator.scope})"
    desc = describe(indicator, points, trajectory)
    if not points:
        return _svg(
            chart_id,
            WIDTH,
            40,
            title,
            desc,
            f'<text x="0" y="24" font-size="{FONT_SIZE}" fill="{TEXT}">'
            f"{escape('Aucun chiffre à représenter.')}</text>",
        )
    left, right, top, plot_height = 52, 22, 28, 170
    plot_width = WIDTH - left - right
    axis_bottom = top + plot_height
    years = [p.year for p in points if p.year is not None]
    first_year, last_year = (min(years), max(years)) if years else (0, 0)
    if first_year == last_year:
        first_year, last_year = first_year - 1, last_year + 1
    highest = max(float(p.value) for p in points)
    top_value, step = nice_top(highest)

    def x_of(year):
        return round(left + plot_width * (year - first_year) / (last_year - first_year), 1)

    def y_of(value):
        return round(top + plot_height * (1 - float(value) / top_value), 1)

    body = []
    value = 0
    while value <= top_value + 1e-9:
        y = y_of(value)
        body.append(
            f'<line x1="{left}" y1="{y}" x2="{left + plot_width}" y2="{y}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" font-size="{SMALL_FONT_SIZE}"'
            f' fill="{AXIS_TEXT}">{escape(_tick(value))}</text>'
        )
        value += step
    if years:
        span = last_year - first_year
        every = max(1, math.ceil(span / 4))
        shown = [
            year for year in range(first_year, last_year + 1) if (year - first_year) % every == 0
        ]
        if last_year not in shown:
            if shown and last_year - shown[-1] < every:
                shown.pop()
            shown.append(last_year)
        for year in shown:
            body.append(
                f'<text class="year" x="{x_of(year)}" y="{axis_bottom + 20}" text-anchor="middle"'
                f' font-size="{SMALL_FONT_SIZE}" fill="{AXIS_TEXT}">{year}</text>'
            )
    line = _line(indicator, trajectory)
    if line is not None:
        (x1, v1), (x2, v2) = line
        body.append(
            f'<line class="trajectory" x1="{x_of(x1)}" y1="{y_of(v1)}" x2="{x_of(x2)}"'
            f' y2="{y_of(v2)}" stroke="{TRAJECTORY_COLOUR}" stroke-width="1.5"'
            f' stroke-dasharray="6 4"/>'
        )
    for point in points:
        if point.year is not None or point.kind == "value":
            continue
        # A baseline or a target without a year: a dotted line across the chart.
        y = y_of(point.value)
        colour = TARGET_COLOUR if point.kind == "target" else BASELINE_COLOUR
        body.append(
            f'<g class="level {point.kind}" data-kind="{point.kind}" data-year=""'
            f' data-value="{point.data_value}"><line x1="{left}" y1="{y}" x2="{left + plot_width}"'
            f' y2="{y}" stroke="{colour}" stroke-width="2" stroke-dasharray="2 3"/>'
            f'<text x="{left + 4}" y="{y - 5}" font-size="{SMALL_FONT_SIZE}" fill="{colour}">'
            f"{escape(point.label)} : {escape(point.text)}</text></g>"
        )
    measured = [p for p in points if p.kind == "value"]
    if len(measured) > 1:
        coordinates = " ".join(f"{x_of(p.year)},{y_of(p.value)}" for p in measured)
        body.append(
            f'<polyline class="values" fill="none" stroke="{VALUE_COLOUR}" stroke-width="2"'
            f' points="{coordinates}"/>'
        )
    for point in points:
        if point.year is None:
            continue
        x, y = x_of(point.year), y_of(point.value)
        attributes = (
            f'class="point {point.kind}" data-kind="{point.kind}" data-year="{point.year}"'
            f' data-value="{point.data_value}"'
        )
        tooltip = f"<title>{escape(point.label)} {point.year} : {escape(point.text)}</title>"
        if point.kind == "reference":
            body.append(
                f'<rect {attributes} x="{x - 5}" y="{y - 5}" width="10" height="10"'
                f' fill="{BASELINE_COLOUR}">{tooltip}</rect>'
            )
        elif point.kind == "target":
            body.append(
                f'<path {attributes} d="M{x},{y - 7} L{x + 7},{y} L{x},{y + 7} L{x - 7},{y} Z"'
                f' fill="{TARGET_COLOUR}">{tooltip}</path>'
            )
        else:
            body.append(
                f'<circle {attributes} cx="{x}" cy="{y}" r="4.5" fill="{VALUE_COLOUR}">'
                f"{tooltip}</circle>"
            )
    if measured:
        last = measured[-1]
        x, y = x_of(last.year), y_of(last.value)
        anchor = "end" if x > left + plot_width / 2 else "start"
        shift = -8 if anchor == "end" else 8
        label_y = y - 10 if y - 10 > 14 else y + 20
        body.append(
            f'<text class="last-value" x="{x + shift}" y="{label_y}" text-anchor="{anchor}"'
            f' font-size="{FONT_SIZE}" font-weight="bold" fill="{TEXT}">'
            f"{escape(last.text)} ({last.year})</text>"
        )
    legend_y = axis_bottom + 36
    legend, height = _legend(legend_y, points, line is not None)
    body.append(legend)
    return _svg(chart_id, WIDTH, height, title, desc, "".join(body))


def _legend(y, points, has_line):
    """One row per series present: its shape, then its name."""
    kinds = {p.kind for p in points}
    rows = []
    if "value" in kinds:
        rows.append(
            (
                f'<circle cx="7" cy="{{y}}" r="4.5" fill="{VALUE_COLOUR}"/>'
                f'<line x1="0" y1="{{y}}" x2="14" y2="{{y}}" stroke="{VALUE_COLOUR}"'
                ' stroke-width="2"/>',
                "Valeurs mesurées",
            )
        )
    if "reference" in kinds:
        rows.append(
            (
                f'<rect x="2" y="{{top}}" width="10" height="10" fill="{BASELINE_COLOUR}"/>',
                "Valeur de référence",
            )
        )
    if "target" in kinds:
        rows.append(
            (
                f'<path d="M7,{{top}} L13,{{y}} L7,{{bottom}} L1,{{y}} Z" fill="{TARGET_COLOUR}"/>',
                "Cible",
            )
        )
    if has_line:
        rows.append(
            (
                f'<line x1="0" y1="{{y}}" x2="14" y2="{{y}}" stroke="{TRAJECTORY_COLOUR}"'
                ' stroke-width="1.5" stroke-dasharray="6 4"/>',
                "Trajectoire (de la référence à la cible)",
            )
        )
    items = []
    for i, (shape, label) in enumerate(rows):
        row_y = y + i * 22
        middle = row_y + 7
        items.append(
            shape.format(y=middle, top=middle - 5, bottom=middle + 6)
            + f'<text x="22" y="{row_y + 12}" font-size="{SMALL_FONT_SIZE}" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
    return '<g class="legend">' + "".join(items) + "</g>", y + 22 * len(rows) + 4


def _data(value):
    return "" if value is None else format(Decimal(value).normalize(), "f")


@dataclass(frozen=True)
class ComparisonRow:
    """One indicator of the compared definition: `label` (territory and scope), its last
    value and year (None without a value), its target (None without one), the status label."""

    label: str
    last_value: Decimal | None
    last_year: int | None
    target: Decimal | None
    status: str
    unit: str

    @property
    def value_text(self):
        if self.last_value is None:
            return "pas encore de valeur"
        return f"{figure(self.last_value, self.unit)} ({self.last_year})"

    @property
    def target_text(self):
        return "" if self.target is None else figure(self.target, self.unit)


def comparison_chart_svg(rows, *, title, chart_id="graphique-comparaison"):
    """One bar per indicator: its name line (territory, last value), then the bar, the target
    marked by a vertical tick with its figure written at the end of the line below."""
    row_height = 62
    highest = max(
        [float(v) for r in rows for v in (r.last_value, r.target) if v is not None], default=0
    )
    top_value, _ = nice_top(highest)
    body, summaries = [], []
    for i, row in enumerate(rows):
        y = i * row_height
        body.append(
            f'<g class="comparison-row" data-value="{_data(row.last_value)}"'
            f' data-year="{row.last_year or ""}">'
            f'<text x="0" y="{y + 15}" font-size="{FONT_SIZE}" fill="{TEXT}">'
            f"{escape(_shorten(row.label, 24))}</text>"
            f'<text class="value" x="{WIDTH}" y="{y + 15}" text-anchor="end"'
            f' font-size="{FONT_SIZE}" fill="{TEXT}">{escape(row.value_text)}</text>'
            f'<rect x="0" y="{y + 22}" width="{WIDTH}" height="16" fill="#f0f0f0"/>'
        )
        if row.last_value is not None:
            length = round(WIDTH * float(row.last_value) / top_value, 1)
            body.append(
                f'<rect class="bar" x="0" y="{y + 22}" width="{length}" height="16"'
                f' fill="{VALUE_COLOUR}"/>'
            )
        if row.target is not None:
            x = round(WIDTH * float(row.target) / top_value, 1)
            x = min(max(x, 1.5), WIDTH - 1.5)
            body.append(
                f'<line class="target" x1="{x}" y1="{y + 18}" x2="{x}" y2="{y + 42}"'
                f' stroke="{TARGET_COLOUR}" stroke-width="3"/>'
                f'<text x="{WIDTH}" y="{y + 56}" text-anchor="end" font-size="{SMALL_FONT_SIZE}"'
                f' fill="{TARGET_COLOUR}">Cible : {escape(row.target_text)}</text>'
            )
        body.append("</g>")
        target = f", cible {row.target_text}" if row.target is not None else ", sans cible"
        summaries.append(f"{row.label} : {row.value_text}{target} ({row.status.lower()})")
    height = max(row_height * len(rows), 40)
    if not rows:
        body.append(
            f'<text x="0" y="24" font-size="{FONT_SIZE}" fill="{TEXT}">Aucun indicateur.</text>'
        )
    desc = "Dernière valeur de chaque territoire, et sa cible : " + " ; ".join(summaries) + "."
    return _svg(chart_id, WIDTH, height, title, desc, "".join(body))
