"""A person signed in with ProConnect has exactly the rights they have with a password: the
permission matrices of the tracking space (tests/commitments/views/test_tracking_space.py) and of
the admin (tests/commitments/admin/test_role_mixins.py) run again, cell by cell and with the
same expectations, with clients signed in through the real provider (the `proconnect`
fixture) instead of `client_for`'s password session. An inactive lead is refused by ProConnect
as the matrix expects them to be refused.

(The session of a ProConnect sign-in is the one of a password login: territories/proconnect/
pages.py logs in with Django's ModelBackend.)"""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from territories.proconnect.logout import ID_TOKEN_SESSION_KEY
from tests.commitments.admin import test_role_mixins as admin_matrix
from tests.commitments.views import test_tracking_space as space_matrix
from tests.support.proconnect import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]


def client_through_proconnect(user):
    """The matrices' `client_for`, signing in with ProConnect (by the user's address)."""
    client = Client()
    if user is None:
        return client
    response = sign_in(client, user.email)
    if not user.is_active:
        assert response.status_code == 403
        assert SESSION_KEY not in client.session
        return client
    assert response.status_code == 302, response.content.decode()[:1000]
    assert client.session[SESSION_KEY] == str(user.pk)
    assert ID_TOKEN_SESSION_KEY in client.session
    return client


@pytest.fixture
def through_proconnect(proconnect, monkeypatch):
    for module in (space_matrix, admin_matrix):
        monkeypatch.setattr(module, "client_for", client_through_proconnect)


@pytest.mark.usefixtures("through_proconnect")
@pytest.mark.parametrize(("target", "method"), space_matrix.MATRIX)
@pytest.mark.parametrize("role", ["grigny_lead", "inactive_lead", "agglomeration"])
def test_the_tracking_space(role, target, method):
    space_matrix.test_permission_matrix(role, target, method, None)


@pytest.mark.usefixtures("through_proconnect")
@pytest.mark.parametrize("operation", admin_matrix.OPERATIONS)
@pytest.mark.parametrize("model_key", list(admin_matrix.MODELS))
@pytest.mark.parametrize("place", list(admin_matrix.PLACES))
@pytest.mark.parametrize("role", ["grigny_lead", "agglomeration"])
def test_the_admin(role, place, model_key, operation, superuser_client):
    admin_matrix.test_permission_matrix(role, place, model_key, operation, superuser_client)
