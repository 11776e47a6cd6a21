"""The admin as its two everyday roles use it, in a real headless Chromium (the `browser`
fixture, tests/conftest.py): a Grigny project lead and an agglomeration agent.

- axe-core (WCAG 2.0/2.1/2.2 A and AA, target size included) on every admin page each role
  reaches by following the admin's own links: the index, each list, each add and change
  form, each history page and one recorded version, the deleted-elements (restore) page and
  the spreadsheet import. A critical or serious violation fails the test, which lists every
  page with its violations.
- No sideways scrolling at 1,280 px on those lists and forms.
- Reordering by keyboard: Tab to "Descendre" on an action of an objective's form, Enter; the
  two actions swapped places (commitments/services/ordering.py).

Needs Debian's chromium and `npm ci` (axe-core), as every browser test.
"""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from import_export.formats.base_formats import CSV

from commitments.enums import Status
from commitments.models import Action, Indicator, OperationalObjective
from commitments.services.indicator_writes import record_indicator_value
from commitments.services.spreadsheet import ActionTrackingResource
from tests import factories
from tests.browser.chromium import AXE, AXE_RUN, WCAG, axe_violations
from tests.support.admin import build_tree, client_for, grigny, make_user
from tests.support.progress import report_days_ago
from tests.support.spreadsheet import export, fill

pytestmark = pytest.mark.browser

WIDE = 1280
BLOCKING = ("critical", "serious")


# --- The browser ---------------------------------------------------------------------------


def logged_in_page(browser, live_server, user):
    """A page of a new browser context carrying `user`'s session (no login form: the login
    itself is tested elsewhere)."""
    client = client_for(user)
    assert client.session[SESSION_KEY] == str(user.pk)
    # bypass_csp lets axe-core be injected (the admin's CSP rightly refuses foreign scripts).
    context = browser.new_context(
        locale="fr-FR", bypass_csp=True, viewport={"width": WIDE, "height": 900}
    )
    context.set_default_timeout(10_000)
    if not AXE.exists():
        pytest.fail(f"{AXE} not found: axe-core is not installed: run `npm ci`")
    # axe-core in every page of the crawl from the start (faster than injecting it each time).
    context.add_init_script(path=str(AXE))
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


# WCAG 2.2 AA too: its target size (links of at least 24 × 24 px, or spaced so).
ADMIN_WCAG = [*WCAG, "wcag22aa"]


def blocking_violations(page):
    """axe-core's critical and serious violations of WCAG 2.0/2.1/2.2 A and AA on the page."""
    return [
        f"{v['id']} ({v['impact']}) {v['targets']}"
        for v in page.evaluate(AXE_RUN, {"tags": ADMIN_WCAG, "include": None})
        if v["impact"] in BLOCKING
    ]


def overflow(page):
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def hrefs(page, selector):
    return page.eval_on_selector_all(selector, "links => links.map(a => a.href)")


# --- The crawl -----------------------------------------------------------------------------


def import_previews(page, base, files):
    """The spreadsheet import's second step: each file of `files` sent from the import page
    (a preview of the changes, or the rows refused with their errors)."""
    url = page.url
    for name, content in files:
        page.goto(url)
        page.select_option("select[name=format]", label="csv")
        page.set_input_files(
            "input[name=import_file]",
            {"name": name, "mimeType": "text/csv", "buffer": content},
        )
        page.locator("form[enctype='multipart/form-data'] [type=submit]").click()
        page.wait_for_load_state()
        yield f"{url.removeprefix(base)} ({name})"


