"""The portal in a real headless Chromium: a reader's path, and axe-core's accessibility checks.

Needs Debian's chromium (the `browser` fixture: tests/conftest.py) and `npm ci` (axe-core); both
are installed by `make test`. Either missing fails the tests.
"""

import re

import pytest

from tests.browser.chromium import axe_violations
from tests.support.seed import first_grigny_action

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    # bypass_csp lets the test inject axe-core: the site's CSP rightly forbids foreign scripts.
    context = browser.new_context(
        locale="fr-FR", bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def search_words(text, count=3):
    words = [word for word in re.findall(r"\w+", text) if len(word) >= 5 and word.isalpha()]
    return " ".join(words[:count])


def test_from_home_to_a_grigny_action_and_back_through_search(live_server, seeded, page):
    from playwright.sync_api import expect

    action = first_grigny_action()
    assert action is not None, "the Grigny seed has no action"
    anchor = f"#{action.anchor}"
    words = search_words(action.text)

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Grigny", exact=True).click()
    expect(page).to_have_url(re.compile(r"/territoires/grigny/$"))
    expect(page.locator("h1")).to_contain_text("Grigny")
    expect(page.locator(anchor)).to_contain_text(words.split()[0])

    page.go_back()
    page.get_by_label("Rechercher un engagement").fill(words)
    page.get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(r"/engagements/\?q="))
    page.get_by_label("Grigny", exact=True).check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    expect(page.get_by_role("link", name="Retirer le filtre Territoire : Grigny")).to_be_visible()

    page.locator(f'.result-list a[href$="{anchor}"]').first.click()
    expect(page).to_have_url(re.compile(rf"/territoires/grigny/{anchor}$"))
    expect(page.locator(anchor)).to_be_in_viewport()


def test_no_serious_accessibility_violation(live_server, seeded, page):
    pages = ["/", "/territoires/grigny/", "/engagements/?q=emploi&territoire=grigny"]
    for path in pages:
        response = page.goto(live_server.url + path)
        assert response.status == 200
        # The stylesheet is served (contrast checks are meaningless without it).
        header = page.eval_on_selector(
            ".site-header", "element => getComputedStyle(element).backgroundColor"
        )
        assert header == "rgb(7, 50, 75)"
        violations = axe_violations(page)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{path}: {serious}"
