import datetime
import xml.etree.ElementTree as ET

from commitments.enums import Status
from commitments.rendering.charts import (
    BAR_WIDTH,
    LABEL_SPACING,
    SMALL_FONT_SIZE,
    WIDTH,
    group_share_label,
    progress_over_time_svg,
    status_bars_svg,
    status_chart_svg,
    status_table_html,
)
from commitments.selectors.dashboard_data import Point

SVG = "{http://www.w3.org/2000/svg}"

COUNTS = {
    Status.DONE: 3,
    Status.IN_PROGRESS: 5,
    Status.PLANNED: 0,
    Status.ABANDONED: 1,
    Status.NOT_REPORTED: 11,
}


def parse(svg):
    root = ET.fromstring(str(svg))
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
    assert title is not None and title.text
    assert desc is not None and desc.text
    labelled_by = root.get("aria-labelledby").split()
    assert labelled_by == [title.get("id"), desc.get("id")]
    return root


def bars(root):
    return {
        rect.get("data-status"): rect for rect in root.iter(SVG + "rect") if rect.get("data-status")
    }


class TestStatusChart:
    def test_carries_the_counts(self):
        root = parse(status_chart_svg(COUNTS))
        found = bars(root)
        assert {status: int(rect.get("data-count")) for status, rect in found.items()} == COUNTS
        values = [text.text for text in root.iter(SVG + "text") if text.get("class") == "value"]
        assert values == [
            "3 (15\u00a0%)",
            "5 (25\u00a0%)",
            "0 (0\u00a0%)",
            "1 (5\u00a0%)",
            "11 (55\u00a0%)",
        ]

    def test_bar_lengths_are_proportional(self):
        found = bars(parse(status_chart_svg(COUNTS)))
        longest = float(found[Status.NOT_REPORTED].get("width"))
        for status, count in COUNTS.items():
            assert float(found[status].get("width")) == round(longest * count / 11, 1)

    def test_the_description_states_the_figures(self):
        desc = parse(status_chart_svg(COUNTS)).find(SVG + "desc").text
        assert desc.startswith("Sur 20 engagements suivis")
        assert "Non renseigné : 11 (55\u00a0%)" in desc

    def test_without_any_commitment(self):
        root = parse(status_chart_svg({}))
        assert all(rect.get("width") == "0.0" for rect in bars(root).values())
        assert root.find(SVG + "desc").text == "Aucun engagement suivi."

    def test_the_title_is_escaped(self):
        root = parse(status_chart_svg(COUNTS, title="<script>alert('x')</script> & co"))
        assert root.find(SVG + "title").text == "<script>alert('x')</script> & co"
        assert root.find(".//" + SVG + "script") is None

    def test_the_data_table_matches(self):
        table = ET.fromstring(str(status_table_html(COUNTS)))
        rows = [[cell.text or "".join(cell.itertext()) for cell in row] for row in table.iter("tr")]
        assert rows[1] == ["Réalisé", "3", "15\u00a0%"]
        assert rows[-1] == ["Total", "20", "100\u00a0%"]


class TestStatusBars:
    def test_one_stacked_bar_per_group(self):
        rows = [
            ("Grigny <b>", COUNTS),
            ("Vide", {}),
            ("Tout fait", {Status.DONE: 4}),
        ]
        root = parse(status_bars_svg(rows, title="Par territoire", chart_id="t"))
        groups = [g for g in root.iter(SVG + "g") if g.get("class") == "group-row"]
        assert [int(g.get("data-total")) for g in groups] == [20, 0, 4]
        first = {r.get("data-status"): r for r in groups[0].iter(SVG + "rect")}
        assert set(first) == {s for s, n in COUNTS.items() if n}  # no empty segment
        widths = sum(float(r.get("width")) for r in first.values())
        assert abs(widths - BAR_WIDTH) < 0.5  # 100 % of the bar
        expected = round(BAR_WIDTH * 11 / 20, 1)
        assert round(float(first[Status.NOT_REPORTED].get("width")), 1) == expected
        texts = ["".join(t.itertext()) for g in groups for t in g.iter(SVG + "text")]
        assert "Grigny <b>" in texts  # escaped on output, intact once parsed
        assert "aucun engagement suivi" in texts
        assert "100\u00a0% réalisés" in texts and "15\u00a0% réalisés" in texts

    def test_a_bar_all_not_reported_is_not_labelled_0_percent(self):
        """A full "Non renseigné" bar once stood beside a bare "0 %" (its share done)."""
        rows = [("Rien de renseigné", {Status.NOT_REPORTED: 7})]
        root = parse(status_bars_svg(rows, title="Par territoire", chart_id="t"))
        values = [t.text for t in root.iter(SVG + "text") if t.get("class") == "value"]
        assert values == ["100\u00a0% non renseignés"]
        assert not any(t.text == "0\u00a0%" for t in root.iter(SVG + "text"))

    def test_the_label_says_what_the_share_is(self):
        assert group_share_label({}) == "aucun engagement suivi"
        assert group_share_label({Status.NOT_REPORTED: 3}) == "100\u00a0% non renseignés"
        in_progress = {Status.IN_PROGRESS: 1, Status.NOT_REPORTED: 3}
        assert group_share_label(in_progress) == "0\u00a0% réalisés"
        assert group_share_label({Status.DONE: 1, Status.PLANNED: 2}) == "33,3\u00a0% réalisés"


