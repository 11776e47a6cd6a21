"""A Grigny project lead reports progress in a real browser (headless Chromium: the `browser`
fixture, tests/conftest.py)."""

import pytest
from django.apps import apps

from commitments.models import Action
from territories.roles import sync_role_groups
from tests.support.admin import build_tree, grigny, make_user


@pytest.fixture
def browser_page(browser):
    page = browser.new_page(locale="fr-FR")
    yield page
    page.close()


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
    # The wording is read-only for a lead; the tracking fields are editable.
    assert page.locator("textarea[name=text]").count() == 0
    page.select_option("select[name=status]", "en_cours")
    page.fill("input[name=progress]", "40")
    page.fill("textarea[name=updates-0-comment]", "Premier comité de pilotage tenu.")
    page.fill("input[name=updates-0-progress]", "40")
    page.select_option("select[name=updates-0-status]", "en_cours")
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/commitments/action/")
    assert page.locator(".messagelist .success").count() == 1

    action.refresh_from_db()
    assert (action.status, action.progress) == ("en_cours", 40)
    update = action.updates.get()
    assert update.author == lead and update.comment == "Premier comité de pilotage tenu."
    assert errors == []
    assert Action.objects.filter(pk=action.pk, version__gt=1).exists()
