"""Accessible SVG charts rendered on the server: data in, SVG string out.

Each chart is an `<svg role="img">` labelled by its `<title>` and `<desc>` (the desc states the
figures in words); pages render a data table next to it. No request, no database: the PDF
embeds the same charts. Every text is escaped; numbers are formatted in French.
"""

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
    """Horizontal bars, one per status, with the count and share written at the end.

    `counts` maps status values to numbers (a Rollup's `counts`).
    """
    rows = _ordered(counts)
    total = sum(count for _, _, count in rows)
    biggest = max((count for _, _, count in rows), default=0) or 1
    label_width, bar_width, row_height = 130, 300, 30
    width, height = label_width + bar_width + 110, row_height * len(rows) + 10
    body = []
    for i, (status, label, count) in enumerate(rows):
        y = 5 + i * row_height
        length = round(bar_width * count / biggest, 1)
        share = percent(100 * count / total) if total else percent(None)
        body.append(
            f'<g class="status-row" data-status="{escape(status)}">'
            f'<text x="{label_width - 8}" y="{y + 19}" text-anchor="end" font-size="14"'
            f' fill="#161616">{escape(label)}</text>'
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{length}" height="20"'
            f' fill="{STATUS_COLOURS[status]}" data-status="{escape(status)}"'
            f' data-count="{count}"/>'
            f'<text class="value" x="{label_width + length + 6}" y="{y + 19}" font-size="14"'
            f' fill="#161616">{count} ({escape(share)})</text></g>'
        )
    return _svg(chart_id, width, height, title, status_summary(counts), "".join(body))


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
    """One 100 % stacked bar per group: `rows` is [(label, {status: count})].

    A group without any tracked commitment gets a written "aucun engagement suivi".
    """
    label_width, bar_width, row_height = 220, 360, 30
    width, height = label_width + bar_width + 70, row_height * len(rows) + 40
    body, summaries = [], []
    for i, (label, counts) in enumerate(rows):
        y = 5 + i * row_height
        ordered = _ordered(counts)
        total = sum(count for _, _, count in ordered)
        body.append(
            f'<g class="group-row" data-total="{total}">'
            f'<text x="{label_width - 8}" y="{y + 19}" text-anchor="end" font-size="13"'
            f' fill="#161616">{escape(_shorten(str(label)))}</text>'
        )
        x = label_width
        for status, status_label, count in ordered:
            if not count:
                continue
            length = round(bar_width * count / total, 1)
            body.append(
                f'<rect class="bar" x="{x}" y="{y + 4}" width="{length}" height="20"'
                f' fill="{STATUS_COLOURS[status]}" data-status="{escape(status)}"'
                f' data-count="{count}"><title>{escape(label)} — {escape(status_label)} :'
                f" {count}</title></rect>"
            )
            x = round(x + length, 1)
        if total:
            done = sum(c for s, _, c in ordered if s == Status.DONE)
            body.append(
                f'<text class="value" x="{label_width + bar_width + 6}" y="{y + 19}"'
                f' font-size="13" fill="#161616">{escape(percent(100 * done / total))}</text>'
            )
            summaries.append(f"{label} : {status_summary(counts)}")
        else:
            body.append(
                f'<text class="value" x="{label_width + 4}" y="{y + 19}" font-size="13"'
                f' fill="#161616">aucun engagement suivi</text>'
            )
            summaries.append(f"{label} : aucun engagement suivi.")
        body.append("</g>")
    body.append(_legend(5 + len(rows) * row_height + 8))
    desc = "Part des engagements par statut ; le pourcentage indique la part réalisée. " + " ".join(
        summaries
    )
    return _svg(chart_id, width, height, title, desc, "".join(body))


def _shorten(text, length=32):
    return text if len(text) <= length else text[: length - 1] + "…"


def _legend(y):
    items, x = [], 10
    for status in Status.in_display_order():
        items.append(
            f'<rect x="{x}" y="{y}" width="14" height="14" fill="{STATUS_COLOURS[status]}"/>'
            f'<text x="{x + 19}" y="{y + 12}" font-size="12" fill="#161616">'
            f"{escape(status.label)}</text>"
        )
        x += 19 + 8 * len(status.label) + 18
    return '<g class="legend">' + "".join(items) + "</g>"


def progress_over_time_svg(points, *, title="Avancement moyen", chart_id="graphique-avancement"):
    """A line of the average progress (0–100 %) month by month.

    `points` are objects with `month` (a date) and `avg_progress` (0–100), such as
    `rollups.progress_over_time()`.
    """
    left, top, plot_width, plot_height = 50, 15, 520, 200
    # Room on the right for the last month's label, centred on the last point.
    width, height = left + plot_width + 45, top + plot_height + 45
    if not points:
        return _svg(
            chart_id,
            width,
            80,
            title,
            "Aucun point d'avancement n'a encore été enregistré.",
            f'<text x="10" y="40" font-size="14" fill="#161616">'
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
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" font-size="11"'
            f' fill="#3a3a3a">{value}{NBSP}%</text>'
        )
    every = max(1, -(-len(points) // 8))  # at most 8 month labels
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
        if i % every == 0 or i == len(points) - 1:
            labels.append(
                f'<text x="{x}" y="{top + plot_height + 18}" text-anchor="middle"'
                f' font-size="11" fill="#3a3a3a">{escape(month_label(point.month))}</text>'
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
    return _svg(chart_id, width, height, title, desc, "".join(grid + [line] + dots + labels))
