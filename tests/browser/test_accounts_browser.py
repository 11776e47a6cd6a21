"""The account pages in a real headless Chromium (the `browser` fixture: tests/conftest.py).

Agglomeration staff log in at /compte/connexion/ and invite a Grigny lead; the invitation's
email (run by the job queue) holds the link; the lead opens it, chooses a password (a weak one
first), is logged in at once in the tracking space (/suivi/, the header naming them), then their
account page, and logs out from the header. axe-core
(WCAG 2.1 A and AA) reports no violation on any of these pages, with and without errors, and
none scrolls sideways at 375 px. (The same flows through the test client:
tests/territories/test_accounts.py.)
"""

import re

import pytest
from django.core import mail

from tests.browser.chromium import no_violations_wide_and_narrow as check
from tests.support.admin import grigny, make_user
from tests.support.jobs import run_jobs
from tests.support.two_factor import PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Lavande-et-Cerisier-2026"


@pytest.fixture
def context(browser):
    # bypass_csp lets axe-core be injected (the site's CSP rightly refuses foreign scripts).
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_staff_invite_a_lead_who_chooses_a_password_and_reports(
    transactional_db, live_server, context, settings, fast_password_hasher
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    staff = make_user("agglomeration", username="agent-invitant")
    grigny()
    url = live_server.url
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Staff log in on the portal's page, then invite.
    page.goto(f"{url}/compte/connexion/")
    assert page.title().startswith("Connexion")
    check(page)
    page.get_by_label("Identifiant").fill(staff.username)
    page.get_by_label("Mot de passe").fill("mauvais")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert page.title().startswith("Erreur — ")
    assert page.evaluate("document.activeElement.id") == "erreurs"
    check(page)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{url}/admin/")

    page.goto(f"{url}/compte/invitations/")
    check(page)
    page.get_by_role("button", name="Envoyer l'invitation").click()  # empty: errors
    page.wait_for_load_state()
    assert (
        "Saisissez l'adresse électronique du chef de projet."
        in page.locator("#erreurs").inner_text()
    )
    check(page)
    page.get_by_label("Adresse électronique").fill("lea.martin@ville-grigny.fr")
    page.get_by_label("Prénom").fill("Léa")
    page.locator("#id_last_name").fill("Martin")
    page.get_by_label("Grigny").check()
    page.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_load_state()
    assert "Invitation envoyée à lea.martin@ville-grigny.fr" in page.content()
    check(page)

    # The email, sent by the job queue.
    run_jobs()
    (message,) = mail.outbox
    (link,) = re.findall(r"(https?://\S+/compte/bienvenue/\S+)", message.body)

    # The lead, in another browser session.
    lead = context.browser.new_context(locale="fr-FR", bypass_csp=True)
    lead_page = lead.new_page()
    lead_page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        lead_page.goto(link)
        assert lead_page.title().startswith("Bienvenue : choisir votre mot de passe")
        assert lead_page.url.endswith("/set-password/")  # the token left the address
        check(lead_page)
        lead_page.locator("#id_new_password1").fill("123")
        lead_page.locator("#id_new_password2").fill("123")
        lead_page.get_by_role("button", name="Enregistrer le mot de passe").click()
        lead_page.wait_for_load_state()
        assert lead_page.title().startswith("Erreur — ")
        check(lead_page)
        lead_page.locator("#id_new_password1").fill(NEW_PASSWORD)
        lead_page.locator("#id_new_password2").fill(NEW_PASSWORD)
        lead_page.get_by_role("button", name="Enregistrer le mot de passe").click()
        # Logged in at once, in the tracking space; the header says who.
        lead_page.wait_for_url(f"{url}/suivi/")
        assert "Votre mot de passe est enregistré" in lead_page.content()
        assert lead_page.locator(".account-bar__who").inner_text().endswith("Léa Martin")
        check(lead_page)

        lead_page.goto(f"{url}/compte/")
        assert lead_page.title().startswith("Mon compte")
        check(lead_page)
        lead_page.get_by_label("Rappels des campagnes de suivi").uncheck()
        lead_page.get_by_role("button", name="Enregistrer mes préférences").click()
        lead_page.wait_for_load_state()
        assert "Vos préférences de notification sont enregistrées." in lead_page.content()
        assert not lead_page.get_by_label("Rappels des campagnes de suivi").is_checked()
        lead_page.goto(f"{url}/compte/mot-de-passe/")
        check(lead_page)
        # « Se déconnecter » in the header, by keyboard.
        lead_page.set_viewport_size({"width": 375, "height": 700})
        header = lead_page.locator(".site-header").bounding_box()
        assert header["height"] < 220, header
        logout = lead_page.locator(".account-bar__logout")
        logout.focus()
        lead_page.keyboard.press("Enter")
        lead_page.wait_for_url(f"{url}/")
        assert lead_page.locator(".account-bar").count() == 0
    finally:
        lead.close()
    assert errors == []


def test_forgotten_password_pages(transactional_db, live_server, context):
    page = context.new_page()
    url = live_server.url
    page.goto(f"{url}/compte/mot-de-passe-oublie/")
    check(page)
    page.get_by_role("button", name="Recevoir le lien").click()
    page.wait_for_load_state()
    assert page.title().startswith("Erreur — ")
    check(page)
    page.get_by_label("Adresse électronique").fill("personne@example.org")
    page.get_by_role("button", name="Recevoir le lien").click()
    page.wait_for_url(f"{url}/compte/mot-de-passe-oublie/envoye/")
    check(page)
    page.goto(f"{url}/compte/mot-de-passe-oublie/MQ/mauvais-jeton/")
    assert "Ce lien n'est plus valable" in page.content()
    check(page)
