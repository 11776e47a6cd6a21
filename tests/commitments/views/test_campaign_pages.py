"""/suivi/campagnes/ (commitments/views/campaign_pages.py): the permission matrix of every view
and method, what a campaign's page shows (completion, answers, missing, escaped texts), closing
from the page, the CSV/XLSX exports read back, the PDF read back, constant query counts; and
the open campaign on /suivi/."""

import csv
import io

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from openpyxl import load_workbook

from commitments.enums import Status
from commitments.models import Campaign, CampaignFigure
from commitments.services.campaign_lifecycle import close_campaign
from tests import factories
from tests.support.admin import client_for, make_user
from tests.support.campaigns import (
    MATRIX_ROLES,
    days_ago,
    lead_of,
    matrix_user,
    new_campaign,
    report_in_period,
    town,
)
from tests.support.pdf import pdf_text, squeeze

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(fast_password_hasher):
    return make_user("agglomeration")


@pytest.fixture
def setup(staff):
    """A campaign concerning "ours" (3 commitments, one reported) but not "theirs"."""
    ours, leaves = town("Notre ville", slug="notre-ville")
    theirs, _ = town("Autre ville", slug="autre-ville")
    report_in_period(leaves[0], Status.DONE, 100, comment="<b>Fini</b>", author=staff)
    campaign_ = new_campaign(staff, [ours], title="Campagne <2026>")
    new_campaign(staff, [theirs], title="Pas la nôtre")
    return {"ours": ours, "theirs": theirs, "leaves": leaves, "campaign": campaign_}


def client_of(role, setup):
    return client_for(matrix_user(role, setup["ours"], setup["theirs"]))


def closed(setup, staff):
    close_campaign(setup["campaign"], staff)
    return setup["campaign"]


# --- The permission matrix ------------------------------------------------------------------


def login_path():
    return resolve_url(settings.LOGIN_URL)


def urls(campaign_, ours):
    pk = campaign_.pk
    return {
        "list": "/suivi/campagnes/",
        "detail": f"/suivi/campagnes/{pk}/",
        "close": f"/suivi/campagnes/{pk}/cloturer/",
        "csv": f"/suivi/campagnes/{pk}/reponses.csv",
        "xlsx": f"/suivi/campagnes/{pk}/reponses.xlsx",
        "pdf": f"/suivi/campagnes/{pk}/bilan.pdf",
        "territory_pdf": f"/suivi/campagnes/{pk}/{ours.slug}/bilan.pdf",
    }


# (view, method) → expected status per role, in MATRIX_ROLES order; 302 = the login page for
# anonymous, the campaign's page after closing for staff; 405 to anyone for a method the page does
# not serve.
MATRIX = {
    ("list", "get"): (302, 200, 200, 200, 200),
    ("list", "post"): (405, 405, 405, 405, 405),
    ("detail", "get"): (302, 200, 404, 200, 200),
    ("detail", "post"): (405, 405, 405, 405, 405),
    ("close", "get"): (405, 405, 405, 405, 405),
    ("close", "post"): (302, 403, 404, 302, 302),
    ("csv", "get"): (302, 403, 404, 200, 200),
    ("xlsx", "get"): (302, 403, 404, 200, 200),
    ("csv", "post"): (405, 405, 405, 405, 405),
}
# On a closed campaign.
PDF_MATRIX = {
    ("pdf", "get"): (302, 403, 404, 200, 200),
    ("territory_pdf", "get"): (302, 200, 404, 200, 200),
    ("territory_pdf", "post"): (405, 405, 405, 405, 405),
}


@pytest.mark.parametrize("role", MATRIX_ROLES)
@pytest.mark.parametrize(("view", "method"), list(MATRIX))
def test_permission_matrix(setup, role, view, method):
    expected = MATRIX[view, method][MATRIX_ROLES.index(role)]
    url = urls(setup["campaign"], setup["ours"])[view]
    data = {"confirmer": "oui"} if method == "post" else None
    response = getattr(client_of(role, setup), method)(url, data)
    assert response.status_code == expected
    if expected == 302 and role == "anonymous":
        assert response["Location"].startswith(login_path())
    closed_now = Campaign.objects.get(pk=setup["campaign"].pk).is_closed
    assert closed_now == (
        view == "close" and method == "post" and expected == 302 and role != "anonymous"
    )


@pytest.mark.parametrize("role", MATRIX_ROLES)
@pytest.mark.parametrize(("view", "method"), list(PDF_MATRIX))
def test_pdf_permission_matrix(setup, staff, role, view, method):
    expected = PDF_MATRIX[view, method][MATRIX_ROLES.index(role)]
    campaign_ = closed(setup, staff)
    response = getattr(client_of(role, setup), method)(urls(campaign_, setup["ours"])[view])
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/pdf"


