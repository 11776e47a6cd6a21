"""A Grigny project lead in the admin, in a real browser (headless Chromium: the `browser`
fixture, tests/conftest.py): status and progress are read-only on the form, which links to the
tracking space; the bulk action of the list records a dated progress update. The reporting
space itself is driven in tests/browser/test_tracking_space_browser.py."""

import pytest
from django.apps import apps

from commitments.models import Action
from territories.roles import sync_role_groups
from tests.browser.chromium import WCAG, axe_violations
from tests.support.admin import build_tree, grigny, make_user


@pytest.fixture
def browser_page(browser):
    # bypass_csp lets axe-core be injected (the admin's CSP rightly refuses foreign scripts).
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    yield context.new_page()
    context.close()


def critical_violations(page, *selectors):
    """axe-core's critical violations (WCAG 2.1 A/AA) in the parts of the page given."""
    violations = axe_violations(page, tags=WCAG, include=[[selector] for selector in selectors])
    return [v for v in violations if v["impact"] == "critical"]


@pytest.mark.browser
def test_grigny_lead_reports_progress_in_a_browser(
    seeded, live_server, browser_page, fast_password_hasher
):
    sync_role_groups(apps)  # the flush of transactional tests removed the migration's groups
    lead = make_user("grigny_lead", username="chef-grigny-test")
    lead.set_password("mot-de-passe-du-test")
    lead.save()
    action = build_tree(grigny())["action"]
    page = browser_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "chef-grigny-test")
    page.fill("#id_password", "mot-de-passe-du-test")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/commitments/action/{action.pk}/change/")
    # The wording is read-only for a lead; status and progress too (those of the latest
    # progress update), with a link to record one; the pilot and the years are editable.
    assert page.locator("textarea[name=text]").count() == 0
    assert page.locator("[name=status], [name=progress], [name^=updates-0-]").count() == 0
    link = page.get_by_role("link", name="Enregistrer un point d'avancement")
    assert link.get_attribute("href") == action.get_tracking_url()
    # The tracking part of the form (status, progress, link, pilot, years; the timeline).
    assert critical_violations(page, "fieldset:has(.field-status)", ".inline-group") == []
    page.fill("input[name=start_year]", "2021")
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/commitments/action/?territoire=mes-territoires")
    assert page.locator(".messagelist .success").count() == 1

    # The list opens on the lead's territories, without editable columns; the bulk action
    # (its status, date and comment fields labelled) records a dated update.
    assert critical_violations(page, "#changelist-form") == []
    page.check(f"input[name=_selected_action][value='{action.pk}']")
    page.select_option("select[name=action]", "record_update")
    page.select_option("select[name=status]", "en_cours")
    page.fill("input[name=comment]", "Premier comité de pilotage tenu.")
    page.click("button[name=index]")
    page.wait_for_load_state()
    assert "enregistré pour 1 engagement" in page.locator(".messagelist").inner_text()

    action.refresh_from_db()
    assert action.start_year == 2021
    assert (action.status, action.progress) == ("en_cours", 0)
    update = action.updates.get()
    assert update.author == lead and update.comment == "Premier comité de pilotage tenu."
    assert errors == []
    assert Action.objects.filter(pk=action.pk, version__gt=1).exists()
