"""Campaigns in the admin (commitments/admin/campaign_admin.py): staff only, by role; writes through
services/campaign_lifecycle.py (every territory when none is chosen, French validation, a closed
campaign read-only and never deleted); "Clôturer la campagne" with a confirmation page; frozen
figures and notifications read-only."""

import pytest
from django.urls import reverse

from commitments.models import Campaign, CampaignFigure, Notification
from territories.models import Territory
from tests.support.admin import admin_url, client_for, make_user
from tests.support.campaigns import (
    MATRIX_ROLES,
    campaign_fields,
    campaigns_sample,
    matrix_user,
    new_campaign,
    town,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]


@pytest.fixture
def staff():
    return make_user("agglomeration")


@pytest.fixture
def setup(staff):
    ours, _ = town("Notre ville", slug="notre-ville")
    theirs, _ = town("Autre ville", slug="autre-ville")
    return {"ours": ours, "theirs": theirs, "campaign": new_campaign(staff, [ours])}


def close_url(campaign_):
    return reverse("admin:commitments_campaign_close", args=[campaign_.pk])


def form_data(**fields):
    data = {
        k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in campaign_fields().items()
    }
    data.update(fields)
    return data


# --- The permission matrix ------------------------------------------------------------------

# Staff see and manage; leads (of the campaign's territory or not) get 403 from the admin views of
# campaigns; anonymous users go to the login page.
STAFF = (302, 403, 403, 200, 200)


@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_permission_matrix(setup, role):
    user = matrix_user(role, setup["ours"], setup["theirs"])
    client = client_for(user)
    sample = campaigns_sample()
    figure, notification = CampaignFigure.objects.first(), Notification.objects.get()
    pages = [
        admin_url(Campaign, "changelist"),
        admin_url(Campaign, "add"),
        admin_url(Campaign, "change", setup["campaign"].pk),
        admin_url(Campaign, "change", sample.pk),
        close_url(setup["campaign"]),
        admin_url(CampaignFigure, "changelist"),
        admin_url(CampaignFigure, "change", figure.pk),
        admin_url(Notification, "changelist"),
        admin_url(Notification, "change", notification.pk),
    ]
    expected = STAFF[MATRIX_ROLES.index(role)]
    for url in pages:
        response = client.get(url)
        assert response.status_code == expected, url
    # POST: closing, creating, changing.
    assert client.post(close_url(setup["campaign"])).status_code in (
        {302} if expected in (200, 302) else {403}
    )
    closed = Campaign.objects.get(pk=setup["campaign"].pk).is_closed
    assert closed == (role in ("agglomeration", "superuser"))
    response = client.post(admin_url(Campaign, "add"), form_data(title="Par POST"))
    assert response.status_code == (302 if expected != 403 else 403)
    assert Campaign.objects.filter(title="Par POST").exists() == (expected == 200)
    if role in ("lead", "other_lead"):
        # Nothing of campaigns in a lead's admin index.
        index = client.get(reverse("admin:index")).content.decode()
        assert "Campagnes de suivi" not in index and "Notifications" not in index


# --- Writes go through the services ---------------------------------------------------------


def test_add_without_territory_means_every_territory(staff):
    client = client_for(staff)
    response = client.post(admin_url(Campaign, "add"), form_data(title="Campagne admin"))
    assert response.status_code == 302
    campaign_ = Campaign.objects.get(title="Campagne admin")
    assert campaign_.territories.count() == Territory.objects.count()
    assert campaign_.created_by == staff


def test_add_with_chosen_territories(staff, setup):
    client = client_for(staff)
    data = form_data(title="Choisie", territories=[setup["theirs"].pk])
    assert client.post(admin_url(Campaign, "add"), data).status_code == 302
    assert list(Campaign.objects.get(title="Choisie").territories.all()) == [setup["theirs"]]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"period_end": "2000-01-01"}, "La fin de la période doit être postérieure"),
        ({"deadline": "2000-01-01"}, "L&#x27;échéance doit être postérieure"),
        ({"opens_on": "pas une date"}, "Saisissez une date valide"),
        ({"territories": ["abc"]}, "«\xa0abc\xa0» n’est pas une valeur correcte"),
    ],
)
def test_bad_input_is_a_french_message(staff, changes, message):
    response = client_for(staff).post(admin_url(Campaign, "add"), form_data(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Campaign.objects.exists()


def test_change_then_closed_is_read_only(staff, setup):
    client = client_for(staff)
    url = admin_url(Campaign, "change", setup["campaign"].pk)
    data = form_data(title="Renommée", territories=[setup["ours"].pk])
    assert client.post(url, data).status_code == 302
    assert Campaign.objects.get(pk=setup["campaign"].pk).title == "Renommée"
    page = client.get(url).content.decode()
    assert "Clôturer la campagne" in page
    client.post(close_url(setup["campaign"]))
    assert "Clôturer la campagne" not in client.get(url).content.decode()
    assert client.post(url, {**data, "title": "Après"}).status_code == 403
    assert Campaign.objects.get(pk=setup["campaign"].pk).title == "Renommée"
    delete = admin_url(Campaign, "delete", setup["campaign"].pk)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Campaign.objects.filter(pk=setup["campaign"].pk).exists()


def test_close_with_confirmation(staff, setup):
    client = client_for(staff)
    page = client.get(close_url(setup["campaign"])).content.decode()
    assert "Oui, clôturer la campagne" in page and not CampaignFigure.objects.exists()
    response = client.post(close_url(setup["campaign"]), follow=True)
    assert "les chiffres de 3 engagements sont figés" in response.content.decode()
    assert CampaignFigure.objects.count() == 3
    response = client.post(close_url(setup["campaign"]), follow=True)
    assert "ne peut plus être modifiée ni clôturée de nouveau" in response.content.decode()
    assert CampaignFigure.objects.count() == 3
    for pk in ("999999", "abc", str(2**63), "99999999999999999999999"):
        url = f"/admin/commitments/campaign/{pk}/cloturer/"
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404


def test_close_action_goes_to_the_confirmation(staff, setup):
    client = client_for(staff)
    url = admin_url(Campaign, "changelist")
    data = {"action": "close_selected", "_selected_action": [setup["campaign"].pk]}
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == close_url(setup["campaign"])
    other = new_campaign(staff, [setup["theirs"]], title="Autre")
    data["_selected_action"] = [setup["campaign"].pk, other.pk]
    response = client.post(url, data, follow=True)
    assert "Sélectionnez une seule campagne à clôturer" in response.content.decode()
    assert not CampaignFigure.objects.exists()


def test_notifications_list_escapes_and_filters(staff):
    campaigns_sample()
    client = client_for(staff)
    page = client.get(admin_url(Notification, "changelist")).content.decode()
    assert "SMTP &lt;refus&gt;" in page
    for value in ("envoyee", "en_attente", "erreur"):
        assert (
            client.get(admin_url(Notification, "changelist"), {"envoi": value}).status_code == 200
        )


def test_figures_list_queries_are_constant(staff, django_assert_max_num_queries):
    client = client_for(staff)
    campaigns_sample()
    url = admin_url(CampaignFigure, "changelist")
    with django_assert_max_num_queries(12) as captured:
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(len(captured)):
        assert client.get(url, {"p": "2"}).status_code in (200, 302)
