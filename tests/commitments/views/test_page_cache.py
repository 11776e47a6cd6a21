"""Public pages are cached for anonymous visitors and invalidated by any change in the data."""

import pytest

from commitments.enums import Status
from commitments.models import Action, Partner
from commitments.services.elements import save_element
from tests.factories import UserFactory
from tests.support.progress import report_today
from tests.support.seed import grigny_actions

pytestmark = pytest.mark.django_db

GRIGNY = "/territoires/grigny/"


def test_second_visit_is_served_from_cache(client, django_assert_num_queries):
    client.get(GRIGNY)
    with django_assert_num_queries(1):  # the content version only
        response = client.get(GRIGNY)
    assert response.status_code == 200
    assert "Grigny" in response.content.decode()


def test_an_edit_changes_the_next_page(client):
    action = grigny_actions().first()
    client.get(GRIGNY)
    action.text = "Texte modifié dans l'administration"
    save_element(action)
    assert "Texte modifié dans l&#x27;administration" in client.get(GRIGNY).content.decode()


def test_a_partner_rename_changes_the_pages_that_name_it(client):
    partner = Partner.objects.filter(actions__in=grigny_actions()).first()
    assert partner is not None
    assert partner.name in client.get(GRIGNY).content.decode()
    partner.name = "Partenaire renommé"
    save_element(partner)
    assert "Partenaire renommé" in client.get(GRIGNY).content.decode()


def test_logged_in_users_always_get_a_fresh_page(client, django_assert_max_num_queries):
    client.force_login(UserFactory(username="chef"))
    client.get(GRIGNY)
    response = client.get(GRIGNY)
    assert response.status_code == 200
    with pytest.raises(pytest.fail.Exception), django_assert_max_num_queries(2):
        client.get(GRIGNY)


def test_errors_are_not_cached(client):
    assert client.get("/territoires/nulle-part/").status_code == 404
    assert client.get("/engagements/?statut=inconnu").status_code == 400
    assert client.get("/engagements/?statut=inconnu").status_code == 400


def test_an_edit_in_another_city_leaves_the_page_cached(client, django_assert_num_queries):
    client.get(GRIGNY)
    other_city = Action.objects.exclude(pk__in=grigny_actions()).first()
    report_today(other_city, Status.IN_PROGRESS, 40)
    with django_assert_num_queries(1):  # the territory's content version only
        assert client.get(GRIGNY).status_code == 200