def long_series(months):
    start = datetime.date(2022, 1, 1)
    return [
        Point(datetime.date(start.year + (i // 12), i % 12 + 1, 1), i * 100 / months, 0, 1)
        for i in range(months)
    ]


class TestLegibleOnAPhone:
    """Drawn for a phone: 340 units wide, never wider, no text under 13 units, so that a
    375 px screen shows it at about its own size (the browser test measures the pixels)."""

    def charts(self):
        rows = [("Évry-Courcouronnes", COUNTS), ("Vide", {})] * 4
        return [
            status_chart_svg(COUNTS),
            status_bars_svg(rows, title="Par territoire", chart_id="t"),
            progress_over_time_svg(long_series(36)),
            progress_over_time_svg([]),
        ]

    def test_width_and_font_sizes(self):
        for svg in self.charts():
            root = parse(svg)
            assert root.get("width") == str(WIDTH)
            assert root.get("viewBox").split()[2] == str(WIDTH)
            sizes = [float(t.get("font-size")) for t in root.iter(SVG + "text")]
            assert sizes and min(sizes) >= SMALL_FONT_SIZE >= 13
            for shape in root.iter(SVG + "rect"):
                assert float(shape.get("x")) + float(shape.get("width")) <= WIDTH + 0.01

    def test_month_labels_never_overlap(self):
        for months in (2, 3, 5, 12, 13, 36):
            root = parse(progress_over_time_svg(long_series(months)))
            labels = [
                float(t.get("x"))
                for t in root.iter(SVG + "text")
                if t.get("text-anchor") == "middle"
            ]
            assert labels, months
            gaps = [b - a for a, b in zip(labels, labels[1:], strict=False)]
            assert all(gap >= LABEL_SPACING for gap in gaps), (months, labels)
            # The last month is always labelled, within the chart.
            assert labels[-1] == float(list(root.iter(SVG + "circle"))[-1].get("cx"))
            assert labels[-1] + 36 <= WIDTH


class TestProgressOverTime:
    def test_one_point_per_month(self):
        points = [
            Point(datetime.date(2024, 1, 1), 10.0, 0, 1),
            Point(datetime.date(2024, 2, 1), 35.5, 1, 2),
            Point(datetime.date(2024, 3, 1), 100.0, 2, 2),
        ]
        root = parse(progress_over_time_svg(points))
        circles = list(root.iter(SVG + "circle"))
        assert [(c.get("data-month"), float(c.get("data-value"))) for c in circles] == [
            ("2024-01", 10.0),
            ("2024-02", 35.5),
            ("2024-03", 100.0),
        ]
        # Higher progress is drawn higher: 100 % at the top of the plot, 0 % at its bottom.
        ys = [float(c.get("cy")) for c in circles]
        assert ys[0] > ys[1] > ys[2]
        assert circles[1].find(SVG + "title").text == "févr. 2024 : 35,5\u00a0%"
        assert "janv. 2024 (10\u00a0%)" in root.find(SVG + "desc").text
        assert "mars 2024 (100\u00a0%)" in root.find(SVG + "desc").text

    def test_no_point(self):
        root = parse(progress_over_time_svg([]))
        assert list(root.iter(SVG + "circle")) == []
        assert "Aucun point" in root.find(SVG + "desc").text
