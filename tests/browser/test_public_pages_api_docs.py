"""/api/docs/ (Swagger UI) in Debian's Chromium: axe-core finds no violation of WCAG 2.1 A/AA
on the page as it opens, at 1,280 and 375 px, and no serious or critical one once an operation
is opened. Before: 21 color-contrast, 1 html-has-lang, 18 nested-interactive (the deep links
inside each operation's button); an opened operation added an unnamed select and a code
example that scrolls without being focusable (named and made focusable by
static/api_docs/api_docs.js)."""

import pytest

from tests.browser.chromium import CSP_LISTENER, WCAG, axe_violations

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 375])
def test_no_accessibility_violation(live_server, seeded, browser, width):
    from playwright.sync_api import expect

    context = browser.new_context(
        locale="fr-FR", viewport={"width": width, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        assert page.goto(live_server.url + "/api/docs/").status == 200
        expect(page.locator(".opblock").first).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == "fr"
        assert axe_violations(page, tags=WCAG) == []
        # An operation opened by keyboard: its parameters, its example.
        page.locator(".opblock-summary-control").first.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".opblock-body .parameters").first).to_be_visible()
        expect(page.locator(".opblock-body .microlight[tabindex='0']").first).to_be_attached()
        violations = axe_violations(page)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


def test_the_helper_script_runs_under_the_csp(live_server, seeded, browser):
    from playwright.sync_api import expect

    context = browser.new_context(locale="fr-FR")
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/api/docs/")
        page.locator(".opblock-summary-control").first.click()
        select = page.locator(".parameters-col_description select").first
        name = select.evaluate("s => s.closest('tr').dataset.paramName")
        expect(select).to_have_attribute("aria-label", f"Valeur du paramètre {name}")
        assert page.evaluate("window.__violations") == []
    finally:
        context.close()
