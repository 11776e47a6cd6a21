"""The tracking space (/suivi/) in a real headless Chromium (the `browser` fixture:
tests/conftest.py): a Grigny project lead's path, by keyboard where a lead would type, and
axe-core's checks (WCAG 2.1 A and AA) on every page of the space at 1280 px and at 375 px,
where no page may scroll sideways.

Needs Debian's chromium and `npm ci` (axe-core); both are installed by `make test`. Either
missing fails the tests.
"""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, ProgressUpdate, StrategicObjective
from territories.models import Territory
from territories.roles import AGGLOMERATION_GROUP, CITY_LEAD_GROUP
from tests import factories
from tests.browser.chromium import CSP_LISTENER, WCAG, axe_violations
from tests.support.admin import ensure_groups
from tests.support.progress import report_days_ago

pytestmark = pytest.mark.browser

USERNAME, PASSWORD = "cheffe-grigny", "mot-de-passe-du-test"
WIDE, NARROW = 1280, 375


# --- Data ----------------------------------------------------------------------------------


def grigny_actions():
    return Action.objects.for_territory(Territory.objects.get(slug="grigny")).with_tree()


def make_lead():
    ensure_groups()  # the flush of transactional tests removed the migration's groups
    lead = factories.UserFactory(
        username=USERNAME, first_name="Nadia", last_name="Benali", is_staff=True
    )
    lead.set_password(PASSWORD)
    lead.save()
    lead.groups.add(Group.objects.get(name=CITY_LEAD_GROUP))
    factories.MembershipFactory(user=lead, territory=Territory.objects.get(slug="grigny"))
    return lead


def review_objective():
    """The first Grigny strategic objective with at least four tracked commitments."""
    objectives = StrategicObjective.objects.for_territory(
        Territory.objects.get(slug="grigny")
    ).in_document_order()
    for so in objectives.prefetch_related("operational_objectives__actions"):
        rows = [leaf for oo in so.operational_objectives.all() for leaf in oo.leaves()]
        if len(rows) >= 4:
            return so, rows
    raise AssertionError("no Grigny strategic objective with four commitments")


@pytest.fixture
def space(seeded, fast_password_hasher):
    """The lead; every Grigny commitment reported recently except one, reported 400 days
    ago (the stale one the lead looks for); an Évry commitment."""
    lead = make_lead()
    actions = list(grigny_actions().in_document_order())
    stale = actions[1]
    for action in actions:
        if action != stale:
            report_days_ago(action, 20, Status.IN_PROGRESS, 30, comment="Point d'étape")
    grigny = Territory.objects.get(slug="grigny")
    for objective in OperationalObjective.objects.for_territory(grigny).filter(
        actions__isnull=True
    ):
        report_days_ago(objective, 20, Status.PLANNED, 0)
    report_days_ago(stale, 400, Status.PLANNED, 10, comment="Lancement prévu")
    evry = Action.objects.for_territory(Territory.objects.get(slug="evry-courcouronnes"))
    return {"lead": lead, "stale": stale, "evry": evry.first()}


# --- The browser ---------------------------------------------------------------------------


def new_page(browser, width=WIDE, *, for_axe=False):
    # bypass_csp lets axe-core be injected (the site's CSP rightly forbids foreign scripts);
    # the lead's own path runs under the real CSP.
    context = browser.new_context(
        locale="fr-FR", bypass_csp=for_axe, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_LISTENER)
    return context.new_page()


def log_in(page, live_server, next_path="/suivi/", username=USERNAME):
    page.goto(f"{live_server.url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}{next_path}")


def active_is(page, locator):
    return locator.evaluate("element => document.activeElement === element")