def admin_pages(page, base, spreadsheets=None):
    """The admin pages a user reaches from the index: each list, its add form, the first
    row's change form, that object's delete page, history and first recorded version, and the
    links the list offers (import and its preview, export, deleted elements)."""
    spreadsheets = spreadsheets or {}
    page.goto(f"{base}/admin/")
    yield "/admin/"
    for changelist in dict.fromkeys(hrefs(page, "#content-main a[href$='/']")):
        path = changelist.removeprefix(base)
        if not re.fullmatch(r"/admin/\w+/\w+/", path):
            continue
        page.goto(changelist)
        yield page.url.removeprefix(base)
        tools = hrefs(page, ".object-tools a")
        rows = hrefs(page, "#result_list tbody th a, #result_list tbody td.field-__str__ a")
        for tool in tools:
            if re.search(r"/(add|import|export|supprimes)/", tool):
                page.goto(tool)
                yield tool.removeprefix(base)
                if tool.endswith("/import/"):
                    yield from import_previews(page, base, spreadsheets.get(path, []))
        if not rows:
            continue
        page.goto(rows[0])
        yield rows[0].removeprefix(base)
        delete = hrefs(page, ".submit-row a.deletelink")
        history = hrefs(page, ".object-tools a.historylink")
        if delete:
            page.goto(delete[0])
            yield delete[0].removeprefix(base)
        if history:
            page.goto(history[0])
            yield history[0].removeprefix(base)
            versions = hrefs(
                page, "#change-history a[href*='/history/'], table a[href*='/history/']"
            )
            if versions:
                page.goto(versions[-1])
                yield versions[-1].removeprefix(base)


LONG_COMMENT = (
    "Comité de pilotage tenu avec la Mission locale, la CAF et les bailleurs ; compte rendu : "
    "https://www.grandparissud.fr/documents/politique-de-la-ville/comptes-rendus/2024/"
    "comite-de-pilotage-emploi-insertion-quartiers-prioritaires-grigny-version-definitive.pdf "
) * 3


def give_a_timeline(commitment, lead):
    """A pilot, partners and three progress updates with long comments and links: the form's
    widest content."""
    commitment.pilot = lead
    commitment.save()
    commitment.partners.set(factories.PartnerFactory.create_batch(3))
    for days, status in (
        (300, Status.PLANNED),
        (120, Status.IN_PROGRESS),
        (10, Status.IN_PROGRESS),
    ):
        report_days_ago(commitment, days, status, 40, comment=LONG_COMMENT)


@pytest.fixture
def data(seeded, fast_password_hasher):
    lead = make_user("grigny_lead", username="cheffe-grigny")
    agent = make_user("agglomeration", username="agent-agglo")
    tree = build_tree(grigny())
    # The first row of each list (the lead's and the staff's) has a full timeline.
    pilot = factories.PartnerFactory(
        name="Établissement public territorial Grand-Orly Seine Bièvre — direction de l'emploi"
    )
    for commitment in {tree["action"], tree["oo"], Action.objects.first()}:
        give_a_timeline(commitment, pilot)
    give_a_timeline(OperationalObjective.objects.first(), pilot)
    # The first indicator of each list (the staff's, the lead's) has values with long texts.
    for indicator in {
        Indicator.objects.first(),
        Indicator.objects.filter(territory=grigny()).first(),
    }:
        for year in (2019, 2020, 2021):
            record_indicator_value(
                indicator,
                year=year,
                value=year - 2000,
                source=LONG_COMMENT[:200],
                comment=LONG_COMMENT,
            )
    # A second action, so that the objective's form has two rows to reorder.
    second = Action.objects.create(
        operational_objective=tree["oo"], position=2, text="Deuxième action"
    )
    # A deleted action: the restore page lists it.
    Action.objects.create(operational_objective=tree["oo"], position=3, text="Supprimée").delete()
    # Grigny's tracking spreadsheet as staff fill it in: a valid change, then a refused row.
    dataset = export(ActionTrackingResource, grigny())
    first, other = dataset[0][0], dataset[1][0]
    valid = fill(dataset, {first: {"statut": "Réalisé", "avancement": "100"}})
    refused = fill(dataset, {other: {"avancement": "300"}})
    spreadsheets = {
        "/admin/commitments/action/": [
            ("suivi.csv", CSV().export_data(valid).encode()),
            ("erreurs.csv", CSV().export_data(refused).encode()),
        ]
    }
    return {
        "grigny_lead": lead,
        "agglomeration": agent,
        "second": second,
        "spreadsheets": spreadsheets,
        **tree,
    }


