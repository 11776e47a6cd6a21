"""Debian's Chromium driven by Playwright, as every browser test launches it."""

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


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
