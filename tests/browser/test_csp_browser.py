"""In a real browser (the `browser` fixture: tests/conftest.py), the Content Security Policy is
enforced and nothing breaks: the portal's pages and Swagger UI run without any violation."""

from urllib.parse import urlsplit

import pytest

from tests.browser.chromium import CSP_LISTENER

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(locale="fr-FR")
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_LISTENER)
    yield context.new_page()
    context.close()


def test_pages_and_swagger_ui_work_under_the_csp(live_server, seeded, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    host = urlsplit(live_server.url).netloc
    elsewhere, errors = [], []
    page.on("request", lambda r: urlsplit(r.url).netloc in {host, ""} or elsewhere.append(r.url))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))

    for path in ["/territoires/grigny/", "/tableau-de-bord/", "/engagements/?q=emploi"]:
        assert page.goto(live_server.url + path).status == 200
        assert page.evaluate("window.__violations") == [], path

    # Swagger UI (drf-spectacular-sidecar): its scripts run, it fetches the schema and draws
    # every operation, without inline script or style and without calling any other host.
    assert page.goto(live_server.url + "/api/docs/").status == 200
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("API des engagements")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 15
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert page.evaluate("window.__violations") == []
    assert elsewhere == []
    assert errors == []

    # The listener does see violations: an inline style attribute added to a page is blocked.
    page.goto(live_server.url + "/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.__violations")[0].startswith("style-src")
