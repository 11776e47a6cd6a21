"""Spreadsheet round-trip of progress (services/spreadsheet.py): export a territory's tracking
rows, fill them, import them back with a preview; nothing is applied unless every row is valid.
The `territory` fixture (Grand Paris Sud) is in tests/conftest.py."""

import re

import pytest
from django.utils import timezone
from import_export.formats.base_formats import CSV, XLSX

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, Protocol
from commitments.services.spreadsheet import (
    ActionTrackingResource,
    OperationalObjectiveTrackingResource,
)
from tests import factories
from tests.support.spreadsheet import export, fill

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
