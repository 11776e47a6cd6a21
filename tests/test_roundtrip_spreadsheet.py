"""Spreadsheet round-trip of progress: export a territory's tracking rows, fill them, import
them back with a preview; nothing is applied unless every row is valid."""

import re

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from import_export.formats.base_formats import CSV, XLSX

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, Protocol
from commitments.services.spreadsheet import (
    ActionTrackingResource,
    OperationalObjectiveTrackingResource,
)
from territories.models import Territory
from tests import factories

pytestmark = pytest.mark.django_db

HEADERS = [
    "id",
    "territoire",
    "chemin",
    "intitule",
    "statut",
    "avancement",
    "pilote",
    "annee_debut",
    "annee_fin",
]


@pytest.fixture
def territory():
    return Territory.objects.get(slug="grand-paris-sud")


def export(resource_class, territory):
    queryset = resource_class._meta.model.objects.for_territory(territory)
    return resource_class().export(queryset=queryset)


def tracking(model, pks):
    return {
        row["pk"]: row
        for row in model.objects.filter(pk__in=pks).values(
            "pk", "text", "position", "status", "progress", "lead", "start_year", "end_year"
        )
    }


def row_messages(result):
    """(row number, message) for every invalid or failed row."""
    messages = []
    for invalid in result.invalid_rows:
        for errors in invalid.error_dict.values():
            messages += [(invalid.number, str(error)) for error in errors]
        messages += [(invalid.number, str(error)) for error in invalid.non_field_specific_errors]
    for number, errors in result.row_errors():
        messages += [(number, str(error.error)) for error in errors]
    return messages