def tab_to(page, locator, limit=150):
    """Press Tab until `locator` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if active_is(page, locator):
            return
    raise AssertionError(f"{locator} cannot be reached with Tab")


def check_axe(page, what):
    violations = axe_violations(page, tags=WCAG)
    assert violations == [], f"{what}: {violations}"


def check_no_sideways_scroll(page, what):
    widths = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{what} scrolls sideways at 375 px: {widths}"


# --- The lead's path -----------------------------------------------------------------------


def test_a_grigny_lead_reports_progress(live_server, space, browser):
    from playwright.sync_api import expect

    url = live_server.url
    stale, lead = space["stale"], space["lead"]
    so, rows = review_objective()
    errors = []
    # An anonymous visitor reads the public pages first: they are cached.
    visitor = new_page(browser)
    assert visitor.goto(url + "/territoires/grigny/").status == 200
    expect(visitor.locator(f"#{stale.anchor} .badge").first).to_contain_text("Prévu")
    for path in ("/tableau-de-bord/", "/tableau-de-bord/grigny/"):
        assert visitor.goto(url + path).status == 200

    page = new_page(browser)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and errors.append(f"{m.text} {m.location}"))
    # Expected: the 403 page itself, and the admin login page's favicon (not the space's).
    expected = ("status of 403", "status of 400", "/favicon.ico")

    # The login page, then the space.
    page.goto(url + "/suivi/")
    expect(page).to_have_url(re.compile(r"/compte/connexion/\?next=/suivi/$"))
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(url + "/suivi/")
    expect(page.locator("h1")).to_have_text("Mes engagements")
    expect(page.locator(".space-summary")).to_contain_text("1 engagement à mettre à jour")

    # Keyboard only from here: the "sans nouvelles" filter…
    tab_to(page, page.get_by_label("Sans nouvelles depuis 12 mois"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Filtrer"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"sans_nouvelles=on"))
    expect(page.locator(".space-item")).to_have_count(1)
    expect(page.locator(".space-item")).to_contain_text("sans nouvelles depuis 12 mois")

    # …the stale commitment…
    link = page.locator(".space-item a").first
    tab_to(page, link)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/suivi/engagements/action/{stale.pk}/"))
    expect(page.locator("#id_status")).to_have_value("prevu")  # from the last update
    expect(page.locator("#id_progress")).to_have_value("10")
    expect(page.locator("#id_date")).to_have_value(timezone.localdate().isoformat())

    # …a mistake first: the summary of errors gets the focus…
    tab_to(page, page.locator("#id_progress"))
    page.keyboard.press("Control+A")
    page.keyboard.type("140")
    tab_to(page, page.get_by_role("button", name="Enregistrer ce point"))
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#erreurs")).to_be_focused()
    expect(page.locator("#erreurs")).to_contain_text("L'avancement ne peut pas dépasser 100 %")
    expect(page.locator("#id_progress_error")).to_contain_text("100 %")
    # The summary's link leads to the field.
    page.keyboard.press("Tab")
    expect(page.locator("#erreurs a").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#id_progress$"))

    # …then the update, typed: status, progress, comment; Enter on the button.
    tab_to(page, page.locator("#id_status"))
    page.keyboard.type("En cours")
    expect(page.locator("#id_status")).to_have_value("en_cours")
    page.keyboard.press("Tab")
    expect(page.locator("#id_progress")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("60")
    tab_to(page, page.locator("#id_comment"))
    page.keyboard.type("Deuxième session lancée, 14 inscrits.")
    tab_to(page, page.get_by_role("button", name="Enregistrer ce point"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/suivi/\?.*sans_nouvelles=on$"))
    expect(page.locator(".messages")).to_contain_text("Le point d'avancement est enregistré")
    expect(page.locator(".space-item")).to_have_count(0)
    update = ProgressUpdate.objects.filter(action=stale).latest_first().first()
    assert (update.status, update.progress, update.author) == ("en_cours", 60, lead)
    assert update.comment == "Deuxième session lancée, 14 inscrits."
    assert update.date == timezone.localdate()

    # Three commitments of one strategic objective at once, from the review page.
    page.goto(url + "/suivi/")
    page.get_by_role("link", name=re.compile("Mettre à jour tous les engagements de cet")).nth(
        _group_index(page, so)
    ).click()
    page.wait_for_url(re.compile(rf"/suivi/objectifs-strategiques/{so.pk}/"))
    expect(page.locator(".review-row")).to_have_count(len(rows))
    day = timezone.localdate() - datetime.timedelta(days=3)
    page.fill("#id_date", day.isoformat())
    page.select_option("#id_engagements-0-status", "realise")
    page.select_option("#id_engagements-2-status", "abandonne")
    page.fill("#id_engagements-2-comment", "Remplacée par une autre action.")
    page.select_option("#id_engagements-3-status", "en_cours")
    page.fill("#id_engagements-3-progress", "75")
    before = ProgressUpdate.objects.count()
    page.get_by_role("button", name="Enregistrer les lignes modifiées").click()
    page.wait_for_url(url + "/suivi/")
    expect(page.locator(".messages")).to_contain_text("3 points d'avancement enregistrés")
    assert ProgressUpdate.objects.count() == before + 3
    recorded = ProgressUpdate.objects.order_by("-pk")[:3]
    assert {u.date for u in recorded} == {day} and {u.author for u in recorded} == {lead}
    states = [
        (type(r).objects.get(pk=r.pk).status, type(r).objects.get(pk=r.pk).progress) for r in rows
    ]
    assert states[0] == ("realise", 100)
    assert states[2] == ("abandonne", 30)
    assert states[3] == ("en_cours", 75)

    # Another city's commitment: a 403 page that explains.
    response = page.goto(url + space["evry"].get_tracking_url())
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Accès refusé")
    expect(page.locator("main")).to_contain_text("Évry-Courcouronnes")
    expect(page.locator("main")).to_contain_text("Grigny")
    expect(page.locator("main")).to_contain_text("Rien n'a été enregistré")
    expect(page.get_by_role("link", name="Retour à l'espace de suivi")).to_be_visible()

    # The public pages show it at once, to the lead and to the anonymous visitor.
    for reader in (page, visitor):
        reader.goto(url + "/territoires/grigny/")
        expect(reader.locator(f"#{stale.anchor} .badge").first).to_contain_text("En cours · 60 %")
        expect(reader.locator(f"#{rows[0].anchor} .badge").first).to_contain_text("Réalisé")
        for path in ("/tableau-de-bord/", "/tableau-de-bord/grigny/"):
            reader.goto(url + path)
            expect(reader.locator(f'a[href$="#point-{update.pk}"]')).to_have_count(1)
    assert page.evaluate("window.__violations") == []
    assert [e for e in errors if not any(part in e for part in expected)] == []
    page.context.close()
    visitor.context.close()


def _group_index(page, so):
    """The position of `so`'s review link among those of the list."""
    hrefs = page.locator(".space-group > p > a").evaluate_all("links => links.map(a => a.href)")
    matching = [i for i, href in enumerate(hrefs) if f"/objectifs-strategiques/{so.pk}/" in href]
    assert matching, hrefs
    return matching[0]


