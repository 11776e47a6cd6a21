"""A lead's answer sheet in a real headless Chromium (the `browser` fixture): axe-core (WCAG 2.1
A and AA) at 1280 and 375 px without sideways scrolling, a row saved without JavaScript (the
page comes back at the row) and with it (in place, the counts updated), and the whole Grigny
campaign answered by keyboard alone — 9 commitments changed (status, progress, comment) and
50 « rien de nouveau » — counting page loads and user actions (issue #23, item 2; the figures
are printed and written down in docs/benchmarks.md).

Needs Debian's chromium and `npm ci` (axe-core); both are installed by `make test`.
"""

import pytest
from django.contrib.auth.models import Group

from commitments.enums import Status
from commitments.models import ProgressUpdate
from commitments.selectors.rollups import leaves
from territories.models import Territory
from territories.roles import AGGLOMERATION_GROUP
from tests import factories
from tests.browser.chromium import CSP_LISTENER, WCAG, axe_violations
from tests.support.admin import ensure_groups
from tests.support.campaigns import lead_of, new_campaign

pytestmark = pytest.mark.browser

PASSWORD = "mot-de-passe-du-test"
WIDE, NARROW = 1280, 375


@pytest.fixture
def campaign(seeded, fast_password_hasher):
    ensure_groups()
    staff = factories.UserFactory(username="agent-agglo", is_staff=True)
    staff.groups.add(Group.objects.get(name=AGGLOMERATION_GROUP))
    grigny = Territory.objects.get(slug="grigny")
    lead = lead_of(grigny, "cheffe-grigny")
    lead.set_password(PASSWORD)
    lead.save()
    campaign_ = new_campaign(staff, [grigny], title="Bilan annuel 2026")
    return {"campaign": campaign_, "grigny": grigny, "lead": lead}


def new_page(browser, width=WIDE, *, javascript=True, for_axe=False):
    context = browser.new_context(
        locale="fr-FR",
        bypass_csp=for_axe,
        java_script_enabled=javascript,
        viewport={"width": width, "height": 800},
    )
    context.set_default_timeout(15_000)
    if javascript:
        context.add_init_script(CSP_LISTENER)
    return context.new_page()


def log_in(page, url, next_path):
    page.goto(f"{url}/admin/login/?next={next_path}")
    page.fill("#id_username", "cheffe-grigny")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{url}{next_path}")


def grigny_count(grigny):
    return sum(queryset.for_territories([grigny.pk]).count() for queryset in leaves())


def test_the_sheet_passes_axe_at_1280_and_375_px(live_server, campaign, browser):
    path = campaign["campaign"].get_absolute_url()
    for width in (WIDE, NARROW):
        page = new_page(browser, width, for_axe=True)
        log_in(page, live_server.url, path)
        assert "vos réponses" in page.locator("h1").inner_text()
        violations = axe_violations(page, tags=WCAG)
        assert violations == [], f"at {width} px: {violations}"
        widths = page.evaluate(
            "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"the sheet scrolls sideways at {width} px: {widths}"
        page.context.close()


def test_without_javascript_a_row_posts_and_comes_back_at_the_row(live_server, campaign, browser):
    path = campaign["campaign"].get_absolute_url()
    page = new_page(browser, javascript=False)
    log_in(page, live_server.url, path)
    row = page.locator("[data-sheet-row]").nth(3)
    row_id = row.get_attribute("id")
    row.locator("select[name=status]").select_option(Status.IN_PROGRESS)
    row.locator("input[name=progress]").fill("35")
    row.locator("textarea[name=comment]").fill("Réunion de lancement")
    row.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"#{row_id}")
    saved = page.locator(f"#{row_id}")
    assert "Réponse enregistrée" in saved.inner_text()
    assert "Renseigné pour la campagne" in saved.inner_text()
    assert page.evaluate("() => window.scrollY") > 0  # not back at the top
    assert "Réponse enregistrée au" in page.locator(".messages").inner_text()


def test_with_javascript_a_row_saves_in_place(live_server, campaign, browser):
    path = campaign["campaign"].get_absolute_url()
    page = new_page(browser)
    log_in(page, live_server.url, path)
    loads = []
    page.on("load", lambda _: loads.append(page.url))
    total = grigny_count(campaign["grigny"])
    assert page.locator("[data-sheet-reported]").inner_text() == "0"
    row = page.locator("[data-sheet-row]").first
    row_id = row.get_attribute("id")
    row.locator("select[name=status]").select_option(Status.PLANNED)
    row.get_by_role("button", name="Rien de nouveau").click()
    page.wait_for_function(
        "() => document.querySelector('[data-sheet-reported]').textContent === '1'"
    )
    assert "Renseigné pour la campagne" in page.locator(f"#{row_id}").inner_text()
    assert (
        f"{total - 1} engagements sur {total} restent"
        in page.locator("[data-sheet-summary]").inner_text()
    )
    second = page.locator("[data-sheet-row]").nth(1)
    assert page.evaluate("() => document.activeElement.name") == "status"
    assert second.evaluate("row => row.contains(document.activeElement)")
    assert loads == []
    assert page.evaluate("() => window.__violations") == []


