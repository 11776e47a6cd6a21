"""Accessible SVG charts rendered on the server: data in, SVG string out.

Each chart is an `<svg role="img">` labelled by its `<title>` and `<desc>` (the desc states the
figures in words); pages render a data table next to it. No request, no database: the PDF
embeds the same charts. Every text is escaped; numbers are formatted in French.

Legibility: every chart is 340 units wide with its labels above its bars, and pages never
scale it up, so that on a 375 px phone no text renders under 12 px (SMALL_FONT_SIZE = 13 is
the smallest; tests/browser/test_public_pages_dashboard.py measures it in Chromium).
"""

import math

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from commitments.enums import Status

# Colours with a contrast of at least 4.5:1 on white (RGAA 3.2/3.3).
STATUS_COLOURS = {
    Status.DONE: "#18753c",
    Status.IN_PROGRESS: "#0063cb",
    Status.PLANNED: "#6e445a",
    Status.ABANDONED: "#666666",
    Status.NOT_REPORTED: "#b34000",
}
FONT = 'font-family="Marianne, Arial, sans-serif"'
TEXT = "#161616"
# Every chart is drawn for a phone's width: at 375 px (343 px of content) it shows at about its
# own size, so no text renders under 12 px; wider screens show it at its own size (width 340),
# never scaled up. Labels sit above the bars, so they need no room beside them.
WIDTH = 340
BAR_WIDTH = WIDTH
FONT_SIZE = 14
SMALL_FONT_SIZE = 13  # axes and legends: the smallest text of any chart
LEGEND_ROW = 22
LABEL_SPACING = 80
NBSP = "\u00a0"
MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin"] + [
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
]


