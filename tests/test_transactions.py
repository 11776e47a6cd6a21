"""Interrupted loads leave the database exactly as it was: seed_protocols, import_protocols and
the spreadsheet import of tracking fields.

The fixtures' own errors (bad YAML, unknown thematic, one invalid spreadsheet row, a dangling
key at the end of a backup) are tested next to each command; here the failure comes from
elsewhere and in the middle of the load: a crash, Ctrl-C, a row the database refuses.
"""

import io
import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import override_settings

import commitments.services.seed
from commitments.enums import Status
from commitments.models import Action, Edition, GlossaryTerm, Protocol
from commitments.services import backup
from territories.models import Territory
from tests.support.progress import report_today

pytestmark = pytest.mark.django_db

APPS = ("commitments", "territories")


def row_counts():
    """Rows of every table of every installed app (history, m2m, auth, axes included)."""
    return {
        model._meta.db_table: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def content():
    """Every row of the protocol data (history included), to compare values, not only counts."""
    return {
        model._meta.db_table: list(model._default_manager.order_by("pk").values())
        for app in APPS
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    }


def snapshot():
    return row_counts(), content()


def fail_on_call(number, error):
    """A wrapper that lets `number - 1` calls through and raises `error` on the next one."""
    calls = []

    def wrap(function):
        def wrapper(*args, **kwargs):
            calls.append(args)
            if len(calls) == number:
                raise error
            return function(*args, **kwargs)

        return wrapper

    return wrap, calls


def unload_two_protocols():
    """As if the seed had loaded only the agglomeration's protocol: the next run creates the
    protocols of the second and third files, then reaches the fourth (grigny.yaml)."""
    files = sorted(path.stem for path in commitments.services.seed.territory_files())
    second, third = [slug for slug in files if slug != "grand-paris-sud"][:2]
    # Without history rows: this is the starting state, not what the test looks at.
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        unloaded = Protocol.objects.filter(territory__slug__in=[second, third])
        Edition.objects.discard_for_rebuild(unloaded)  # their edition 1 goes with them
        unloaded.delete()
        GlossaryTerm.objects.filter(term__in=["QPV", "NPNRU", "TFPB"]).delete()


class TestInterruptedSeed:
    def test_ctrl_c_on_the_fourth_territory(self, monkeypatch):
        unload_two_protocols()
        before = snapshot()
        wrap, calls = fail_on_call(4, KeyboardInterrupt())
        monkeypatch.setattr(
            commitments.services.seed,
            "seed_protocol",
            wrap(commitments.services.seed.seed_protocol),
        )

        with pytest.raises(KeyboardInterrupt):
            call_command("seed_protocols", stdout=io.StringIO())

        assert len(calls) == 4  # two protocols and three glossary terms were loaded before
        assert snapshot() == before

    def test_reset_interrupted_keeps_the_edits(self, monkeypatch):
        action = Action.objects.order_by("pk").first()
        action.text = "Texte modifié"
        action.save()
        report_today(action, Status.IN_PROGRESS, 60)
        before = snapshot()
        wrap, calls = fail_on_call(4, RuntimeError("disque plein"))
        monkeypatch.setattr(
            commitments.services.seed,
            "seed_protocol",
            wrap(commitments.services.seed.seed_protocol),
        )

        with pytest.raises(RuntimeError, match="disque plein"):
            call_command("seed_protocols", "--reset", "--yes", stdout=io.StringIO())

        assert len(calls) == 4
        assert snapshot() == before
        action.refresh_from_db()
        assert (action.text, action.progress) == ("Texte modifié", 60)

    def test_a_database_error_midway_is_rolled_back(self, monkeypatch):
        """The third file's first section breaks a database constraint, after the second
        file's whole protocol was created."""
        unload_two_protocols()
        before = snapshot()
        sections = commitments.services.seed.models.ThematicSection.objects
        create = sections.create
        created = []

        def create_section(**fields):
            created.append(fields["protocol"].territory.slug)
            if len(set(created)) == 2:
                fields["heading"] = None  # NOT NULL
            return create(**fields)

        monkeypatch.setattr(sections, "create", create_section)
        with pytest.raises(CommandError, match="rien n'a été modifié"):
            call_command("seed_protocols", stdout=io.StringIO())
        assert len(set(created)) == 2
        assert snapshot() == before


# import_protocols ------------------------------------------------------------------------


_EXPORTED = {}


@pytest.fixture
def backup_file(tmp_path):
    """The seeded database as written by export_protocols (exported once: every test starts
    from the same rolled-back state), and a way to write a broken variant of it."""
    if "text" not in _EXPORTED:
        out = io.StringIO()
        call_command("export_protocols", stdout=out)
        _EXPORTED["text"] = out.getvalue()
    path = tmp_path / "sauvegarde.json"
    path.write_text(_EXPORTED["text"], encoding="utf-8")

    def variant(change):
        broken = json.loads(_EXPORTED["text"])
        change(broken["objects"])
        target = tmp_path / "variante.json"
        target.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
        return target

    return path, variant


def middle(objects, model):
    """Index of the middle object of `model` in the backup's list."""
    indexes = [i for i, item in enumerate(objects) if item["model"] == model]
    assert len(indexes) > 10
    return indexes[len(indexes) // 2]


def set_field(model, name, value):
    def change(objects):
        objects[middle(objects, model)]["fields"][name] = value

    return change


NOT_A_NUMBER = set_field("commitments.action", "progress", "beaucoup")
OUT_OF_RANGE = set_field("commitments.action", "progress", 150)  # a check constraint
DANGLING_KEY = set_field("commitments.operationalobjective", "strategic_objective", 10**9)


class TestInterruptedImport:
    """--replace first empties the tables: a failure after that must bring everything back."""

    @pytest.fixture(autouse=True)
    def edited(self):
        action = Action.objects.order_by("pk").first()
        report_today(action, Status.IN_PROGRESS, 77)
        yield
        if Action.objects.filter(pk=action.pk).exists():
            assert Action.objects.get(pk=action.pk).progress == 77

    def test_truncated_file(self, backup_file, tmp_path):
        path, _ = backup_file
        text = path.read_text(encoding="utf-8")
        truncated = tmp_path / "tronquee.json"
        truncated.write_text(text[: len(text) // 2], encoding="utf-8")
        before = snapshot()
        with pytest.raises(CommandError, match="n'est pas un fichier JSON valide"):
            call_command("import_protocols", str(truncated), "--replace")
        assert snapshot() == before

    def test_unreadable_object_in_the_middle(self, backup_file):
        _, variant = backup_file
        before = snapshot()
        with pytest.raises(CommandError, match="beaucoup"):
            call_command("import_protocols", str(variant(NOT_A_NUMBER)), "--replace")
        assert snapshot() == before

    @pytest.mark.parametrize(
        "change",
        [pytest.param(OUT_OF_RANGE, id="check-constraint"), pytest.param(DANGLING_KEY, id="key")],
    )
    def test_object_refused_by_the_database(self, backup_file, change):
        _, variant = backup_file
        before = snapshot()
        with pytest.raises(Exception):  # noqa: B017 - the message is tested below
            call_command("import_protocols", str(variant(change)), "--replace")
        assert snapshot() == before

    def test_object_refused_by_the_database_gets_a_message(self, backup_file):
        _, variant = backup_file
        with pytest.raises(CommandError):  # a message for the operator, not a traceback
            call_command("import_protocols", str(variant(OUT_OF_RANGE)), "--replace")

    def test_ctrl_c_midway(self, backup_file, monkeypatch):
        path, _ = backup_file
        total = len(json.loads(path.read_text(encoding="utf-8"))["objects"])
        wrap, calls = fail_on_call(total // 2, KeyboardInterrupt())
        deserialized = backup.serializers.base.DeserializedObject
        monkeypatch.setattr(deserialized, "save", wrap(deserialized.save))
        before = snapshot()
        with pytest.raises(KeyboardInterrupt):
            call_command("import_protocols", str(path), "--replace", stdout=io.StringIO())
        assert len(calls) == total // 2
        assert snapshot() == before


# Spreadsheet import (django-import-export) -------------------------------------------------


class TestInterruptedSpreadsheetImport:
    """A row that passes validation but fails when saved: the rows saved before it are undone
    (one bad *invalid* row is tested in tests/commitments/services/test_spreadsheet.py)."""

    def test_failure_while_saving_the_third_row(self, monkeypatch):
        from import_export.formats.base_formats import CSV

        from commitments.services.spreadsheet import ActionTrackingResource

        territory = Territory.objects.get(slug="grigny")
        actions = Action.objects.for_territory(territory).in_document_order()
        dataset = ActionTrackingResource().export(queryset=actions)
        assert len(dataset) >= 5
        ids = {row[0] for row in dataset[:5]}
        headers = dataset.headers
        for index in range(5):
            row = dict(zip(headers, dataset[index], strict=True))
            row.update(statut="Réalisé", avancement="100")
            dataset[index] = [row[h] for h in headers]
        dataset = CSV().create_dataset(CSV().export_data(dataset))  # as uploaded

        resource = ActionTrackingResource()
        wrap, calls = fail_on_call(3, RuntimeError("connexion perdue"))
        monkeypatch.setattr(resource, "save_instance", wrap(resource.save_instance))
        before = snapshot()

        result = resource.import_data(dataset, dry_run=False)

        assert len(calls) >= 3  # the library goes on, to report every row's errors
        assert result.has_errors()
        assert "connexion perdue" in str(result.row_errors()[0][1][0].error)
        assert snapshot() == before
        assert not Action.objects.filter(pk__in=ids, status=Status.DONE, progress=100).exists()
