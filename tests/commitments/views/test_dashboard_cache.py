"""The dashboards' bodies cached under the content version, today's date, the last closed
campaign and the code version (commitments/rendering/dashboard_bodies.py): served to visitors
with a session too (the page cache, views/page_cache.py, leaves them out), and never stale."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.enums import Status
from commitments.rendering import dashboard_bodies
from commitments.services.campaign_lifecycle import close_campaign
from commitments.services.progress_rule import record_update
from tests import factories
from tests.support.admin import client_for, make_user
from tests.support.campaigns import new_campaign, report_in_period, town
from tests.support.progress import report

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def staff(fast_password_hasher):
    return make_user("agglomeration")


def url_of(territory):
    """The territory's dashboard, or the agglomeration's for None."""
    if territory is None:
        return reverse("dashboard")
    return reverse("territory_dashboard", kwargs={"slug": territory.slug})


def view(client, url):
    """(body, queries) of one view of `url`: the body, what dashboards/_body.html renders."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<h1>") : html.index("</main>")], len(queries)


def done_figure(body):
    """The « réalisés » key figure."""
    start = body.index('<ul class="key-figures">')
    figures = body[start : body.index("</ul>", start)]
    return figures.split("<li>")[2].split("</span>")[0].rsplit(">", 1)[1]


@pytest.mark.parametrize("agglomeration", [True, False], ids=["agglomeration", "territory"])
def test_a_warm_dashboard_skips_the_dashboard_queries(staff, agglomeration):
    """Logged in (no page cache): the second view reads the body, whatever the size."""
    client = client_for(staff)
    counts = []
    for size in (1, 15):
        territory, leaves = town(f"Ville {size}", size=size)
        for leaf in leaves[::2]:
            report_in_period(leaf, author=staff)
        url = url_of(None if agglomeration else territory)
        cold_body, cold = view(client, url)
        warm_body, warm = view(client, url)
        assert warm_body == cold_body
        counts.append((cold, warm))
    (cold_small, warm_small), (cold_big, warm_big) = counts
    assert warm_small < cold_small - 5
    assert (cold_big, warm_big) == (cold_small, warm_small)


@pytest.mark.parametrize("agglomeration", [True, False], ids=["agglomeration", "territory"])
def test_logged_in_and_anonymous_visitors_get_the_same_body(client, staff, agglomeration):
    territory, leaves = town("Ville partagée")
    report_in_period(leaves[0], Status.DONE, 100, author=staff)
    url = url_of(None if agglomeration else territory)
    anonymous, cold = view(client, url)
    logged_in, warm = view(client_for(staff), url)
    assert logged_in == anonymous
    # The logged-in view read the body the anonymous one cached (the session's queries apart).
    assert warm < cold - 5
    assert "Compte connecté" not in logged_in
    assert "csrf" not in logged_in


@pytest.mark.parametrize("agglomeration", [True, False], ids=["agglomeration", "territory"])
def test_an_edit_through_a_service_shows_on_the_next_view(staff, agglomeration):
    client = client_for(staff)
    territory, leaves = town("Ville modifiée")
    url = url_of(None if agglomeration else territory)
    before, _ = view(client, url)
    view(client, url)  # cached
    record_update(
        leaves[0],
        status=Status.DONE,
        progress=100,
        date=datetime.date.today() - datetime.timedelta(days=1),
        author=staff,
    )
    after, _ = view(client, url)
    assert int(done_figure(after)) == int(done_figure(before)) + 1


def test_the_next_day_recomputes_what_depends_on_today(staff, time_machine):
    """An update dated exactly 12 months ago is recent today, stale tomorrow: no edit between,
    an hour and a half later (the cached body has not expired)."""
    time_machine.move_to(datetime.datetime(2026, 6, 15, 23, tzinfo=PARIS), tick=False)
    client = client_for(staff)
    territory, leaves = town("Ville au calendrier")
    for leaf in leaves:
        report(leaf, datetime.date(2025, 6, 15), Status.IN_PROGRESS, 50)
    heading = "Engagements sans point d'avancement depuis 12 mois : {}</h2>"
    today, _ = view(client, url_of(territory))
    assert heading.format(0) in today
    assert heading.format(0) in view(client, url_of(territory))[0]  # cached
    time_machine.move_to(datetime.datetime(2026, 6, 16, 0, 30, tzinfo=PARIS), tick=False)
    tomorrow, _ = view(client, url_of(territory))
    assert heading.format(len(leaves)) in tomorrow
    assert "Aucun point daté depuis le 16 juin 2025" in tomorrow


def test_closing_a_campaign_shows_it(client, staff):
    territory, leaves = town("Ville en campagne")
    report_in_period(leaves[0], Status.DONE, 100, author=staff)
    campaign_ = new_campaign(staff, [territory], title="Campagne « printemps »")
    for url in (url_of(None), url_of(territory)):
        body, _ = view(client, url)
        assert "Dernière campagne de suivi clôturée" not in body
        view(client, url)  # cached
    close_campaign(campaign_, staff)
    for url in (url_of(None), url_of(territory)):
        body, _ = view(client, url)
        assert "Dernière campagne de suivi clôturée" in body, url
        assert "Campagne « printemps »" in body


def test_a_campaign_that_changes_no_protocol_still_shows(staff):
    """Closing a campaign over territories without a protocol moves no content version: the
    last closed campaign's stamp in the key shows it all the same (logged in: the page cache,
    keyed by the content version alone, is another matter)."""
    client = client_for(staff)
    territory = factories.TerritoryFactory(name="Ville sans protocole")
    campaign_ = new_campaign(staff, [territory], title="Campagne des oubliés")
    assert "Campagne des oubliés" not in view(client, url_of(None))[0]
    close_campaign(campaign_, staff)
    assert "Campagne des oubliés" in view(client, url_of(None))[0]


def test_a_new_code_version_renders_the_body_again(client, monkeypatch):
    url = url_of(None)
    _, cold = view(client, url)
    _, warm = view(client, f"{url}?encore=1")
    monkeypatch.setattr(dashboard_bodies, "code_version", lambda: "deploiement-suivant")
    _, after_deploy = view(client, f"{url}?deploiement=1")
    assert warm < after_deploy