def number(value, decimals=1):
    """French formatting: 42 or 42,5 (decimal comma, no trailing zero)."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{value:.0f}"
    return text.replace(".", ",")


def percent(value):
    return "—" if value is None else f"{number(value)}{NBSP}%"


def month_label(month):
    return f"{MONTHS[month.month - 1]} {month.year}"


def _svg(chart_id, width, height, title, desc, body):
    return mark_safe(  # noqa: S308 - every text part is escaped by the callers
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" id="{escape(chart_id)}"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" {FONT}>'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def _ordered(counts):
    """[(status, label, count)] from a mapping {status value: count}."""
    return [
        (status, status.label, int(counts.get(status, 0) or 0))
        for status in Status.in_display_order()
    ]


def status_summary(counts):
    """The figures in words, for the desc and for screen readers."""
    rows = _ordered(counts)
    total = sum(count for _, _, count in rows)
    if not total:
        return "Aucun engagement suivi."
    parts = [f"{label} : {count} ({percent(100 * count / total)})" for _, label, count in rows]
    return f"Sur {total} engagements suivis : " + " ; ".join(parts) + "."


def status_chart_svg(counts, *, title="Engagements par statut", chart_id="graphique-statuts"):
    """One bar per status under its label, with the count and share at the end of the label line.

    `counts` maps status values to numbers (a Rollup's `counts`).
    """
    rows = _ordered(counts)
    total = sum(count for _, _, count in rows)
    biggest = max((count for _, _, count in rows), default=0) or 1
    row_height = 44
    height = row_height * len(rows) + 4
    body = []
    for i, (status, label, count) in enumerate(rows):
        y = i * row_height
        length = round(BAR_WIDTH * count / biggest, 1)
        share = percent(100 * count / total) if total else percent(None)
        body.append(
            f'<g class="status-row" data-status="{escape(status)}">'
            f'<text x="0" y="{y + 15}" font-size="{FONT_SIZE}" fill="{TEXT}">{escape(label)}</text>'
            f'<text class="value" x="{WIDTH}" y="{y + 15}" text-anchor="end"'
            f' font-size="{FONT_SIZE}" fill="{TEXT}">{count} ({escape(share)})</text>'
            f'<rect class="bar" x="0" y="{y + 21}" width="{length}" height="16"'
            f' fill="{STATUS_COLOURS[status]}" data-status="{escape(status)}"'
            f' data-count="{count}"/></g>'
        )
    return _svg(chart_id, WIDTH, height, title, status_summary(counts), "".join(body))


def status_table_html(counts, *, caption="Engagements par statut"):
    """The data table that goes next to `status_chart_svg` (same order, same figures)."""
    rows = _ordered(counts)
    total = sum(count for _, _, count in rows)
    body = format_html_join(
        "",
        '<tr><th scope="row"><span class="statut statut-{}">{}</span></th>'
        "<td>{}</td><td>{}</td></tr>",
        (
            (status, label, count, percent(100 * count / total) if total else percent(None))
            for status, label, count in rows
        ),
    )
    return format_html(
        '<table class="chart-data"><caption>{}</caption><thead><tr><th scope="col">Statut</th>'
        '<th scope="col">Engagements</th><th scope="col">Part</th></tr></thead>'
        '<tbody>{}</tbody><tfoot><tr><th scope="row">Total</th><td>{}</td><td>{}</td></tr>'
        "</tfoot></table>",
        caption,
        body,
        total,
        percent(100) if total else percent(None),
    )


def status_bars_svg(rows, *, title, chart_id):
    """One 100 % stacked bar per group, under a line with the group's name and what the bar
    shows in words: `rows` is [(label, {status: count})].

    The words say the share done ("15 % réalisés"), or "100 % non renseignés" when nothing
    was reported (a bare "0 %" beside a bar all of that colour read as its share); a group
    without any tracked commitment gets a written "aucun engagement suivi".
    """
    row_height = 46
    legend_y = row_height * len(rows) + 6
    height = legend_y + LEGEND_ROW * 3
    body, summaries = [], []
    for i, (label, counts) in enumerate(rows):
        y = i * row_height
        ordered = _ordered(counts)
        total = sum(count for _, _, count in ordered)
        body.append(
            f'<g class="group-row" data-total="{total}">'
            f'<text x="0" y="{y + 15}" font-size="{FONT_SIZE}" fill="{TEXT}">'
            f"{escape(_shorten(str(label)))}</text>"
        )
        x = 0
        for status, status_label, count in ordered:
            if not count:
                continue
            length = round(BAR_WIDTH * count / total, 1)
            body.append(
                f'<rect class="bar" x="{x}" y="{y + 21}" width="{length}" height="18"'
                f' fill="{STATUS_COLOURS[status]}" data-status="{escape(status)}"'
                f' data-count="{count}"><title>{escape(label)} — {escape(status_label)} :'
                f" {count}</title></rect>"
            )
            x = round(x + length, 1)
        body.append(
            f'<text class="value" x="{WIDTH}" y="{y + 15}" text-anchor="end"'
            f' font-size="{FONT_SIZE}" fill="{TEXT}">{escape(group_share_label(counts))}</text>'
        )
        if total:
            summaries.append(f"{label} : {status_summary(counts)}")
        else:
            summaries.append(f"{label} : aucun engagement suivi.")
        body.append("</g>")
    body.append(_legend(legend_y))
    desc = "Part des engagements par statut ; le pourcentage indique la part réalisée. " + " ".join(
        summaries
    )
    return _svg(chart_id, WIDTH, height, title, desc, "".join(body))


def group_share_label(counts):
    """What a group's stacked bar shows, in words: its share done, or that nothing was
    reported, or that it tracks nothing."""
    ordered = _ordered(counts)
    total = sum(count for _, _, count in ordered)
    if not total:
        return "aucun engagement suivi"
    by_status = {status: count for status, _, count in ordered}
    if by_status[Status.NOT_REPORTED] == total:
        return f"{percent(100)} non renseignés"
    return f"{percent(100 * by_status[Status.DONE] / total)} réalisés"


def _shorten(text, length=30):
    return text if len(text) <= length else text[: length - 1] + "…"


def _legend(y):
    """Two columns, so that the legend fits the chart's width."""
    items = []
    for i, status in enumerate(Status.in_display_order()):
        x, row_y = (i % 2) * (WIDTH // 2), y + (i // 2) * LEGEND_ROW
        items.append(
            f'<rect x="{x}" y="{row_y}" width="14" height="14" fill="{STATUS_COLOURS[status]}"/>'
            f'<text x="{x + 20}" y="{row_y + 12}" font-size="{SMALL_FONT_SIZE}" fill="{TEXT}">'
            f"{escape(status.label)}</text>"
        )
    return '<g class="legend">' + "".join(items) + "</g>"


def progress_over_time_svg(points, *, title="Avancement moyen", chart_id="graphique-avancement"):
    """A line of the average progress (0–100 %) month by month.

    `points` are objects with `month` (a date) and `avg_progress` (0–100), such as
    `rollups.progress_over_time()`. Month labels never overlap.
    """
    # Room on the left for "100 %", on the right for the last month's label, centred on the
    # last point.
    left, right, top, plot_height = 46, 38, 12, 170
    plot_width = WIDTH - left - right
    height = top + plot_height + 34
    if not points:
        return _svg(
            chart_id,
            WIDTH,
            40,
            title,
            "Aucun point d'avancement n'a encore été enregistré.",
            f'<text x="0" y="24" font-size="{FONT_SIZE}" fill="{TEXT}">'
            f"{escape('Aucun point d’avancement enregistré.')}</text>",
        )
    step = plot_width / max(len(points) - 1, 1)

    def position(i, value):
        return round(left + i * step, 1), round(top + plot_height * (1 - value / 100), 1)

    grid = []
    for value in (0, 25, 50, 75, 100):
        _, y = position(0, value)
        grid.append(
            f'<line x1="{left}" y1="{y}" x2="{left + plot_width}" y2="{y}" stroke="#dddddd"/>'
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" font-size="{SMALL_FONT_SIZE}"'
            f' fill="#3a3a3a">{value}{NBSP}%</text>'
        )
    # Month labels (about 65 units wide) at least LABEL_SPACING apart, the last one always.
    every = max(1, math.ceil(LABEL_SPACING / step)) if len(points) > 1 else 1
    labels, dots, coordinates = [], [], []
    for i, point in enumerate(points):
        x, y = position(i, point.avg_progress)
        coordinates.append(f"{x},{y}")
        dots.append(
            f'<circle class="point" cx="{x}" cy="{y}" r="3.5" fill="#0063cb"'
            f' data-month="{point.month:%Y-%m}" data-value="{round(point.avg_progress, 2)}">'
            f"<title>{escape(month_label(point.month))} : "
            f"{escape(percent(point.avg_progress))}</title></circle>"
        )
        last = i == len(points) - 1
        # The last month is always labelled; a label too close before it is left out.
        if last or (i % every == 0 and len(points) - 1 - i >= every):
            labels.append(
                f'<text x="{x}" y="{top + plot_height + 20}" text-anchor="middle"'
                f' font-size="{SMALL_FONT_SIZE}" fill="#3a3a3a">'
                f"{escape(month_label(point.month))}</text>"
            )
    line = (
        f'<polyline fill="none" stroke="#0063cb" stroke-width="2"'
        f' points="{" ".join(coordinates)}"/>'
    )
    first, last = points[0], points[-1]
    desc = (
        f"Avancement moyen des engagements suivis, de {month_label(first.month)} "
        f"({percent(first.avg_progress)}) à {month_label(last.month)} "
        f"({percent(last.avg_progress)}), mois par mois ; le tableau qui suit donne chaque valeur."
    )
    return _svg(chart_id, WIDTH, height, title, desc, "".join(grid + [line] + dots + labels))
