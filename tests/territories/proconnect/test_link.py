"""An account's link to ProConnect where people see it: on /compte/ (the user's own page) and in
the user admin (state column, the change page), removed by the staff who manage accounts (the
action « Retirer le lien ProConnect », recorded in the user's history and the security log)."""

import html

import pytest
from django.contrib.admin.models import LogEntry

from territories.models import ProConnectLink
from tests.support.admin import client_for, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

USERS = "/admin/auth/user/"


@pytest.fixture
def linked_lead():
    lead = make_user("grigny_lead")
    ProConnectLink.objects.create(user=lead, sub="sub-lea", email="lea@ville-grigny.fr")
    return lead


def test_the_account_page_shows_the_link(linked_lead, settings):
    settings.PROCONNECT = None  # shown even when ProConnect is no longer offered
    page = client_for(linked_lead).get("/compte/").content.decode()
    assert '<h2 id="proconnect">ProConnect</h2>' in page
    assert "Votre compte est relié à votre identité ProConnect (lea@ville-grigny.fr)" in page


def test_the_account_page_without_a_link(settings):
    lead = make_user("grigny_lead")
    settings.PROCONNECT = None
    assert "ProConnect" not in client_for(lead).get("/compte/").content.decode()
    settings.PROCONNECT = {
        "discovery_url": "http://127.0.0.1:9/",
        "client_id": "a",
        "client_secret": "b",
    }
    page = html.unescape(client_for(lead).get("/compte/").content.decode())
    assert "Votre compte n'est pas relié à ProConnect" in page


@pytest.mark.parametrize("linked", [0, 25])
def test_the_account_page_reads_a_constant_number_of_queries(linked, django_assert_max_num_queries):
    for number in range(linked):
        user = make_user("grigny_lead", username=f"chef-{number}")
        ProConnectLink.objects.create(user=user, sub=f"sub-{number}", email=user.email)
    lead = make_user("grigny_lead", username="chef-lu")
    ProConnectLink.objects.create(user=lead, sub="sub-lu", email=lead.email)
    client = client_for(lead)
    with django_assert_max_num_queries(12):
        assert client.get("/compte/").status_code == 200


def test_staff_see_and_remove_the_link(linked_lead, superuser_client, caplog):
    other = make_user("agglomeration")
    listing = superuser_client.get(USERS).content.decode()
    assert "relié le" in listing and "non relié" in listing
    change = superuser_client.get(f"{USERS}{linked_lead.pk}/change/").content.decode()
    assert "lea@ville-grigny.fr" in change

    response = superuser_client.post(
        USERS, {"action": "unlink_proconnect", "_selected_action": [linked_lead.pk, other.pk]}
    )
    assert response.status_code == 302
    assert not ProConnectLink.objects.exists()
    entry = LogEntry.objects.get(object_id=str(linked_lead.pk))
    assert "Lien ProConnect retiré." in entry.get_change_message()
    assert f"Lien ProConnect de {linked_lead.username} retiré par superuser-client" in caplog.text
    response = superuser_client.post(
        USERS, {"action": "unlink_proconnect", "_selected_action": [linked_lead.pk]}, follow=True
    )
    page = html.unescape(response.content.decode())
    assert "Aucun des comptes choisis n'était relié à ProConnect." in page


def test_the_agglomeration_and_leads_cannot_remove_links(linked_lead, agglo_client):
    for client in (agglo_client, client_for(linked_lead)):
        response = client.post(
            USERS, {"action": "unlink_proconnect", "_selected_action": [linked_lead.pk]}
        )
        assert response.status_code == 403
    assert ProConnectLink.objects.filter(user=linked_lead).exists()


def test_the_user_list_costs_no_query_per_user(superuser_client, django_assert_max_num_queries):
    for number in range(12):
        user = make_user("grigny_lead", username=f"chef-{number}")
        ProConnectLink.objects.create(user=user, sub=f"sub-{number}", email=user.email)
    superuser_client.get(USERS)
    with django_assert_max_num_queries(12):
        superuser_client.get(USERS)