class TestExport:
    def test_territory_rows_in_document_order(self, territory):
        dataset = export(ActionTrackingResource, territory)
        assert dataset.headers == HEADERS
        expected = list(
            Action.objects.for_territory(territory).in_document_order().values_list("pk", "text")
        )
        assert [(row[0], row[3]) for row in dataset] == expected
        assert {row[1] for row in dataset} == {territory.name}
        assert all(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", row[2]) for row in dataset)
        assert {row[4] for row in dataset} <= set(Status.labels)

    def test_operational_objectives_too(self, territory):
        dataset = export(OperationalObjectiveTrackingResource, territory)
        assert len(dataset) == OperationalObjective.objects.for_territory(territory).count()
        assert all(re.fullmatch(r"\d+\.\d+\.\d+", row[2]) for row in dataset)

    def test_xlsx_and_csv_files(self, territory):
        dataset = export(ActionTrackingResource, territory)
        xlsx = XLSX().export_data(dataset)
        assert xlsx[:2] == b"PK"  # a zip: an Office Open XML workbook
        back = XLSX().create_dataset(xlsx)
        assert back.headers == HEADERS and len(back) == len(dataset)
        text = CSV().export_data(dataset)
        assert text.splitlines()[0] == ",".join(HEADERS)

    def test_formula_in_text_is_neutralized(self):
        action = factories.ActionFactory(text="=1+1")
        dataset = ActionTrackingResource().export(queryset=Action.objects.filter(pk=action.pk))
        assert dataset[0][3] == "'=1+1"


def fill(dataset, changes):
    """A copy of the export where the rows whose id is in `changes` get new cells."""
    filled = tablib.Dataset(headers=dataset.headers)
    for row in dataset:
        row = dict(zip(dataset.headers, row, strict=True))
        row.update(changes.get(row["id"], {}))
        filled.append([row[h] for h in dataset.headers])
    return filled


class TestImport:
    @pytest.fixture
    def exported(self, territory):
        return export(ActionTrackingResource, territory)

    def test_valid_file_previews_then_updates_status_and_progress(self, exported):
        lead = factories.PartnerFactory(name="Mission locale de test", acronym="MLT")
        ids = [row[0] for row in exported][:3]
        protocol = Protocol.objects.get(territory__slug="grand-paris-sud")
        Protocol.objects.filter(pk=protocol.pk).update(
            last_changed_at=timezone.now() - timezone.timedelta(days=1)
        )
        before = tracking(Action, ids)
        filled = fill(
            exported,
            {
                ids[0]: {"statut": "Réalisé", "avancement": "100"},
                ids[1]: {"statut": "en_cours", "avancement": "45 %", "pilote": "mlt"},
                # The text is read-only: a changed text in the file changes nothing.
                ids[2]: {"statut": "PRÉVU", "annee_debut": 2021, "intitule": "Autre texte"},
            },
        )

        preview = ActionTrackingResource().import_data(filled, dry_run=True)
        assert not preview.has_errors() and not preview.has_validation_errors()
        changed = [row for row in preview.rows if row.import_type == "update"]
        assert sorted(row.object_id for row in changed) == sorted(ids)
        assert all(row.diff for row in changed)  # the preview shows each change
        assert tracking(Action, ids) == before  # a preview applies nothing

        result = ActionTrackingResource().import_data(filled, dry_run=False)
        assert not result.has_errors() and not result.has_validation_errors()
        after = tracking(Action, ids)
        assert (after[ids[0]]["status"], after[ids[0]]["progress"]) == (Status.DONE, 100)
        assert (after[ids[1]]["status"], after[ids[1]]["progress"]) == (Status.IN_PROGRESS, 45)
        assert after[ids[1]]["lead"] == lead.pk
        assert after[ids[2]]["status"] == Status.PLANNED
        assert after[ids[2]]["start_year"] == 2021
        for pk in ids:
            assert after[pk]["text"] == before[pk]["text"]
            assert after[pk]["position"] == before[pk]["position"]
        # Unchanged rows are skipped, not saved.
        assert result.totals["update"] == 3
        assert result.totals["skip"] == len(exported) - 3
        protocol.refresh_from_db()
        assert timezone.now() - protocol.last_changed_at < timezone.timedelta(minutes=1)

    @pytest.mark.parametrize(
        ("cells", "message"),
        [
            ({"avancement": "150"}, "entre 0 et 100"),
            ({"avancement": "-5"}, "entre 0 et 100"),
            ({"avancement": "beaucoup"}, "n'est pas un nombre entier"),
            ({"avancement": ""}, "obligatoire"),
            ({"statut": "Terminé"}, "Statut « Terminé » inconnu"),
            ({"pilote": "Partenaire imaginaire"}, "Pilote « Partenaire imaginaire » inconnu"),
            ({"annee_debut": "2023", "annee_fin": "2021"}, ""),
            ({"id": "999999"}, "Identifiant 999999 inconnu"),
            ({"id": "douze"}, "n'est pas un nombre entier"),
            ({"id": ""}, "Identifiant manquant"),
        ],
    )
    def test_one_bad_row_changes_nothing_and_is_named(self, exported, cells, message):
        ids = [row[0] for row in exported]
        bad_number = 3  # the third data row
        changes = {pk: {"statut": "Réalisé", "avancement": 100} for pk in ids[:5]}
        changes[ids[bad_number - 1]] = {**changes[ids[bad_number - 1]], **cells}
        before = tracking(Action, ids)

        for dry_run in (True, False):
            result = ActionTrackingResource().import_data(fill(exported, changes), dry_run=dry_run)
            assert result.has_validation_errors() or result.has_errors()
            messages = row_messages(result)
            assert [number for number, _ in messages] == [bad_number] * len(messages)
            assert any(message in text for _, text in messages), messages
            assert tracking(Action, ids) == before  # nothing applied, not even the valid rows

    def test_operational_objective_import(self, territory):
        dataset = export(OperationalObjectiveTrackingResource, territory)
        pk = dataset[0][0]
        result = OperationalObjectiveTrackingResource().import_data(
            fill(dataset, {pk: {"statut": "Abandonné", "avancement": 10}}), dry_run=False
        )
        assert not result.has_validation_errors()
        oo = OperationalObjective.objects.get(pk=pk)
        assert (oo.status, oo.progress) == (Status.ABANDONED, 10)

    def test_xlsx_round_trip(self, exported):
        pk = exported[0][0]
        xlsx = XLSX().export_data(fill(exported, {pk: {"statut": "En cours", "avancement": 30}}))
        result = ActionTrackingResource().import_data(XLSX().create_dataset(xlsx), dry_run=False)
        assert not result.has_validation_errors() and not result.has_errors()
        action = Action.objects.get(pk=pk)
        assert (action.status, action.progress) == (Status.IN_PROGRESS, 30)


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
        response = self.upload(admin_client, fill(dataset, {pk: {"statut": "Réalisé"}}))
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
        assert Action.objects.get(pk=pk).status == Status.DONE

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


def _import_formats(admin_client):
    from django.contrib import admin

    from commitments.models import Action as ActionModel

    return admin.site._registry[ActionModel].get_import_formats()
