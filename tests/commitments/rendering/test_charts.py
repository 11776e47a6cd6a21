import datetime
import xml.etree.ElementTree as ET

from commitments.enums import Status
from commitments.rendering.charts import (
    progress_over_time_svg,
    status_bars_svg,
    status_chart_svg,
    status_table_html,
)
from commitments.reporting.dashboard_data import Point

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
        assert abs(widths - 360) < 0.5  # 100 % of the bar
        assert round(float(first[Status.NOT_REPORTED].get("width")), 1) == round(360 * 11 / 20, 1)
        texts = ["".join(t.itertext()) for g in groups for t in g.iter(SVG + "text")]
        assert "Grigny <b>" in texts  # escaped on output, intact once parsed
        assert "aucun engagement suivi" in texts
        assert "100\u00a0%" in texts and "15\u00a0%" in texts


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
