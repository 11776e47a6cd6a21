"""Who reaches the account pages (territories/views.py), GET and POST, as each role: anonymous,
a Grigny lead, a Corbeil lead, agglomeration staff, a superuser. Pages for a logged-in user send
anonymous visitors to /compte/connexion/; invitations are for agglomeration staff only."""

import pytest
from django.contrib.auth.models import Group

from territories.models import TerritoryMembership
from territories.roles import CITY_LEAD_GROUP
from tests import factories
from tests.support.admin import client_for, corbeil, make_user

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "grigny_lead", "corbeil_lead", "agglomeration", "superuser")
MEMBERS = {"grigny_lead": 200, "corbeil_lead": 200, "agglomeration": 200, "superuser": 200}
STAFF = {"grigny_lead": 403, "corbeil_lead": 403, "agglomeration": 200, "superuser": 200}


def user_for(role):
    if role == "corbeil_lead":
        make_user("grigny_lead")  # the groups
        user = factories.UserFactory(username="test-corbeil-lead", is_staff=True)
        user.groups.add(Group.objects.get(name=CITY_LEAD_GROUP))
        TerritoryMembership.objects.create(user=user, territory=corbeil())
        return user
    return make_user(role)


def expected(path, role, table, anonymous=302):
    return anonymous if role == "anonymous" else table.get(role, 200)


# (path, GET answer per role, POST data, POST answer per role)
CASES = [
    ("/compte/", MEMBERS, {"reminders": "on"}, dict.fromkeys(MEMBERS, 302)),
    ("/compte/invitations/", STAFF, {}, {**STAFF, "agglomeration": 400, "superuser": 400}),
    ("/compte/mot-de-passe/", MEMBERS, {}, dict.fromkeys(MEMBERS, 400)),
]
PUBLIC = [
    ("/compte/connexion/", 200, {}, 400),
    ("/compte/mot-de-passe-oublie/", 200, {}, 400),
    ("/compte/mot-de-passe-oublie/envoye/", 200, None, None),
    ("/compte/mot-de-passe-oublie/termine/", 200, None, None),
    ("/compte/mot-de-passe-oublie/MQ/mauvais-jeton/", 200, {}, 200),
    ("/compte/bienvenue/MQ/mauvais-jeton/", 200, {}, 200),
    ("/compte/deconnexion/", 405, {}, 302),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "get_table", "data", "post_table"), CASES)
def test_member_pages(role, path, get_table, data, post_table, fast_password_hasher):
    client = client_for(user_for(role))
    response = client.get(path)
    assert response.status_code == expected(path, role, get_table)
    if role == "anonymous":
        assert response["Location"] == f"/compte/connexion/?next={path}"
    response = client.post(path, data)
    assert response.status_code == expected(path, role, post_table)
    if role == "anonymous":
        assert response["Location"].startswith("/compte/connexion/?next=")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "get_status", "data", "post_status"), PUBLIC)
def test_public_pages(role, path, get_status, data, post_status, fast_password_hasher):
    client = client_for(user_for(role))
    assert client.get(path).status_code == get_status
    if data is not None:
        assert client.post(path, data).status_code == post_status


@pytest.mark.parametrize("path", ["/compte/", "/compte/invitations/"])
@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(path, method, agglo_client):
    assert getattr(agglo_client, method)(path).status_code == 405


def test_a_lead_cannot_invite_even_by_post(fast_password_hasher):
    client = client_for(user_for("grigny_lead"))
    response = client.post(
        "/compte/invitations/",
        {
            "email": "x@example.org",
            "first_name": "X",
            "last_name": "Y",
            "territories": [corbeil().pk],
        },
    )
    assert response.status_code == 403
    assert not TerritoryMembership.objects.filter(user__email="x@example.org").exists()