def test_a_user_without_role_or_territory_is_refused(setup):
    from tests.factories import UserFactory

    client = client_for(UserFactory(username="sans-role", is_staff=True))
    for url in ("/suivi/campagnes/", f"/suivi/campagnes/{setup['campaign'].pk}/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Les campagnes de suivi sont réservées" in response.content.decode()


def test_unknown_campaign_and_territory_are_404(setup, staff):
    client = client_for(staff)
    assert client.get("/suivi/campagnes/999999999/").status_code == 404
    assert client.get("/suivi/campagnes/1234567890123456789/").status_code == 404
    campaign_ = closed(setup, staff)
    assert client.get(f"/suivi/campagnes/{campaign_.pk}/autre-ville/bilan.pdf").status_code == 404
    assert client.get(f"/suivi/campagnes/{campaign_.pk}/inconnue/bilan.pdf").status_code == 404


def test_the_pdf_of_an_open_campaign_is_404(setup, staff):
    response = client_for(staff).get(f"/suivi/campagnes/{setup['campaign'].pk}/bilan.pdf")
    assert response.status_code == 404


# --- What the pages show --------------------------------------------------------------------


def test_campaign_page(setup, staff):
    page = client_for(staff).get(setup["campaign"].get_absolute_url()).content.decode()
    assert "Campagne &lt;2026&gt;" in page and "<2026>" not in page
    assert "2 engagements sur 3 restent à renseigner" in page
    assert "Notre ville" in page and "Autre ville" not in page
    assert "Engagements restant à renseigner : 2" in page
    assert "Clôturer la campagne" in page
    assert reverse("campaign_export", args=[setup["campaign"].pk, "csv"]) in page
    assert staff.username in page  # who answered


def test_a_lead_sees_only_their_territory_and_no_staff_tool(staff):
    ours, _ = town("Notre ville", slug="notre-ville")
    theirs, (theirs_leaf, *_) = town("Autre ville", slug="autre-ville")
    report_in_period(theirs_leaf)
    campaign_ = new_campaign(staff, [ours, theirs])
    page = client_for(lead_of(ours, "chef")).get(campaign_.get_absolute_url()).content.decode()
    assert "3 engagements sur 3 restent à renseigner" in page
    assert "Autre ville" not in page
    assert "Clôturer la campagne" not in page and "reponses.csv" not in page


def test_closing_from_the_page(setup, staff):
    client = client_for(staff)
    url = f"/suivi/campagnes/{setup['campaign'].pk}/cloturer/"
    response = client.post(url, follow=True)  # not confirmed
    assert "Cochez la case de confirmation" in response.content.decode()
    assert not CampaignFigure.objects.exists()
    response = client.post(url, {"confirmer": "oui"}, follow=True)
    assert "les chiffres de 3 engagements sont figés" in response.content.decode()
    assert CampaignFigure.objects.count() == 3
    response = client.post(url, {"confirmer": "oui"}, follow=True)
    assert "ne peut plus être modifiée ni clôturée de nouveau" in response.content.decode()
    assert CampaignFigure.objects.count() == 3
    page = client.get(setup["campaign"].get_absolute_url()).content.decode()
    assert "bilan.pdf" in page and "Je confirme la clôture" not in page


def test_campaign_list(setup, staff):
    page = client_for(staff).get("/suivi/campagnes/").content.decode()
    assert "Campagne &lt;2026&gt;" in page and "Pas la nôtre" in page
    lead_page = client_of("lead", setup).get("/suivi/campagnes/").content.decode()
    assert "Campagne &lt;2026&gt;" in lead_page and "Pas la nôtre" not in lead_page


def test_the_open_campaign_on_the_tracking_space(setup):
    page = client_of("lead", setup).get("/suivi/").content.decode()
    assert "Campagne de suivi en cours : Campagne &lt;2026&gt;" in page
    assert "2 engagements sur 3 restent à renseigner pour la campagne" in page
    other = client_of("other_lead", setup).get("/suivi/").content.decode()
    assert "Campagne &lt;2026&gt;" not in other and "Pas la nôtre" in other


# --- Exports and PDF read back -------------------------------------------------------------


def test_csv_export(setup, staff):
    setup["leaves"][1].text = '=HYPERLINK("http://x")'
    setup["leaves"][1].save()
    response = client_for(staff).get(f"/suivi/campagnes/{setup['campaign'].pk}/reponses.csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert [row["Renseigné pour la campagne"] for row in rows] == ["oui", "non", "non"]
    assert rows[0]["Dernier commentaire"] == "<b>Fini</b>"
    assert rows[0]["Statut"] == "Réalisé" and rows[0]["Territoire"] == "Notre ville"
    assert rows[1]["Intitulé"] == '\'=HYPERLINK("http://x")'


def test_xlsx_export(setup, staff):
    setup["leaves"][2].text = "@SUM(1+1)"
    setup["leaves"][2].save()
    response = client_for(staff).get(f"/suivi/campagnes/{setup['campaign'].pk}/reponses.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][5] == "Renseigné pour la campagne"
    assert [row[5] for row in rows[1:]] == ["oui", "non", "non"]
    assert rows[3][4] == "'@SUM(1+1)"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_pdf_holds_the_answers(setup, staff):
    campaign_ = closed(setup, staff)
    report_in_period(setup["leaves"][1], Status.ABANDONED, 0, comment="Après la clôture")
    response = client_for(staff).get(f"/suivi/campagnes/{campaign_.pk}/notre-ville/bilan.pdf")
    text = squeeze(pdf_text(response.content))
    assert squeeze("Bilan de la campagne « Campagne <2026> » — Notre ville") in text
    assert squeeze("1 engagement renseigné sur 3") in text
    assert squeeze("<b>Fini</b>") in text
    assert squeeze("Après la clôture") not in text
    assert squeeze("2 engagements sur 3 n'ont pas été renseignés") in text
    assert squeeze("Réalisé 1 (33,3 %)") in text  # the status chart's bars
    assert squeeze("Non renseigné 2 (66,7 %)") in text


# --- Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("close", [False, True], ids=["open", "closed"])
def test_campaign_page_queries_are_constant(staff, close, django_assert_max_num_queries):
    client = client_for(staff)
    counts = []
    for size in (1, 15):
        territory, leaves = town(f"Ville {size}", size=size)
        for leaf in leaves[::2]:
            report_in_period(leaf, author=staff)
        campaign_ = new_campaign(staff, [territory])
        if close:
            close_campaign(campaign_, staff)
        with django_assert_max_num_queries(14) as captured:
            assert client.get(campaign_.get_absolute_url()).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_campaign_list_queries_are_constant(staff, django_assert_max_num_queries):
    client = client_for(staff)
    territory, _ = town()
    new_campaign(staff, [territory])
    with django_assert_max_num_queries(8) as small:
        client.get("/suivi/campagnes/")
    for index in range(5):
        new_campaign(staff, [territory], title=f"Campagne {index}", opens_on=days_ago(30 + index))
    with django_assert_max_num_queries(len(small)):
        client.get("/suivi/campagnes/")


# --- The public dashboard: the last closed campaign next to today ------------------------------


def test_dashboard_shows_the_last_closed_campaign(
    setup, staff, client, django_assert_max_num_queries
):
    from tests.commitments.views.test_dashboards import (
        DASHBOARD_QUERIES,
        TERRITORY_DASHBOARD_QUERIES,
    )

    assert (
        "Dernière campagne de suivi clôturée"
        not in client.get("/tableau-de-bord/").content.decode()
    )
    campaign_ = closed(setup, staff)
    # After closing: one more commitment done in the same territory, and one elsewhere.
    report_in_period(setup["leaves"][1], Status.DONE, 100)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = client.get("/tableau-de-bord/")
    last = response.context["dashboard"].last_campaign
    assert last.campaign == campaign_
    assert {label: (then, now) for label, then, now in last.rows}["Réalisé"] == (1, 2)
    assert (last.total, last.total_now) == (3, 3)
    page = response.content.decode()
    assert (
        "Dernière campagne de suivi clôturée" in page
        and "Campagne « Campagne &lt;2026&gt; »" in page
    )
    with django_assert_max_num_queries(TERRITORY_DASHBOARD_QUERIES):
        page = client.get("/tableau-de-bord/notre-ville/").content.decode()
    assert "Campagne &lt;2026&gt;" in page
    assert "Dernière campagne" not in client.get("/tableau-de-bord/autre-ville/").content.decode()


def test_tracking_space_with_open_campaigns_queries_are_constant(
    staff, django_assert_max_num_queries
):
    from tests.commitments.views.test_tracking_space import MAX_QUERIES

    territory, _ = town("Ville suivie", slug="ville-suivie")
    lead = lead_of(territory, "chef-suivi")
    client = client_for(lead)
    new_campaign(staff, [territory])
    new_campaign(staff, [territory], title="Deuxième campagne")
    # The space's own budget, plus four for the open campaigns (selectors/campaign_completion.py).
    with django_assert_max_num_queries(MAX_QUERIES["space"] + 4) as small:
        assert "Deuxième campagne" in client.get("/suivi/").content.decode()
    section = territory.protocols.get().sections.get()
    for _ in range(5):
        factories.ActionFactory(operational_objective__strategic_objective__section=section)
    with django_assert_max_num_queries(len(small)):
        assert client.get("/suivi/").status_code == 200


def test_pages_have_an_accessible_structure(setup, staff):
    from tests.support.html import assert_accessible_structure

    client = client_for(staff)
    pages = ["/suivi/campagnes/", setup["campaign"].get_absolute_url(), "/suivi/"]
    for url in pages:
        assert_accessible_structure(client.get(url).content.decode())
    closed(setup, staff)
    for url in [setup["campaign"].get_absolute_url(), "/tableau-de-bord/"]:
        assert_accessible_structure(client.get(url).content.decode())
    assert_accessible_structure(client_of("lead", setup).get(pages[1]).content.decode())
