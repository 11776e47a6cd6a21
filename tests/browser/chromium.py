"""Debian's Chromium driven by Playwright, as every browser test launches it (through the
`browser` fixture of tests/conftest.py, which fails when Chromium is not installed)."""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
# Headless on a closed network: no sandbox (root in CI), no background calls to Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOT_INSTALLED = (
    f"{CHROMIUM} not found: Debian's chromium is not installed: run `make test` (it installs it) "
    "or `apt-get install chromium`"
)


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def orm_in_playwright_loop():
    """Playwright's sync API runs an event loop in this thread, where the tests also use the ORM
    (synchronously, on purpose). Only while the browser runs: left set, it would fail
    `check --deploy` elsewhere."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# The rules of RGAA's reference, WCAG 2.1 A and AA.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = """async ({tags, include}) => {
    const options = {resultTypes: ["violations"]};
    if (tags) options.runOnly = {type: "tag", values: tags};
    const results = await axe.run(include ? {include: include} : document, options);
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
    }));
}"""


def axe_violations(page, *, tags=None, include=None):
    """axe-core's violations on the page (every rule, or those of `tags`; the whole document,
    or the elements of the `include` selectors). The page's context needs bypass_csp=True: the
    site's CSP rightly refuses the injected script. A missing axe-core fails, never skips."""
    if not AXE.exists():
        pytest.fail(f"{AXE} not found: axe-core is not installed: run `npm ci`")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN, {"tags": tags, "include": include})


def no_violations_wide_and_narrow(page):
    """No axe violation (WCAG 2.1 A and AA), at 1,280 px and at 375 px without sideways
    scrolling; the page is left at 1,280 px."""
    assert axe_violations(page, tags=WCAG) == [], page.url
    page.set_viewport_size({"width": 375, "height": 800})
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways at 375 px"
    assert axe_violations(page, tags=WCAG) == [], f"{page.url} at 375 px"
    page.set_viewport_size({"width": 1280, "height": 800})


# Collects the page's Content Security Policy violations in window.__violations.
CSP_LISTENER = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
