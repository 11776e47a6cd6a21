"""Optimistic concurrency (admin/version_mixins.py): a save from a stale change form is refused,
the user's input kept and the other person's change named. The lists have no editable column:
status and progress follow the progress updates."""

import pytest

from commitments.enums import Status
from commitments.models import Action, OperationalObjective
from tests.support.admin import (
    admin_url,
    build_tree,
    changeform_data,
    client_for,
    grigny,
    make_user,
)
from tests.support.progress import report_today

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

        first_data.update(start_year="2020", end_year="2022")
        assert first_client.post(change_url, first_data).status_code == 302

        second_data.update(start_year="2021", end_year="2024")
        response = second_client.post(change_url, second_data)
        assert response.status_code == 200  # re-displayed, not saved
        action.refresh_from_db()
        assert (action.start_year, action.end_year) == (2020, 2022)
        page = response.content.decode()
        assert "a été modifié par first-editor" in page
        assert "année de début" in page and "année de fin" in page  # what the other changed
        form = response.context["adminform"].form
        assert form["start_year"].value() == "2021" and form["end_year"].value() == "2024"

        # Saving the same form again is now a deliberate overwrite, and is accepted.
        second_data["version"] = form["version"].value()
        assert second_client.post(change_url, second_data).status_code == 302
        action.refresh_from_db()
        assert (action.start_year, action.end_year) == (2021, 2024)

    def test_a_progress_update_recorded_meanwhile_makes_the_form_stale(self):
        """The rule bumps the version: a form opened before an update is refused, and the
        deliberate overwrite that follows changes the years, never the status."""
        action = build_tree(grigny())["action"]
        client = client_for(make_user("agglomeration"))
        change_url = admin_url(Action, "change", action.pk)
        data = changeform_data(client.get(change_url))
        report_today(action, Status.IN_PROGRESS, 40)  # someone else, meanwhile

        data.update(start_year="2021", end_year="2024")
        response = client.post(change_url, data)
        assert response.status_code == 200
        assert "depuis que vous avez ouvert cette page" in response.content.decode()
        action.refresh_from_db()
        assert action.start_year is None

        data["version"] = response.context["adminform"].form["version"].value()
        assert client.post(change_url, data).status_code == 302
        action.refresh_from_db()
        assert (action.start_year, action.end_year) == (2021, 2024)
        assert (action.status, action.progress) == (Status.IN_PROGRESS, 40)

    def test_stale_save_with_no_difference_is_harmless(self):
        action = build_tree(grigny())["action"]
        client = client_for(make_user("agglomeration"))
        data = changeform_data(client.get(admin_url(Action, "change", action.pk)))
        action.details = "Précisions ajoutées entre-temps"
        action.save()
        data["details"] = "Précisions ajoutées entre-temps"
        assert client.post(admin_url(Action, "change", action.pk), data).status_code == 302

    def test_a_forged_editable_list_post_writes_no_status(self):
        """The list has no editable column any more (status and progress follow the progress
        updates): the POST the old editable list sent changes nothing."""
        action = build_tree(grigny())["action"]
        client = client_for(make_user("agglomeration"))
        list_url = admin_url(Action, "changelist") + f"?id__in={action.pk}"
        data = {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(action.pk),
            "form-0-status": "en_cours",
            "form-0-progress": "20",
            "form-0-version": str(action.version),
            "_save": "Enregistrer",
        }
        response = client.post(list_url, data)
        assert response.status_code == 200
        action.refresh_from_db()
        assert (action.status, action.progress, action.version) == ("non_renseigne", 0, 1)
        assert not action.updates.exists()

    def test_the_list_has_no_editable_row(self):
        action = build_tree(grigny())["action"]
        client = client_for(make_user("agglomeration"))
        response = client.get(admin_url(Action, "changelist") + f"?id__in={action.pk}")
        assert not response.context["cl"].list_editable
        assert response.context["cl"].formset is None
        page = response.content.decode()
        assert 'name="form-0-version"' not in page
        assert 'name="form-0-status"' not in page

    def test_change_form_renders_the_hidden_version(self):
        oo = build_tree(grigny())["oo"]
        client = client_for(make_user("grigny_lead"))
        page = client.get(admin_url(OperationalObjective, "change", oo.pk)).content.decode()
        assert f'type="hidden" name="version" value="{oo.version}"' in page
