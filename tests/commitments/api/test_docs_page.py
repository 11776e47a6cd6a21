"""/api/docs/ (commitments/api/docs_page.py): Swagger UI in the site's template, and OPTIONS
answered instead of a 500 ("No template names provided" before)."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_page_answers(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="fr"' in html
    assert '<script src="/api/docs/?script="></script>' in html  # loads /api/schema/


@pytest.mark.parametrize("path", ["/api/docs/", "/api/schema/", "/api/", "/api/v1/actions/"])
def test_options_as_anonymous_is_never_a_500(client, path):
    response = client.options(path)
    assert response.status_code in (200, 405), (path, response.status_code)


def test_options_on_the_docs_lists_the_methods(client, agglo_client):
    for browser in (client, agglo_client):
        response = browser.options("/api/docs/")
        assert response.status_code == 200
        allowed = {method.strip() for method in response["Allow"].split(",")}
        assert {"GET", "HEAD", "OPTIONS"} <= allowed
        assert "POST" not in allowed
        assert response.content == b""