def test_the_grigny_lead_answers_the_whole_campaign_by_keyboard(live_server, campaign, browser):
    """9 changed, the rest « rien de nouveau » (status observed: « prévu »), keyboard only."""
    campaign_, grigny = campaign["campaign"], campaign["grigny"]
    total = grigny_count(grigny)
    changed_count = 9
    page = new_page(browser)
    log_in(page, live_server.url, "/suivi/")
    loads = []
    page.on("load", lambda _: loads.append(page.url))
    keys = {"actions": 0, "tabs": 0}

    def press(key):
        keys["tabs" if key in ("Tab", "Shift+Tab") else "actions"] += 1
        page.keyboard.press(key)

    def type_text(text):
        keys["actions"] += 1  # typing one value is one action
        page.keyboard.type(text)

    def focused_row():
        return page.evaluate(
            "() => { const r = document.activeElement.closest('[data-sheet-row]');"
            " return r ? r.id : null; }"
        )

    page.goto(live_server.url + campaign_.get_absolute_url())
    # From the top of the page to the first row's status, by Tab.
    while page.evaluate("() => document.activeElement.name") != "status":
        press("Tab")
    tabs_to_start = keys["tabs"]
    rows = page.locator("[data-sheet-row]")
    assert rows.count() == total
    scroll_tops = []
    unchanged_actions = unchanged_tabs = 0
    for index in range(total):
        row_id = focused_row()
        assert row_id == rows.nth(index).get_attribute("id")
        if index < changed_count:
            press("e")  # « En cours »
            assert page.evaluate("() => document.activeElement.value") == Status.IN_PROGRESS
            press("Tab")  # « Rien de nouveau »
            press("Tab")  # progress
            press("Control+a")
            type_text(str(10 * (index + 1)))
            press("Tab")  # comment
            type_text(f"Avancée n° {index + 1}")
            press("Tab")  # link
            press("Tab")  # « Enregistrer et passer au suivant »
            press("Enter")
        else:
            before = dict(keys)
            press("p")  # « Prévu »
            assert page.evaluate("() => document.activeElement.value") == Status.PLANNED
            press("Tab")  # « Rien de nouveau »
            press("Enter")
            unchanged_actions += keys["actions"] - before["actions"]
            unchanged_tabs += keys["tabs"] - before["tabs"]
        if index + 1 < total:
            page.wait_for_function(
                "id => { const r = document.activeElement.closest('[data-sheet-row]');"
                " return r && r.id === id && document.activeElement.name === 'status'; }",
                arg=rows.nth(index + 1).get_attribute("id"),
            )
            scroll_tops.append(page.evaluate("() => window.scrollY"))
        else:
            page.wait_for_function(
                f"() => document.querySelector('[data-sheet-reported]').textContent === '{total}'"
            )
    assert min(scroll_tops) > 0, "back at the top after a save"
    assert len(loads) == 1, f"a save loaded a page: {loads}"  # the sheet itself only
    assert page.evaluate("() => window.__violations") == []
    assert "Tous les engagements" in page.locator("[data-sheet-summary]").inner_text()
    in_period = ProgressUpdate.objects.filter(
        date__range=(campaign_.period_start, campaign_.period_end)
    )
    assert in_period.count() == total
    assert in_period.filter(status=Status.IN_PROGRESS).exclude(comment="").count() == 9
    assert in_period.filter(status=Status.PLANNED).count() == total - changed_count
    unchanged = total - changed_count
    figures = {
        "commitments": total,
        "changed": changed_count,
        "unchanged": unchanged,
        "page_loads": len(loads),  # the sheet itself; every save in place
        "tabs_to_first_row": tabs_to_start,
        "actions": keys["actions"],
        "tabs": keys["tabs"],
        "actions_per_unchanged": unchanged_actions / unchanged,
        "tabs_per_unchanged": unchanged_tabs / unchanged,
    }
    print(f"\nANSWER SHEET BENCHMARK {figures}")
    assert figures["actions_per_unchanged"] <= 2
