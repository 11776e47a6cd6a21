"""Optimistic concurrency (admin/concurrency.py): a save from a stale change form or editable
list is refused, the user's input kept and the other person's change named."""

import pytest

from commitments.models import Action, OperationalObjective
from tests.support.admin import (
    admin_url,
    build_tree,
    changeform_data,
    client_for,
    grigny,
    make_user,
)

pytestmark = pytest.mark.usefixtures("fast_password_hasher")


@pytest.mark.django_db
class TestConcurrentEdits:
    def test_second_save_from_a_stale_page_is_refused_and_input_kept(self):
        action = build_tree(grigny())["action"]
        first = make_user("agglomeration", username="first-editor")
        second = make_user("grigny_lead", username="second-editor")
        first_client, second_client = client_for(first), client_for(second)
        change_url = admin_url(Action, "change", action.pk)
        first_data = changeform_data(first_client.get(change_url))
        second_data = changeform_data(second_client.get(change_url))

        first_data.update(status="realise", progress="100")
        assert first_client.post(change_url, first_data).status_code == 302

        second_data.update(status="abandonne", progress="12")
        response = second_client.post(change_url, second_data)
        assert response.status_code == 200  # re-displayed, not saved
        action.refresh_from_db()
        assert (action.status, action.progress) == ("realise", 100)
        page = response.content.decode()
        assert "a été modifié par first-editor" in page
        assert "statut" in page and "avancement" in page  # what the other person changed
        form = response.context["adminform"].form
        assert form["status"].value() == "abandonne" and form["progress"].value() == "12"

        # Saving the same form again is now a deliberate overwrite, and is accepted.
        second_data["version"] = form["version"].value()
        assert second_client.post(change_url, second_data).status_code == 302
        action.refresh_from_db()
        assert (action.status, action.progress) == ("abandonne", 12)

    def test_stale_save_with_no_difference_is_harmless(self):
        action = build_tree(grigny())["action"]
        client = client_for(make_user("agglomeration"))
        data = changeform_data(client.get(admin_url(Action, "change", action.pk)))
        action.details = "Précisions ajoutées entre-temps"
        action.save()
        data["details"] = "Précisions ajoutées entre-temps"
        assert client.post(admin_url(Action, "change", action.pk), data).status_code == 302

    def test_stale_row_in_the_editable_list_is_refused(self):
        action = build_tree(grigny())["action"]
        client = client_for(make_user("agglomeration"))
        list_url = admin_url(Action, "changelist") + f"?id__in={action.pk}"
        stale_version = action.version
        action.progress = 80
        action.save()  # someone else, meanwhile
        data = {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(action.pk),
            "form-0-status": "en_cours",
            "form-0-progress": "20",
            "form-0-version": str(stale_version),
            "_save": "Enregistrer",
        }
        response = client.post(list_url, data)
        assert response.status_code == 200
        assert "depuis que vous avez ouvert cette page" in response.content.decode()
        action.refresh_from_db()
        assert (action.status, action.progress) == ("non_renseigne", 80)

        data["form-0-version"] = str(action.version)
        assert client.post(list_url, data).status_code == 302
        action.refresh_from_db()
        assert (action.status, action.progress) == ("en_cours", 20)

    def test_the_editable_list_renders_the_version_of_each_row(self):
        action = build_tree(grigny())["action"]
        client = client_for(make_user("agglomeration"))
        page = client.get(admin_url(Action, "changelist") + f"?id__in={action.pk}").content.decode()
        assert 'name="form-0-version"' in page

    def test_change_form_renders_the_hidden_version(self):
        oo = build_tree(grigny())["oo"]
        client = client_for(make_user("grigny_lead"))
        page = client.get(admin_url(OperationalObjective, "change", oo.pk)).content.decode()
        assert f'type="hidden" name="version" value="{oo.version}"' in page
