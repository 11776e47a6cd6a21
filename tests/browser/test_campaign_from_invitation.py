"""A campaign from the lead's invitation to the campaign's PDF report, in a real headless
Chromium (issue #14's end-to-end path): agglomeration staff log in on the portal and invite a
Grigny lead; the invitation email (sent by the job queue) holds a one-time link; the lead
follows it, chooses a password, logs in, sees the open campaign and what is left on /suivi/,
records an update from the campaign's page; staff see the completion rise, close the campaign; the
campaign's PDF holds the lead's answer. axe-core (WCAG 2.1 A/AA) finds no violation on the pages
of the path. (Each part in detail: test_accounts_browser.py and test_campaigns_browser.py.)
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from commitments.selectors.rollups import leaves
from territories.models import Territory
from territories.roles import AGGLOMERATION_GROUP
from tests import factories
from tests.browser.chromium import WCAG, axe_violations
from tests.support.admin import ensure_groups
from tests.support.campaigns import days_ago, new_campaign
from tests.support.jobs import run_jobs
from tests.support.pdf import pdf_text, squeeze

pytestmark = pytest.mark.browser

STAFF_PASSWORD = "Agent-de-l-agglo-2026"
LEAD_PASSWORD = "Lavande-et-Cerisier-2026"
ANSWER = "Chantier « insertion » lancé & suivi"


def new_page(browser):
    # bypass_csp lets axe-core be injected (the site's CSP rightly refuses foreign scripts).
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    context.set_default_timeout(15_000)
    return context.new_page()


def no_violation(page):
    assert axe_violations(page, tags=WCAG) == [], page.url


def log_in(page, url, username, password):
    page.goto(f"{url}/compte/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_invited_lead_reports_for_the_campaign_and_staff_close_it(
    seeded, live_server, browser, settings, fast_password_hasher
):
    from playwright.sync_api import expect

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    url = live_server.url
    ensure_groups()  # the flush of transactional tests removed the migration's groups
    staff = factories.UserFactory(username="agent-agglo", is_staff=True, first_name="Léa")
    staff.groups.add(Group.objects.get(name=AGGLOMERATION_GROUP))
    staff.set_password(STAFF_PASSWORD)
    staff.save()
    grigny = Territory.objects.get(slug="grigny")
    campaign_ = new_campaign(staff, [grigny], title="Revue de projet 2026", period_end=days_ago(0))
    total = sum(queryset.for_territory(grigny).count() for queryset in leaves())

    # Staff invite the lead.
    staff_page = new_page(browser)
    log_in(staff_page, url, "agent-agglo", STAFF_PASSWORD)
    staff_page.goto(f"{url}/compte/invitations/")
    no_violation(staff_page)
    staff_page.get_by_label("Adresse électronique").fill("lea.martin@ville-grigny.fr")
    staff_page.get_by_label("Prénom").fill("Léa")
    staff_page.locator("#id_last_name").fill("Martin")
    staff_page.get_by_label("Grigny").check()
    staff_page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(staff_page.locator("body")).to_contain_text(
        "Invitation envoyée à lea.martin@ville-grigny.fr"
    )

    # The email goes out through the queue; the lead follows its link and chooses a password.
    run_jobs()
    (message,) = [m for m in mail.outbox if "lea.martin@ville-grigny.fr" in m.to]
    (link,) = re.findall(r"(https?://\S+/compte/bienvenue/\S+)", message.body)
    lead_page = new_page(browser)
    lead_page.goto(link)
    no_violation(lead_page)
    lead_page.locator("#id_new_password1").fill(LEAD_PASSWORD)
    lead_page.locator("#id_new_password2").fill(LEAD_PASSWORD)
    lead_page.get_by_role("button", name="Enregistrer le mot de passe").click()
    lead_page.wait_for_url(f"{url}/suivi/")  # logged in at once

    # The lead sees the campaign and what is left, and answers from the campaign's page.
    banner = lead_page.locator(".round-open", has_text="Revue de projet 2026")
    expect(banner).to_contain_text(f"{total} engagements sur {total} restent à renseigner")
    no_violation(lead_page)
    banner.get_by_role("link", name="Voir l'avancement de la campagne").click()
    lead_page.wait_for_url(url + campaign_.get_absolute_url())
    no_violation(lead_page)
    # The lead answers on the campaign's answer sheet (views/answer_sheet.py), in place.
    row = lead_page.locator("[data-sheet-row][data-missing]").first
    row.locator("select[name=status]").select_option("en_cours")
    row.locator("input[name=progress]").fill("30")
    row.locator("textarea[name=comment]").fill(ANSWER)
    row.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(lead_page.locator(".round-summary")).to_contain_text(
        f"{total - 1} engagements sur {total}"
    )
    lead_page.context.close()

    # Staff see the completion rise and close the campaign.
    staff_page.goto(url + campaign_.get_absolute_url())
    expect(staff_page.locator(".round-summary")).to_contain_text(
        f"{total - 1} engagements sur {total}"
    )
    no_violation(staff_page)
    staff_page.check("#confirmer")
    staff_page.get_by_role("button", name="Clôturer la campagne").click()
    expect(staff_page.locator(".messages")).to_contain_text(f"les chiffres de {total} engagements")

    # The campaign's PDF report holds the answer.
    pdf_url = f"{url}/suivi/campagnes/{campaign_.pk}/grigny/bilan.pdf"
    response = staff_page.request.get(pdf_url)
    if response.status == 503:  # being rendered by a worker: run the queue, ask again
        run_jobs()
        response = staff_page.request.get(pdf_url)
    assert response.status == 200
    text = squeeze(pdf_text(response.body()))
    assert squeeze(ANSWER) in text
    assert (
        squeeze(f"1 engagement renseigné sur {total}") in text
        or squeeze(f"1 engagements renseignés sur {total}") in text
    )
    staff_page.context.close()
