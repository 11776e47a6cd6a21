"""The tracking dashboards on a 375 px phone, in Debian's Chromium (the `browser` fixture).

Before: /tableau-de-bord/ was 32,223 px tall at 375 px (the lists "sans pilote" and "sans point
depuis 12 mois" repeated 159 and 158 links), chart text shrank to 7–10 px, and a bare "0 %"
stood beside a full "Non renseigné" bar. Now the long lists are folded (<details>, their counts
in the summaries, opened by keyboard), the charts are drawn for a phone's width, and the wide
tables scroll in their own box with their first column fixed.
"""

import datetime

import pytest

from commitments.enums import Status
from commitments.models import Action
from territories.models import Territory
from tests.browser.chromium import WCAG, axe_violations
from tests.support.progress import report

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}
# The effective size of each chart text: its computed font size times the SVG's scale.
SMALLEST_CHART_TEXT = """() => {
    const sizes = {};
    for (const svg of document.querySelectorAll("svg.chart")) {
        const texts = [...svg.querySelectorAll("text")];
        sizes[svg.id] = Math.min(...texts.map(
            t => t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize)));
    }
    return sizes;
}"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="fr-FR", viewport=PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def reported(seeded):
    """A few months of updates in Grigny, so that the progress chart has points and labels."""
    grigny = Territory.objects.get(slug="grigny")
    actions = list(Action.objects.for_territory(grigny).in_document_order()[:6])
    today = datetime.date.today()
    for i, action in enumerate(actions):
        for months_ago in (14, 8, 2):
            status = Status.DONE if i % 3 == 0 and months_ago == 2 else Status.IN_PROGRESS
            when = today - datetime.timedelta(days=30 * months_ago + i)
            report(action, when, status, 100 if status == Status.DONE else 20 + 5 * i)
    return grigny


def test_the_dashboards_are_short_and_their_charts_legible(live_server, reported, phone):
    for path in ("/tableau-de-bord/", "/tableau-de-bord/grigny/"):
        assert phone.goto(live_server.url + path).status == 200
        height = phone.evaluate("document.documentElement.scrollHeight")
        # 32,223 px before; about 7,000 now (the lists are folded).
        assert height < 12_000, (path, height)
        assert phone.evaluate("document.documentElement.scrollWidth") == 375
        sizes = phone.evaluate(SMALLEST_CHART_TEXT)
        assert len(sizes) >= 3, sizes
        assert all(size >= 12 for size in sizes.values()), (path, sizes)
        # The progress chart has its points (not the "no update" text).
        assert phone.locator("svg.chart circle.point").count() > 0
        # A group where nothing is reported says so, never a bare "0 %".
        values = phone.locator("svg.chart text.value").all_inner_texts()
        assert "0\u00a0%" not in values


def test_the_lists_open_by_keyboard(live_server, seeded, phone):
    phone.goto(live_server.url + "/tableau-de-bord/")
    summaries = phone.locator("details.commitment-details > summary")
    assert summaries.count() == 4
    first = summaries.first
    text = first.inner_text()
    assert text.startswith("Objectifs opérationnels sans pilote : ")
    assert "(les 100 premiers listés)" in text
    details = phone.locator("details.commitment-details").first
    links = details.locator("a")
    assert not links.first.is_visible()
    # Reached with Tab from the last link before it (the table by territory and thematic; no
    # update yet: the progress chart has no data table), opened with Enter, closed with Space.
    phone.locator(".matrix a").last.focus()
    phone.keyboard.press("Tab")
    assert phone.evaluate(
        "document.activeElement === document.querySelector('.commitment-details > summary')"
    )
    phone.keyboard.press("Enter")
    assert details.evaluate("d => d.open") is True
    assert links.count() == 100 and links.first.is_visible()
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.closest('details') !== null")
    first.focus()
    phone.keyboard.press("Space")
    assert details.evaluate("d => d.open") is False
    assert not links.first.is_visible()


def test_wide_tables_keep_their_first_column(live_server, seeded, phone):
    phone.goto(live_server.url + "/tableau-de-bord/")
    boxes = phone.locator(".table-scroll")
    assert boxes.count() >= 3
    for i in range(boxes.count()):
        box = boxes.nth(i)
        if not box.is_visible():
            continue  # folded in a <details>
        moved = box.evaluate(
            """box => {
                const header = box.querySelector("tbody th");
                const caption = box.querySelector("caption").getBoundingClientRect();
                const before = header.getBoundingClientRect().left;
                box.scrollLeft = 300;
                const scrolled = box.scrollLeft;
                const after = header.getBoundingClientRect().left;
                const captionAfter = box.querySelector("caption").getBoundingClientRect();
                const frame = box.getBoundingClientRect();
                box.scrollLeft = 0;
                return {scrolled, before, after, caption: [caption.left, caption.right],
                        captionAfter: [captionAfter.left, captionAfter.right],
                        frame: [frame.left, frame.right]};
            }"""
        )
        assert moved["scrolled"] > 0, "the table does not scroll in its box"
        assert abs(moved["after"] - moved["before"]) <= 1, moved
        # The caption stays whole in view, wrapped to the box.
        assert moved["captionAfter"] == moved["caption"], moved
        assert moved["frame"][0] - 1 <= moved["caption"][0], moved
        assert moved["caption"][1] <= moved["frame"][1] + 1, moved


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["375", "1280"])
def test_no_accessibility_violation(live_server, reported, browser, viewport):
    context = browser.new_context(locale="fr-FR", viewport=viewport, bypass_csp=True)
    page = context.new_page()
    try:
        for path in ("/tableau-de-bord/", "/tableau-de-bord/grigny/", "/thematiques/emploi/"):
            page.goto(live_server.url + path)
            for summary in page.locator("details > summary").all():
                summary.click()  # the folded lists too
            assert axe_violations(page, tags=WCAG) == [], path
    finally:
        context.close()
