"""Two-factor authentication in a real headless Chromium (the `browser` fixture:
tests/conftest.py): an agglomeration agent, for whom it is required, logs in, is sent to the
enrolment page, adds the secret shown to their "app" (computed here from the key on the page),
gets their recovery codes, logs out and in again with a wrong then a right code. axe-core
(WCAG 2.1 A and AA) reports no violation on the enrolment, recovery-code and code pages, with
or without an error. (The flow through the test client: tests/territories/test_two_factor.py.)
"""

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.chromium import WCAG, axe_violations
from tests.support.admin import make_user
from tests.support.two_factor import PASSWORD, as_if_time_passed

pytestmark = pytest.mark.browser

USERNAME = "agent-agglo-2fa"


@pytest.fixture
def browser_page(browser):
    # bypass_csp lets axe-core be injected (the site's CSP rightly refuses foreign scripts).
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def app_code(secret, steps=0):
    """What an authenticator app shows for the secret the page gave (base32, in groups)."""
    key = b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key, drift=steps):06d}"


def no_violations(page):
    assert axe_violations(page, tags=WCAG) == [], page.url


def test_enrol_then_log_in_with_a_code(
    transactional_db, live_server, browser_page, settings, fast_password_hasher
):
    settings.OTP_REQUIRED_FOR_AGGLOMERATION = True
    make_user("agglomeration", username=USERNAME)
    page, url = browser_page, live_server.url
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The password first; required and not enrolled: the enrolment page, before any admin page.
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{url}/compte/double-authentification/?next=%2Fadmin%2F")
    assert page.title().startswith("Activer la double authentification")
    qr = page.get_by_role("img", name=re.compile("QR code à scanner"))
    assert qr.evaluate("img => img.complete && img.naturalWidth") > 100
    no_violations(page)

    # The app: the secret typed by hand. A wrong code first, then the app's.
    secret = page.locator(".totp-secret code").inner_text()
    page.get_by_label("Code à 6 chiffres").fill("000000" if app_code(secret) != "000000" else "1")
    page.get_by_role("button", name="Activer la double authentification").click()
    page.wait_for_load_state()
    assert page.title().startswith("Erreur — ")
    assert page.evaluate("document.activeElement.id") == "erreurs"  # the summary has focus
    no_violations(page)
    as_if_time_passed(TOTPDevice.objects.get(user__username=USERNAME))
    page.get_by_label("Code à 6 chiffres").fill(app_code(secret))
    page.get_by_role("button", name="Activer la double authentification").click()
    page.wait_for_load_state()

    # The recovery codes, once.
    assert page.title().startswith("Vos codes de secours")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    no_violations(page)
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    page.wait_for_url(f"{url}/admin/")
    assert page.get_by_role("link", name="Double authentification").count() == 1

    # Log out, and in again: the code page after the password.
    page.locator("#logout-form button").click()
    page.wait_for_load_state()
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{url}/compte/connexion/code/?next=%2Fadmin%2F")
    assert page.evaluate("document.activeElement.name") == "code"
    no_violations(page)
    page.get_by_label("Code de vérification").fill("abcdefgh")
    page.get_by_role("button", name="Vérifier le code").click()
    page.wait_for_load_state()
    assert "Ce code n'est pas valable" in page.locator("#erreurs").inner_text()
    no_violations(page)
    as_if_time_passed(TOTPDevice.objects.get(user__username=USERNAME))
    page.get_by_label("Code de vérification").fill(app_code(secret))
    page.get_by_role("button", name="Vérifier le code").click()
    page.wait_for_url(f"{url}/admin/")
    assert errors == []
