"""The error pages of production (DEBUG off): 400, 403, 404 and 500 answer with the site's own
French page (base layout, skip link, a way back home) and leak nothing — no traceback, no
server path, no setting, no exception text from code (only a PermissionDenied's message, which
the project writes for users)."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, override_settings
from django.urls import include, path

pytestmark = pytest.mark.django_db

SECRET_MESSAGE = "détail interne /srv/perer/secret.py"


def _boom(request):
    raise RuntimeError(SECRET_MESSAGE)


def _suspicious(request):
    raise SuspiciousOperation(SECRET_MESSAGE)


def _forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("essai/erreur/", _boom),
    path("essai/suspect/", _suspicious),
    path("essai/interdit/", _forbidden),
    path("", include("perer.urls")),
]

LEAKS = ("Traceback", 'File "', "site-packages", str(settings.BASE_DIR), SECRET_MESSAGE)


@pytest.fixture
def production_client():
    with override_settings(DEBUG=False, ROOT_URLCONF=__name__):
        client = Client(raise_request_exception=False)
        yield client


@pytest.mark.parametrize(
    ("url", "status", "title"),
    [
        ("/essai/suspect/", 400, "Requête invalide"),
        ("/essai/interdit/", 403, "Accès refusé"),
        ("/territoires/nulle-part/", 404, None),
        ("/essai/erreur/", 500, "Le portail a rencontré une erreur"),
    ],
)
def test_error_pages_are_french_and_leak_nothing(production_client, url, status, title):
    response = production_client.get(url)
    assert response.status_code == status
    page = response.content.decode()
    assert '<html lang="fr"' in page
    assert '<a class="skip-link" href="#contenu">Aller au contenu</a>' in page
    assert 'href="/"' in page  # a way back home
    if title:
        assert title in page
    for leak in LEAKS:
        assert leak not in page, (url, leak)


def test_bad_host_is_a_400_page(production_client):
    response = production_client.get("/", HTTP_HOST="attaquant.example")
    assert response.status_code == 400
    assert "attaquant.example" not in response.content.decode()
