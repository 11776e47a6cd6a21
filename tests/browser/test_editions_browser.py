"""The editions' pages in Debian's Chromium on the seeded Grigny protocol after the issue's four
edits: axe-core (WCAG 2.1 A/AA) finds no violation at 1,280 and 375 px and nothing scrolls
sideways; with the style sheets refused, the comparison still says in words what was inserted
and deleted; the protocol page's marks lead to the change."""

import datetime

import pytest

from commitments.models import Action, Edition, OperationalObjective, Protocol
from commitments.services.editions import publish_edition
from territories.models import Territory
from tests.browser.chromium import CSP_LISTENER, WCAG, axe_violations

pytestmark = pytest.mark.browser

WIDTHS = (1280, 375)


@pytest.fixture
def grigny(seeded):
    territory = Territory.objects.get(slug="grigny")
    protocol = Protocol.objects.current_for(territory)
    if not Edition.objects.for_protocol(protocol).exists():
        publish_edition(
            protocol,
            title="Texte adopté",
            deliberation_reference="Del 2019 0128",
            deliberation_date=datetime.date(2019, 6, 27),
            by=None,
        )
    actions = list(Action.objects.for_territory(territory).in_document_order())
    edited = actions[0]
    edited.text = edited.text + " (texte révisé en 2026)"
    edited.save()
    actions[1].delete()
    objectives = list(OperationalObjective.objects.for_territory(territory).in_document_order())
    moving, target = objectives[0], objectives[-1].strategic_objective
    moving.strategic_objective = target
    moving.position = 10_000
    moving.save()
    Action.objects.create(
        operational_objective=objectives[-1], position=10_000, text="Une action ajoutée."
    )
    return {"territory": territory, "edited": edited}


def new_page(browser, width, **options):
    context = browser.new_context(
        locale="fr-FR", bypass_csp=True, viewport={"width": width, "height": 900}, **options
    )
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    return context.new_page()


def test_editions_pages_pass_axe_without_sideways_scroll(live_server, grigny, browser):
    paths = [
        "/territoires/grigny/editions/",
        "/territoires/grigny/editions/1/",
        "/territoires/grigny/modifications/?de=1&a=courant",
        "/territoires/grigny/modifications/?de=abc",
        "/territoires/grigny/",
    ]
    failures = []
    for width in WIDTHS:
        page = new_page(browser, width)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status in (200, 400), path
            violations = axe_violations(page, tags=WCAG)
            if violations:
                failures.append((width, path, violations))
            widths = page.evaluate(
                "() => [document.scrollingElement.scrollWidth, "
                "document.scrollingElement.clientWidth]"
            )
            if widths[0] > widths[1]:
                failures.append((width, path, f"scrolls sideways: {widths}"))
        page.context.close()
    assert failures == []


def test_the_comparison_is_readable_without_css(live_server, grigny, browser):
    page = new_page(browser, 1280)
    page.route("**/*.css", lambda route: route.abort())
    page.goto(live_server.url + "/territoires/grigny/modifications/?de=1&a=courant")
    # Without the style sheet the "visually hidden" words are plain visible text.
    hidden = "() => document.querySelector('ins .visually-hidden').getBoundingClientRect().width"
    assert page.evaluate(hidden) > 20
    text = page.inner_text("main")
    assert "4 changements" in text
    assert (
        "[début d'insertion] (texte révisé en 2026) [fin d'insertion]" in " ".join(text.split())
        or "[début d'insertion]  (texte révisé en 2026) [fin d'insertion]" in text
    )
    assert "début de suppression" in text
    page.context.close()


def test_a_mark_on_the_protocol_page_leads_to_the_change(live_server, grigny, browser):
    page = new_page(browser, 375)
    page.goto(live_server.url + "/territoires/grigny/")
    mark = page.locator(f"#action-{grigny['edited'].pk} .edition-mark a")
    assert mark.inner_text().startswith("Modifié depuis l'édition 1")
    mark.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/modifications/**")
    assert page.url.endswith(f"#modifie-action-{grigny['edited'].pk}")
    assert page.locator(f"#modifie-action-{grigny['edited'].pk}").is_visible()
    page.context.close()
