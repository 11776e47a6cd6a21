"""Spreadsheet round-trip of progress (services/spreadsheet.py): export a territory's tracking
rows, fill them, import them back with a preview; nothing is applied unless every row is valid.
The `territory` fixture (Grand Paris Sud) is in tests/conftest.py."""

import datetime
import re

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from import_export.formats.base_formats import CSV, XLSX

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, ProgressUpdate, Protocol
from commitments.services.progress_rule import delete_updates
from commitments.services.spreadsheet import (
    IMPORT_COMMENT,
    MAX_ROWS,
    ActionTrackingResource,
    OperationalObjectiveTrackingResource,
)
from tests import factories
from tests.support.admin import admin_url
from tests.support.progress import assert_follows_latest_update, report
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
            "pk", "text", "position", "status", "progress", "pilot", "start_year", "end_year"
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

    def test_new_statuses_are_written_together(self, exported):
        """The updates of an import are one INSERT and one UPDATE by the rule: importing 20
        new statuses costs the same queries as importing 3 (same file, same number of rows)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        ids = [row[0] for row in exported]
        assert len(ids) >= 20

        def import_changing(count):
            changes = {pk: {"statut": "En cours", "avancement": "35"} for pk in ids[:count]}
            filled = fill(exported, changes)
            with CaptureQueriesContext(connection) as queries:
                result = ActionTrackingResource().import_data(filled, dry_run=False)
            assert result.totals["update"] == count
            return len(queries)

        few = import_changing(3)
        delete_updates(ProgressUpdate.objects.filter(comment=IMPORT_COMMENT))
        many = import_changing(20)
        assert many == few
        assert ProgressUpdate.objects.filter(comment=IMPORT_COMMENT).count() == 20
        for pk in ids[:20]:
            assert_follows_latest_update(Action.objects.get(pk=pk))

    def test_file_over_the_row_limit_is_refused_before_any_row_is_read(
        self, exported, django_assert_max_num_queries
    ):
        big = tablib.Dataset(headers=exported.headers)
        for _ in range(MAX_ROWS + 1):
            big.append(exported[0])
        with django_assert_max_num_queries(0):
            result = ActionTrackingResource().import_data(big, dry_run=True)
        assert result.has_errors() and not list(result.rows)
        messages = [str(error.error) for error in result.base_errors]
        assert messages == [
            "Le fichier compte 10\u202f001 lignes : l'import est limité à 10\u202f000 lignes. "
            "Découpez-le en plusieurs fichiers."
        ]

    def test_file_under_the_row_limit_is_read(self, exported):
        """The limit is on the number of rows, not a refusal of every large file."""
        at_limit = tablib.Dataset(headers=exported.headers)
        for row in exported:
            at_limit.append(row)
        result = ActionTrackingResource().import_data(at_limit, dry_run=True)
        assert not result.base_errors

    def test_duplicate_ids_are_refused_with_every_line(self, exported):
        first, second = exported[0][0], exported[1][0]
        doubled = tablib.Dataset(headers=exported.headers)
        for row in (exported[0], exported[1], exported[0], exported[1], exported[0]):
            doubled.append(row)
        result = ActionTrackingResource().import_data(doubled, dry_run=True)
        assert [str(error.error) for error in result.base_errors] == [
            f"L'identifiant {first} apparaît sur plusieurs lignes (2, 4 et 6) : gardez une "
            "seule ligne par engagement.",
            f"L'identifiant {second} apparaît sur plusieurs lignes (3 et 5) : gardez une "
            "seule ligne par engagement.",
        ]

    def test_file_without_id_column_is_refused(self, exported):
        del exported["id"]
        result = ActionTrackingResource().import_data(exported, dry_run=True)
        assert [str(error.error) for error in result.base_errors] == [
            "Colonne « id » absente : repartez d'un export du suivi, qui la contient "
            "(l'import met à jour les lignes exportées, il n'en crée pas)."
        ]

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
        assert not ProgressUpdate.objects.filter(comment=IMPORT_COMMENT).exists()

        result = ActionTrackingResource().import_data(filled, dry_run=False)
        assert not result.has_errors() and not result.has_validation_errors()
        after = tracking(Action, ids)
        assert (after[ids[0]]["status"], after[ids[0]]["progress"]) == (Status.DONE, 100)
        assert (after[ids[1]]["status"], after[ids[1]]["progress"]) == (Status.IN_PROGRESS, 45)
        assert after[ids[1]]["pilot"] == lead.pk
        assert after[ids[2]]["status"] == Status.PLANNED
        assert after[ids[2]]["start_year"] == 2021
        for pk in ids:
            assert after[pk]["text"] == before[pk]["text"]
            assert after[pk]["position"] == before[pk]["position"]
            # Each new status is a progress update dated today (the rule then set it).
            latest = assert_follows_latest_update(Action.objects.get(pk=pk))
            assert (latest.date, latest.comment) == (timezone.localdate(), IMPORT_COMMENT)
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


# Through the admin's real import and confirmation views --------------------------------------


def upload(client, model, dataset):
    """The admin's import form: the file, its format, the resource."""
    from django.contrib import admin

    content = CSV().export_data(dataset).encode("utf-8")
    formats = [f.__name__ for f in admin.site._registry[model].get_import_formats()]
    return client.post(
        admin_url(model, "import"),
        {
            "format": formats.index("CSV"),
            "import_file": SimpleUploadedFile("suivi.csv", content, "text/csv"),
            "resource": 0,
        },
    )


