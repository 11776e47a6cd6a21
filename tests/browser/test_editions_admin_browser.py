"""Publishing an edition in the admin (commitments/admin/edition_admin.py), in Debian's
Chromium as an agglomeration agent: axe-core (WCAG 2.1 A/AA) finds no violation on the list,
an edition's page, the form, the preview and the result, nothing scrolls sideways at 1,280 px;
the whole flow works with the keyboard alone; the pages break no rule of the admin's CSP."""

import pytest
from django.contrib.auth import SESSION_KEY

from commitments.models import Action, Edition, Protocol
from tests.browser.chromium import CSP_LISTENER, WCAG, axe_violations
from tests.support.admin import client_for, make_user

pytestmark = pytest.mark.browser

WIDE = 1280


@pytest.fixture
def agent(seeded, fast_password_hasher):
    action = (
        Action.objects.filter(
            operational_objective__strategic_objective__section__protocol__territory__slug="grigny"
        )
        .in_document_order()
        .first()
    )
    action.text = "Un texte réécrit « avant l'avenant »"
    action.save()
    return make_user("agglomeration", username="agent-editions")


def staff_page(browser, live_server, user, bypass_csp=True):
    client = client_for(user)
    assert client.session[SESSION_KEY] == str(user.pk)
    context = browser.new_context(
        locale="fr-FR", bypass_csp=bypass_csp, viewport={"width": WIDE, "height": 900}
    )
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context.new_page()


def problems(page):
    """Serious or critical axe violations, and sideways scrolling (pixels)."""
    violations = [
        f"{v['id']} ({v['impact']}) {v['targets']}"
        for v in axe_violations(page, tags=WCAG)
        if v["impact"] in ("critical", "serious")
    ]
    extra = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return violations, extra


def press_tab_to(page, locator, limit=150):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => document.activeElement === element"):
            return
    raise AssertionError(f"{locator} cannot be reached with Tab")


def test_publish_by_keyboard_with_no_violation(live_server, browser, agent):
    grigny = Protocol.objects.get(territory__slug="grigny")
    page = staff_page(browser, live_server, agent)
    found = {}

    page.goto(f"{live_server.url}/admin/commitments/edition/")
    found["liste"] = problems(page)
    page.goto(
        f"{live_server.url}/admin/commitments/edition/"
        f"{Edition.objects.for_protocol(grigny).get().pk}/change/"
    )
    found["édition"] = problems(page)

    page.goto(f"{live_server.url}/admin/commitments/edition/")
    publish_link = page.get_by_role("link", name="Publier une nouvelle édition")
    press_tab_to(page, publish_link)
    page.keyboard.press("Enter")
    page.wait_for_url("**/publier/")
    found["formulaire"] = problems(page)

    press_tab_to(page, page.get_by_label("Protocole"))
    page.get_by_label("Protocole").select_option(str(grigny.pk))
    press_tab_to(page, page.get_by_label("Titre de l'édition"))
    page.keyboard.type("Avenant n° 1")
    press_tab_to(page, page.get_by_label("Référence de la délibération"))
    page.keyboard.type("Del 2024 0042")
    press_tab_to(page, page.get_by_role("button", name="Voir l'aperçu"))
    page.keyboard.press("Enter")
    page.wait_for_selector("#apercu-titre")
    assert "modifié : 1" in page.inner_text(".edition-preview-counts")
    assert "« avant l'avenant »" in page.inner_text(".edition-preview-changes")
    found["aperçu"] = problems(page)

    press_tab_to(page, page.get_by_role("button", name="Publier l'édition 2"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/change/")
    assert "est publiée" in page.inner_text(".messagelist")
    found["publiée"] = problems(page)
    page.context.close()

    edition = Edition.objects.for_protocol(grigny).numbered(2).get()
    assert (edition.title, edition.published_by) == ("Avenant n° 1", agent)
    assert found == dict.fromkeys(found, ([], 0)), found


def test_no_csp_violation(live_server, browser, agent):
    grigny = Protocol.objects.get(territory__slug="grigny")
    page = staff_page(browser, live_server, agent, bypass_csp=False)
    page.goto(f"{live_server.url}/admin/commitments/edition/publier/?protocole={grigny.pk}")
    page.get_by_label("Titre de l'édition").fill("Avenant n° 1")
    page.get_by_role("button", name="Voir l'aperçu").click()
    page.wait_for_selector("#apercu-titre")
    assert page.evaluate("() => window.__violations") == []
    page.context.close()
