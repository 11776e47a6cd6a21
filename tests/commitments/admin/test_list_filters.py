"""Admin lists: search (accent-insensitive on PostgreSQL) and the territory and thematic filters
(admin/list_filters.py), which never crash on a bad value."""

import pytest

from commitments.enums import Status
from commitments.models import Action
from tests.support.admin import admin_url, build_tree, grigny
from tests.support.progress import report_today

pytestmark = pytest.mark.usefixtures("fast_password_hasher")


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["abc", "999999999", "-1"])
def test_bad_object_ids_never_crash(bad, superuser_client):
    response = superuser_client.get(f"/admin/commitments/action/{bad}/change/")
    assert response.status_code in (302, 404)  # the admin redirects to the list with a message
    response = superuser_client.get("/admin/commitments/action/", {"territoire": bad})
    assert response.status_code == 200


@pytest.mark.django_db
class TestSearch:
    def test_search_ignores_case(self, superuser_client):
        action = build_tree(grigny())["action"]
        action.text = "Créer une Maison de l'Emploi à Évry"
        action.save()
        response = superuser_client.get(
            admin_url(Action, "changelist"), {"q": "maison de l'emploi"}
        )
        assert action in response.context["cl"].result_list

    @pytest.mark.postgres_only(reason="unaccent is a PostgreSQL extension")
    def test_search_ignores_accents_on_postgresql(self, superuser_client):
        action = build_tree(grigny())["action"]
        action.text = "Créer une Maison de l'Emploi à Évry"
        action.save()
        for term in ("evry", "ÉVRY", "creer", "Créer"):
            response = superuser_client.get(admin_url(Action, "changelist"), {"q": term})
            assert action in response.context["cl"].result_list, term

    def test_filters_by_territory_thematic_status(self, superuser_client):
        tree = build_tree(grigny())
        action = tree["action"]
        report_today(action, Status.IN_PROGRESS, 0)
        params = {
            "territoire": grigny().pk,
            "thematique": tree["section"].thematic_id,
            "status__exact": "en_cours",
        }
        response = superuser_client.get(admin_url(Action, "changelist"), params)
        assert list(response.context["cl"].result_list) == [action]