def confirm(client, model, preview):
    form = preview.context["confirm_form"]
    return client.post(
        admin_url(model, "process_import"), {name: form[name].value() for name in form.fields}
    )


@pytest.mark.usefixtures("fast_password_hasher")
class TestImportThroughTheAdmin:
    """A changed status or progress becomes a progress update dated today, signed by whoever
    imported the file; the preview shows it and writes nothing; a bad value is named."""

    @pytest.mark.parametrize(
        ("resource_class", "model"),
        [
            (ActionTrackingResource, Action),
            (OperationalObjectiveTrackingResource, OperationalObjective),
        ],
    )
    def test_a_changed_status_becomes_a_dated_update(
        self, admin_client, admin_user, territory, resource_class, model
    ):
        dataset = export(resource_class, territory)
        changed, lead_only, reported = (row[0] for row in dataset[:3])
        report(model.objects.get(pk=reported), datetime.date(2024, 3, 1), Status.PLANNED, 10)
        dataset = export(resource_class, territory)  # as exported after that report
        partner = factories.PartnerFactory(name="Pilote importé")
        filled = fill(
            dataset,
            {
                changed: {"statut": "En cours", "avancement": "45"},
                lead_only: {"pilote": "Pilote importé", "annee_debut": "2021"},
                reported: {"pilote": "Pilote importé"},  # its status stays "prévu 10 %"
            },
        )
        updates_before = ProgressUpdate.objects.count()

        preview = upload(admin_client, model, filled)
        assert preview.status_code == 200
        assert preview.context["confirm_form"] is not None
        rows = {row.object_id: row for row in preview.context["result"].rows}
        # The preview's diff shows the new status and progress (columns 4 and 5).
        assert "<ins" in rows[changed].diff[4] and "En cours" in rows[changed].diff[4]
        assert "<ins" in rows[changed].diff[5] and "45" in rows[changed].diff[5]
        assert ProgressUpdate.objects.count() == updates_before  # a preview writes nothing
        assert model.objects.get(pk=changed).status == Status.NOT_REPORTED

        assert confirm(admin_client, model, preview).status_code == 302
        assert ProgressUpdate.objects.count() == updates_before + 1
        target = model.objects.get(pk=changed)
        latest = assert_follows_latest_update(target)
        assert (target.status, target.progress) == (Status.IN_PROGRESS, 45)
        assert (latest.date, latest.author, latest.comment) == (
            timezone.localdate(),
            admin_user,
            IMPORT_COMMENT,
        )
        # The pilot and the years are saved as they are, without an update.
        other = model.objects.get(pk=lead_only)
        assert (other.pilot, other.start_year) == (partner, 2021)
        assert assert_follows_latest_update(other) is None
        kept = model.objects.get(pk=reported)
        assert kept.pilot == partner
        assert assert_follows_latest_update(kept).date == datetime.date(2024, 3, 1)
        assert (kept.status, kept.progress) == (Status.PLANNED, 10)

    @pytest.mark.parametrize(
        ("cells", "message"),
        [
            ({"avancement": "140"}, "entre 0 et 100"),
            ({"statut": "Non renseigné", "avancement": "0"}, "« Non renseigné » ne peut pas"),
            ({"statut": "Réalisé", "avancement": "40"}, "Un engagement réalisé est avancé à 100 %"),
        ],
        ids=["progress-140", "not-reported", "done-at-40"],
    )
    def test_a_bad_value_is_named_in_the_preview_and_nothing_is_saved(
        self, admin_client, territory, cells, message
    ):
        dataset = export(ActionTrackingResource, territory)
        good, bad = dataset[0][0], dataset[1][0]
        report(Action.objects.get(pk=bad), datetime.date(2024, 3, 1), Status.IN_PROGRESS, 40)
        dataset = export(ActionTrackingResource, territory)
        filled = fill(
            dataset,
            {good: {"statut": "Réalisé", "avancement": "100"}, bad: cells},
        )
        updates_before = ProgressUpdate.objects.count()
        before = tracking(Action, [good, bad])

        preview = upload(admin_client, Action, filled)
        assert preview.status_code == 200
        assert preview.context.get("confirm_form") is None  # nothing to confirm
        page = preview.content.decode()
        assert message in page, page[-3000:]
        assert ProgressUpdate.objects.count() == updates_before
        assert tracking(Action, [good, bad]) == before
