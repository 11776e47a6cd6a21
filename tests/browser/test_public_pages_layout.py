"""No public page scrolls sideways, at 1,280 px nor on a 375 px phone: only the boxes made to
scroll (the thematic comparison, wide tables) may, inside themselves.

Measured in Debian's Chromium (the `browser` fixture: tests/conftest.py) on the seeded
protocols. Before the fix, /thematiques/emploi/ was 2,025 px wide at 1,280 px: the visually
hidden "Statut :" labels of the off-screen columns escaped the comparison's scroll box.
"""

import pytest

from commitments.models import Thematic
from territories.models import Territory

pytestmark = pytest.mark.browser

WIDTHS = (1280, 375)
# Scrollable boxes: what overflows inside them is theirs.
SCROLL_BOXES = ".compare, .table-scroll"
OVERFLOW = """(selector) => {
    const width = document.documentElement.clientWidth;
    const escaping = [...document.body.querySelectorAll("*")].filter(element => {
        if (element.closest(selector)) return false;
        const box = element.getBoundingClientRect();
        return box.width > 0 && box.right > width + 1;
    });
    return {
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: width,
        escaping: escaping.slice(0, 5).map(e => `${e.tagName}.${e.className}`),
    };
}"""


@pytest.fixture
def pages(browser):
    contexts = {}
    for width in WIDTHS:
        # bypass_csp: wait_for_function evaluates its predicate, which the site's CSP forbids.
        context = browser.new_context(
            locale="fr-FR", viewport={"width": width, "height": 900}, bypass_csp=True
        )
        context.set_default_timeout(15_000)
        contexts[width] = context
    yield {width: context.new_page() for width, context in contexts.items()}
    for context in contexts.values():
        context.close()


def public_paths():
    thematics = [
        f"/thematiques/{slug}/" for slug in Thematic.objects.values_list("slug", flat=True)
    ]
    dashboards = [
        f"/tableau-de-bord/{slug}/" for slug in Territory.objects.values_list("slug", flat=True)
    ]
    return [
        "/thematiques/",
        *thematics,
        "/tableau-de-bord/",
        *dashboards,
        "/engagements/?q=emploi",
        "/territoires/grigny/",
    ]


def test_no_page_scrolls_sideways(live_server, seeded, pages):
    paths = public_paths()
    assert len([path for path in paths if path.startswith("/thematiques/")]) == 6
    failures = []
    for width, page in pages.items():
        for path in paths:
            assert page.goto(live_server.url + path).status == 200, path
            measure = page.evaluate(OVERFLOW, SCROLL_BOXES)
            if measure["scrollWidth"] > measure["clientWidth"] or measure["escaping"]:
                failures.append((width, path, measure))
    assert failures == []


def test_the_comparison_scrolls_in_its_own_box(live_server, seeded, pages):
    """At 1,280 px the seven territories do not fit: the comparison scrolls, by keyboard too
    (it is focusable), and the page does not."""
    page = pages[1280]
    page.goto(live_server.url + "/thematiques/emploi/")
    box = page.locator(".compare")
    sizes = box.evaluate("box => [box.scrollWidth, box.clientWidth]")
    assert sizes[0] > sizes[1]
    assert box.get_attribute("tabindex") == "0"
    assert box.get_attribute("aria-label") == "Comparaison des territoires"
    box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('.compare').scrollLeft > 0")
    assert page.evaluate("document.documentElement.scrollWidth") == 1280
    assert page.evaluate("window.scrollX") == 0