@pytest.mark.parametrize("role", ["grigny_lead", "agglomeration"])
def test_every_admin_page_has_no_serious_violation(role, data, live_server, browser):
    page = logged_in_page(browser, live_server, data[role])
    found, wide, visited, errors = {}, {}, [], []
    page.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.url}"))
    for path in admin_pages(page, live_server.url, data["spreadsheets"]):
        visited.append(path)
        violations = blocking_violations(page)
        if violations:
            found[path] = violations
        extra = overflow(page)
        if extra > 0:
            wide[path] = extra
    page.context.close()
    report = "\n".join(f"{path}: {violations}" for path, violations in found.items())
    assert len(visited) > 30, visited
    for model in ("indicatordefinition", "indicator", "indicatorvalue"):
        assert f"/admin/commitments/{model}/" in visited, visited
    assert errors == []
    assert (found, wide) == ({}, {}), (
        f"{len(found)} page(s) of {len(visited)} with violations:\n{report}\n"
        f"pages wider than {WIDE} px (by how many pixels): {wide}"
    )


# --- Reordering by keyboard ----------------------------------------------------------------


def focused_text(page):
    return page.evaluate("() => document.activeElement.textContent.trim()")


def tab_to(page, locator, limit=200):
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => document.activeElement === element"):
            return
    raise AssertionError(f"{locator} cannot be reached with Tab")


def test_staff_reorder_actions_by_keyboard(transactional_db, live_server, browser):
    from playwright.sync_api import expect

    agent = make_user("agglomeration", username="agent-ordre")
    factories.PartnerFactory(name="Partenaire du test au clavier")  # a choice for the pilot
    tree = build_tree(grigny())
    first = tree["action"]
    first.text = "Ouvrir un guichet unique"
    first.save()
    second = Action.objects.create(
        operational_objective=tree["oo"], position=2, text="Former les agents d'accueil"
    )
    page = logged_in_page(browser, live_server, agent)
    form_url = f"{live_server.url}/admin/commitments/operationalobjective/{tree['oo'].pk}/change/"
    page.goto(form_url)
    assert overflow(page) == 0
    rows = page.locator("#actions-group tbody tr.has_original")
    expect(rows.nth(0)).to_contain_text("Ouvrir un guichet unique")

    # The first action has only "Descendre", named after it; Tab, then Enter.
    down = page.get_by_role("button", name="Descendre « Ouvrir un guichet unique »")
    assert page.get_by_role("button", name="Monter « Ouvrir un guichet unique »").count() == 0
    box = down.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    tab_to(page, down)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?deplace="))
    expect(page.locator(".messagelist")).to_contain_text(
        "« Ouvrir un guichet unique » passe après « Former les agents d'accueil »"
    )
    expect(rows.nth(0)).to_contain_text("Former les agents d'accueil")
    # The focus stays on the moved action: now last, its "Monter" button.
    assert focused_text(page) == "Monter « Ouvrir un guichet unique »"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.position, second.position) == (2, 1)

    # Enter again: back up, the focus on its "Descendre".
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".messagelist")).to_contain_text("passe avant")
    assert focused_text(page) == "Descendre « Ouvrir un guichet unique »"
    first.refresh_from_db()
    assert first.position == 1

    # The pilot's autocomplete box, opened from the keyboard: named, like its search box.
    pilot = page.get_by_role("combobox", name=re.compile("^Pilote"))
    pilot.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".select2-dropdown .select2-search__field")).to_be_focused()
    assert page.get_by_role("searchbox", name=re.compile("^Pilote")).count() == 1
    # The choices arrive from the server: while Select2 says « Chargement… » its list holds
    # no option yet (a transient state); the list as the user reads it is checked.
    expect(page.locator("#select2-id_pilot-results [role='option']").first).to_be_visible()
    assert blocking_violations(page) == []
    # A search that finds nothing: the message alone, no empty list box.
    page.keyboard.type("zzzzzz")
    expect(page.locator(".select2-results__message")).to_be_visible()
    assert blocking_violations(page) == []
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")
    page.keyboard.press("Escape")

    # A new row from the inline's French link: its fields are named too.
    page.get_by_role("button", name="Ajouter une action").click()
    expect(page.locator("#actions-2 textarea")).to_be_visible()
    label = page.locator("label[for='id_actions-2-text']")
    assert label.inner_text() == "Intitulé (nouvelle ligne)"
    assert axe_violations(page, tags=WCAG) == []
    page.context.close()
