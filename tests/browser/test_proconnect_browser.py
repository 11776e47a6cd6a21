"""Sign in with ProConnect in a real headless Chromium (the `browser` fixture: tests/conftest.py)
against a real OpenID Connect provider on the loopback (tests/support/proconnect.py, registered
for the live server's address): an invited Grigny lead clicks « S'identifier avec ProConnect »,
signs in on the provider's page and lands on /suivi/, signed in; logging out goes through
ProConnect's logout back to the home page, after which ProConnect asks to sign in again. This
flow runs under the site's Content Security Policy (browsers check form-action on the redirect
that follows the button's and the logout's forms). An agent without an account sees the page
explaining that an invitation is needed. axe-core (WCAG 2.1 A and AA, injected with the CSP
bypassed) reports no violation on the login pages with the button (the portal's and the
admin's), nor on the refusal page, at 1,280 and 375 px. (The same flows through the test
client, with every refusal: tests/territories/proconnect/test_pages.py.)
"""

import copy

import pytest

from perer.env import proconnect_form_action
from territories.models import ProConnectLink
from tests.browser.chromium import no_violations_wide_and_narrow as check
from tests.support.admin import grigny, make_user
from tests.support.proconnect import running_provider

pytestmark = pytest.mark.browser

EMAIL = "lea.martin@ville-grigny.fr"


@pytest.fixture(scope="module")
def live_provider(live_server):
    with running_provider([live_server.url]) as provider:
        yield provider


@pytest.fixture
def proconnect_live(live_provider, settings):
    """ProConnect configured for the live server, and the CSP as perer/settings.py makes it."""
    live_provider.reset()
    settings.PROCONNECT = live_provider.settings()
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = ["'self'", *proconnect_form_action(settings.PROCONNECT)]
    settings.CONTENT_SECURITY_POLICY = policy
    return live_provider


def new_page(browser, bypass_csp):
    context = browser.new_context(locale="fr-FR", bypass_csp=bypass_csp)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(browser):
    """A page under the site's CSP."""
    context, page = new_page(browser, bypass_csp=False)
    yield page
    context.close()


@pytest.fixture
def axe_page(browser):
    """A page where axe-core can be injected (the site's CSP rightly refuses foreign scripts)."""
    context, page = new_page(browser, bypass_csp=True)
    yield page
    context.close()


def sign_in_at_provider(page, email):
    page.get_by_role("button", name="S'identifier avec ProConnect").click()
    page.wait_for_url("**/interaction/**")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_role("button", name="Se connecter").click()


def test_an_invited_lead_signs_in_with_proconnect_and_out(
    transactional_db, live_server, proconnect_live, page, fast_password_hasher
):
    lead = make_user("grigny_lead", username=EMAIL)  # invited: the account exists
    lead.email = EMAIL
    lead.save()
    grigny()
    url = live_server.url
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text))  # CSP violations among them

    page.goto(f"{url}/compte/connexion/")
    link = page.get_by_role("link", name="Qu'est-ce que ProConnect ?")
    assert link.get_attribute("href") == "https://www.proconnect.gouv.fr/"
    sign_in_at_provider(page, EMAIL)
    page.wait_for_url(f"{url}/suivi/")
    assert ProConnectLink.objects.filter(user__username=EMAIL).exists()
    page.goto(f"{url}/compte/")
    assert "Votre compte est relié à votre identité ProConnect" in page.content()

    # Logout: ProConnect's logout page, then the home page; both sessions are over.
    page.get_by_role("banner").get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/session/end**")
    page.get_by_role("button", name="Se déconnecter").click()  # the provider's page
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/suivi/")
    page.wait_for_url(f"{url}/compte/connexion/?next=/suivi/")
    page.get_by_role("button", name="S'identifier avec ProConnect").click()
    page.wait_for_url("**/interaction/**")  # ProConnect asks again: its session ended
    assert errors == []


def test_the_pages_with_the_button_and_the_refusal_are_accessible(
    transactional_db, live_server, proconnect_live, axe_page
):
    page = axe_page
    page.goto(f"{live_server.url}/compte/connexion/")
    button = page.get_by_role("button", name="S'identifier avec ProConnect")
    assert button.is_visible()
    # The focus is visible on the button (the site's outline).
    page.keyboard.press("Tab")
    button.focus()
    assert button.evaluate("b => getComputedStyle(b).outlineStyle") != "none"
    check(page)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    check(page)
    sign_in_at_provider(page, "agent.inconnu@ville-exemple.fr")
    page.wait_for_url(f"{live_server.url}/compte/proconnect/retour/**")
    assert page.title().startswith("Connexion avec ProConnect refusée")
    assert "invitation de l'agglomération" in page.content()
    check(page)
