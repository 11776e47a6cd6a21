"""Debian's Chromium driven by Playwright, as every browser test launches it (through the
`browser` fixture of tests/conftest.py, which fails when Chromium is not installed)."""

import os
from contextlib import contextmanager

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