# --- Accessibility at two widths -----------------------------------------------------------


def test_every_page_of_the_space_passes_axe_at_1280_and_375_px(live_server, space, browser):
    staff = factories.UserFactory(username="agent-agglo", is_staff=True)
    staff.set_password(PASSWORD)
    staff.save()
    staff.groups.add(Group.objects.get(name=AGGLOMERATION_GROUP))
    for width in (WIDE, NARROW):
        page = new_page(browser, width, for_axe=True)
        log_in(page, live_server)
        sweep(page, live_server.url, space, width)
        page.context.close()
    # The staff's list, with its territory filter (one territory: the whole list is the same
    # template as the lead's, seven times longer).
    page = new_page(browser, NARROW, for_axe=True)
    log_in(page, live_server, username="agent-agglo")
    response = page.goto(live_server.url + "/suivi/?territoire=evry-courcouronnes")
    check_page(page, "the staff's list of one territory", NARROW, response)
    assert page.locator("#id_territoire option").count() == 1 + Territory.objects.count()
    # axe does see violations: an image without a text alternative is reported.
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=x>')")
    assert "image-alt" in [v["id"] for v in axe_violations(page, tags=WCAG)]
    page.context.close()


def check_page(page, what, width, response=None, status=200):
    if response is not None:
        assert response.status == status, what
    # The stylesheet is served: contrast checks are meaningless without it.
    header = page.eval_on_selector(
        ".site-header", "element => getComputedStyle(element).backgroundColor"
    )
    assert header == "rgb(7, 50, 75)"
    check_axe(page, f"{what} at {width} px")
    if width == NARROW:
        check_no_sideways_scroll(page, what)


def sweep(page, url, space, width):
    """Every page of the space, as the lead sees it, then with errors."""
    so, _ = review_objective()
    pages = {
        "the list": "/suivi/",
        "the filtered list": "/suivi/?sans_nouvelles=on&thematique=emploi&sans_pilote=on",
        "an invalid filter": ("/suivi/?statut=inconnu", 400),
        "a commitment": space["stale"].get_tracking_url(),
        "an objective with actions": space["stale"].operational_objective.get_tracking_url(),
        "the review": f"/suivi/objectifs-strategiques/{so.pk}/",
        "another city's commitment": (space["evry"].get_tracking_url(), 403),
    }
    for what, path in pages.items():
        path, status = path if isinstance(path, tuple) else (path, 200)
        check_page(page, what, width, page.goto(url + path), status)

    # The commitment page with errors on every field of the form.
    page.goto(url + space["stale"].get_tracking_url())
    page.fill("#id_progress", "140")
    page.fill("#id_date", "2018-01-01")
    page.fill("#id_link", "javascript:alert(1)")
    page.fill("#id_comment", "x" * 2001)  # the browser keeps 2 000 (maxlength)
    page.get_by_role("button", name="Enregistrer ce point").click()
    page.wait_for_load_state()
    links = page.locator("#erreurs li a").evaluate_all("links => links.map(a => a.hash)")
    assert links == ["#id_progress", "#id_date", "#id_link"]
    assert page.evaluate("document.activeElement.id") == "erreurs"
    check_page(page, "the commitment page with errors", width)

    # The review page with an error on a row.
    page.goto(url + f"/suivi/objectifs-strategiques/{so.pk}/")
    page.select_option("#id_engagements-0-status", "realise")
    page.fill("#id_engagements-0-progress", "50")
    page.get_by_role("button", name="Enregistrer les lignes modifiées").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "erreurs"
    check_page(page, "the review page with errors", width)
