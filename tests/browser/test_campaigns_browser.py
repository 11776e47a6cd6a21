"""Campaigns in a real headless Chromium (the `browser` fixture: tests/conftest.py):
axe-core (WCAG 2.1 A and AA) on every campaign page at 1280 and 375 px, where no page may scroll
sideways — the list, an open campaign as staff and as a lead, a closed campaign, a territory's
missing list, the open campaign on /suivi/, the dashboard with the last closed campaign, the
admin's confirmation —, staff closing a campaign by keyboard from its page, opening a territory's
folded missing list by keyboard (loaded in place) and reminding late leads by keyboard.

Needs Debian's chromium and `npm ci` (axe-core); both are installed by `make test`.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from commitments.enums import Status
from commitments.models import Action, Campaign
from commitments.selectors.rollups import leaves
from commitments.services.campaign_lifecycle import close_campaign
from territories.models import Territory
from territories.roles import AGGLOMERATION_GROUP
from tests import factories
from tests.browser.chromium import CSP_LISTENER, WCAG, axe_violations
from tests.support.admin import ensure_groups
from tests.support.campaigns import days_ago, lead_of, new_campaign, report_in_period

pytestmark = pytest.mark.browser

PASSWORD = "mot-de-passe-du-test"
WIDE, NARROW = 1280, 375


@pytest.fixture
def campaigns(seeded, fast_password_hasher):
    ensure_groups()  # the flush of transactional tests removed the migration's groups
    staff = factories.UserFactory(username="agent-agglo", is_staff=True, first_name="Léa")
    staff.groups.add(Group.objects.get(name=AGGLOMERATION_GROUP))
    grigny = Territory.objects.get(slug="grigny")
    evry = Territory.objects.get(slug="evry-courcouronnes")
    lead = lead_of(grigny, "cheffe-grigny")
    for user in (staff, lead):
        user.set_password(PASSWORD)
        user.save()
    for action in list(Action.objects.for_territory(grigny).in_document_order())[:5]:
        report_in_period(action, Status.IN_PROGRESS, 40, comment="Point « <b>» & co", author=lead)
    open_ = new_campaign(staff, [grigny, evry], title="Campagne <2026>")
    closed = new_campaign(staff, [grigny], title="Campagne 2025", opens_on=days_ago(30))
    close_campaign(closed, staff)
    return {"open": open_, "closed": closed}


def new_page(browser, width, *, for_axe=True):
    context = browser.new_context(
        locale="fr-FR", bypass_csp=for_axe, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_LISTENER)
    return context.new_page()


def log_in(page, url, username, next_path="/suivi/"):
    page.goto(f"{url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{url}{next_path}")


def check_page(page, what, width, response):
    assert response.status == 200, what
    violations = axe_violations(page, tags=WCAG)
    assert violations == [], f"{what} at {width} px: {violations}"
    if width == NARROW:
        widths = page.evaluate(
            "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"{what} scrolls sideways at 375 px: {widths}"


def test_every_campaign_page_passes_axe_at_1280_and_375_px(live_server, campaigns, browser):
    url = live_server.url
    staff_pages = {
        "the list": "/suivi/campagnes/",
        "an open campaign": campaigns["open"].get_absolute_url(),
        "a closed campaign": campaigns["closed"].get_absolute_url(),
        "a territory's missing list": reverse(
            "campaign_missing", args=[campaigns["open"].pk, "grigny"]
        ),
        "the lead space with the open campaign": "/suivi/",
        "the admin's confirmation": reverse(
            "admin:commitments_campaign_close", args=[campaigns["open"].pk]
        ),
    }
    lead_pages = {
        "the lead's list": "/suivi/campagnes/",
        "the lead's open campaign": campaigns["open"].get_absolute_url(),
        "the lead's space": "/suivi/",
    }
    for width in (WIDE, NARROW):
        page = new_page(browser, width)
        log_in(page, url, "agent-agglo")
        for what, path in staff_pages.items():
            check_page(page, what, width, page.goto(url + path))
        page.context.close()
        page = new_page(browser, width)
        log_in(page, url, "cheffe-grigny")
        for what, path in lead_pages.items():
            check_page(page, what, width, page.goto(url + path))
        assert "Évry" not in page.locator("main").inner_text()
        page.context.close()
        page = new_page(browser, width)
        check_page(page, "the dashboard", width, page.goto(url + "/tableau-de-bord/"))
        assert "Dernière campagne de suivi clôturée" in page.locator("main").inner_text()
        page.context.close()


def test_staff_close_a_campaign_by_keyboard(live_server, campaigns, browser):
    from playwright.sync_api import expect

    url = live_server.url
    page = new_page(browser, WIDE, for_axe=False)
    log_in(page, url, "agent-agglo", next_path=campaigns["open"].get_absolute_url())
    expect(page.locator(".round-summary")).to_contain_text("restent à renseigner")
    checkbox = page.locator("#confirmer")
    for _ in range(400):
        page.keyboard.press("Tab")
        if checkbox.evaluate("element => document.activeElement === element"):
            break
    else:
        raise AssertionError("the confirmation cannot be reached with Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("est clôturée")
    assert Campaign.objects.get(pk=campaigns["open"].pk).is_closed
    assert page.evaluate("window.__violations") == []  # the site's CSP held
    page.context.close()


def test_a_campaign_from_opening_to_its_closed_report(live_server, campaigns, browser):
    """The lead sees the campaign and what is left, answers a missing commitment from the campaign's
    page; staff see the completion rise, close the campaign; its PDF holds the answer."""
    from playwright.sync_api import expect

    from tests.support.pdf import pdf_text, squeeze

    url = live_server.url
    staff = Campaign.objects.get(pk=campaigns["open"].pk).created_by
    grigny = Territory.objects.get(slug="grigny")
    campaign_ = new_campaign(staff, [grigny], title="Revue de projet", period_end=days_ago(0))
    total = sum(queryset.for_territory(grigny).count() for queryset in leaves())
    left = total - 5

    page = new_page(browser, WIDE, for_axe=False)
    log_in(page, url, "cheffe-grigny")
    banner = page.locator(".round-open", has_text="Revue de projet")
    expect(banner).to_contain_text(f"{left} engagements sur {total} restent à renseigner")
    banner.get_by_role("link", name="Voir l'avancement de la campagne").click()
    page.wait_for_url(url + campaign_.get_absolute_url())
    # The lead answers on the campaign's answer sheet (views/answer_sheet.py), in place.
    row = page.locator("[data-sheet-row][data-missing]").first
    row.locator("select[name=status]").select_option("en_cours")
    row.locator("input[name=progress]").fill("30")
    row.locator("textarea[name=comment]").fill("Réponse « campagne » & suite")
    row.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".round-summary")).to_contain_text(f"{left - 1} engagements sur {total}")
    assert page.evaluate("window.__violations") == []
    page.context.close()

    page = new_page(browser, WIDE, for_axe=False)
    log_in(page, url, "agent-agglo", next_path=campaign_.get_absolute_url())
    expect(page.locator(".round-summary")).to_contain_text(f"{left - 1} engagements sur {total}")
    page.check("#confirmer")
    page.get_by_role("button", name="Clôturer la campagne").click()
    expect(page.locator(".messages")).to_contain_text(f"les chiffres de {total} engagements")
    response = page.request.get(f"{url}/suivi/campagnes/{campaign_.pk}/grigny/bilan.pdf")
    assert response.status == 200
    text = squeeze(pdf_text(response.body()))
    assert squeeze("Réponse « campagne » & suite") in text
    assert squeeze(f"{total - left + 1} engagements renseignés sur {total}") in text
    page.context.close()


def test_staff_open_a_territory_and_remind_by_keyboard(live_server, campaigns, browser):
    from django_tasks_db.models import DBTaskResult
    from playwright.sync_api import expect

    url = live_server.url
    for width in (WIDE, NARROW):
        page = new_page(browser, width)
        log_in(page, url, "agent-agglo", next_path=campaigns["open"].get_absolute_url())
        summary = page.locator("details.round-missing-territory summary", has_text="Grigny")
        summary.focus()
        page.keyboard.press("Enter")
        details = page.locator("details.round-missing-territory", has_text="Grigny")
        expect(details.locator(".round-missing li").first).to_be_visible()
        assert details.locator("a", has_text="restant à renseigner").count() == 1
        violations = axe_violations(page, tags=WCAG)
        assert violations == [], f"Grigny unfolded at {width} px: {violations}"
        page.context.close()
    page = new_page(browser, WIDE, for_axe=False)
    log_in(page, url, "agent-agglo", next_path=campaigns["open"].get_absolute_url())
    page.get_by_role("button", name="Relancer les retardataires").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Relance en cours d'envoi")
    assert page.evaluate("window.__violations") == []  # the site's CSP held (the script too)
    page.context.close()
    queued = DBTaskResult.objects.filter(task_path__endswith="remind_late_leads_job")
    assert queued.count() == 1  # the reminder's job, for the workers
