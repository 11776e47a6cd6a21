"""The spreadsheet import and export of tracking in the admin (admin/spreadsheets.py): for the
agglomeration staff only; upload, preview of every change, confirmation. The `territory` fixture
(Grand Paris Sud) is in tests/conftest.py."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from import_export.formats.base_formats import CSV

from commitments.enums import Status
from commitments.models import Action, OperationalObjective
from commitments.services.spreadsheet import IMPORT_COMMENT, ActionTrackingResource
from tests.support.admin import admin_url, client_for, make_user
from tests.support.spreadsheet import export, fill

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Action, OperationalObjective])
@pytest.mark.parametrize(
    ("role", "allowed"), [("agglomeration", True), ("superuser", True), ("grigny_lead", False)]
)
def test_spreadsheet_import_export_is_for_agglomeration_staff(model, role, allowed):
    client = client_for(make_user(role))
    for view in ("export", "import"):
        response = client.get(admin_url(model, view))
        assert (response.status_code == 200) is allowed, (view, response.status_code)
        if not allowed:
            assert response.status_code == 403
    changelist = client.get(admin_url(model, "changelist")).content.decode()
    assert (admin_url(model, "export") in changelist) is allowed


class TestAdmin:
    """The whole admin flow: upload, preview of every change, confirmation."""

    def upload(self, admin_client, dataset):
        content = CSV().export_data(dataset).encode("utf-8")
        formats = [f.__name__ for f in _import_formats(admin_client)]
        return admin_client.post(
            "/admin/commitments/action/import/",
            {
                "format": formats.index("CSV"),
                "import_file": SimpleUploadedFile("suivi.csv", content, "text/csv"),
                "resource": 0,
            },
        )

    def test_preview_then_confirm(self, admin_client, territory):
        dataset = export(ActionTrackingResource, territory)
        pk = dataset[0][0]
        # "Réalisé" means 100 %: the file says both.
        changes = {pk: {"statut": "Réalisé", "avancement": "100"}}
        response = self.upload(admin_client, fill(dataset, changes))
        assert response.status_code == 200
        confirm = response.context["confirm_form"]
        assert confirm is not None
        assert Action.objects.get(pk=pk).status != Status.DONE  # preview only
        # The preview shows the change of the row, where it sits and what it says.
        (row,) = [r for r in response.context["result"].rows if r.import_type == "update"]
        assert "<ins" in row.diff[4] and "Réalis" in row.diff[4]
        assert territory.name in row.diff[1] and re.search(r"\d+\.\d+\.\d+\.\d+", row.diff[2])
        assert "Mettre à jour" in response.content.decode()

        done = admin_client.post(
            "/admin/commitments/action/process_import/",
            {name: confirm[name].value() for name in confirm.fields},
        )
        assert done.status_code == 302
        action = Action.objects.get(pk=pk)
        assert (action.status, action.progress) == (Status.DONE, 100)
        # Recorded as a progress update dated today, signed by whoever imported the file.
        update = action.updates.get()
        assert (update.status, update.progress, update.date) == (
            Status.DONE,
            100,
            timezone.localdate(),
        )
        assert update.author.username == "admin" and update.comment == IMPORT_COMMENT

    def test_bad_row_shows_its_number_and_no_confirmation(self, admin_client, territory):
        dataset = export(ActionTrackingResource, territory)
        first, second = dataset[0][0], dataset[1][0]
        filled = fill(dataset, {first: {"statut": "Réalisé"}, second: {"avancement": "300"}})
        response = self.upload(admin_client, filled)
        assert response.status_code == 200
        assert response.context.get("confirm_form") is None
        page = response.content.decode()
        assert "entre 0 et 100" in page
        assert Action.objects.get(pk=first).status != Status.DONE

    def test_file_without_id_column_is_refused_in_french(self, admin_client, territory):
        dataset = export(ActionTrackingResource, territory)
        del dataset["id"]
        response = self.upload(admin_client, dataset)
        assert response.status_code == 200
        assert response.context.get("confirm_form") is None
        page = response.content.decode()
        assert "Colonne « id » absente" in page
        for leak in ("Traceback", "site-packages", 'File "', "import_id_fields"):
            assert leak not in page

    def test_duplicate_ids_are_refused_with_their_lines(self, admin_client, territory):
        dataset = export(ActionTrackingResource, territory)
        first = dataset[0][0]
        before = Action.objects.get(pk=first).status
        doubled = fill(dataset, {first: {"statut": "En cours", "avancement": "40"}})
        doubled.append(dataset[0])  # the same commitment again, on the last line
        response = self.upload(admin_client, doubled)
        assert response.context.get("confirm_form") is None
        page = response.content.decode()
        last = len(doubled) + 1  # the header is line 1
        assert f"L&#x27;identifiant {first} apparaît sur plusieurs lignes (2 et {last})" in page
        assert Action.objects.get(pk=first).status == before


def _import_formats(admin_client):
    from django.contrib import admin

    from commitments.models import Action as ActionModel

    return admin.site._registry[ActionModel].get_import_formats()


@pytest.mark.django_db
@pytest.mark.parametrize("step", ["import", "export"])
def test_the_spreadsheet_pages_say_what_they_handle(step, agglo_client):
    html = agglo_client.get(f"/admin/commitments/operationalobjective/{step}/").content.decode()
    verb = {"import": "Importer", "export": "Exporter"}[step]
    assert f"<h1>{verb} le suivi des objectifs opérationnels (tableur)</h1>" in html
    assert f"<title>{verb} le suivi des objectifs opérationnels (tableur) |" in html
