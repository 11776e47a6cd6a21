"""Migration 0004_carry_over_statuses: every status set without a dated progress update (the
old editable columns and bulk action) gets the update that explains it, so that nothing
displayed changes when the latest-update rule starts being enforced.

The cases are built as the old code allowed, through the migration's historical models (no
save() rule, no signal), with the change history the admin used to write. Most tests call the
migration's function with the `apps` of the state it runs in (inside the test's transaction);
one migrates the database back to 0003 and forward again with Django's MigrationExecutor.
"""

import datetime
import importlib
import zoneinfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from commitments.models import Action, OperationalObjective, ProgressUpdate, ThematicSection
from commitments.services.progress_rule import sync_from_updates
from tests import factories
from tests.support.migrations import state_apps as migration_state_apps

migration = importlib.import_module("commitments.migrations.0004_carry_over_statuses")

BEFORE = ("commitments", "0003_progress_rule")
AFTER = ("commitments", "0004_carry_over_statuses")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
TRACKED = {"action": Action, "operationalobjective": OperationalObjective}


def at_noon(year, month, day):
    return datetime.datetime(year, month, day, 12, tzinfo=PARIS)


def state_apps(node=BEFORE):
    """The models as they were at `node` (what a RunPython function receives), on today's
    tables (tests/support/migrations.py)."""
    return migration_state_apps(node)


def displayed():
    """Every tracked commitment's status and progress, as the pages show them."""
    return {
        (model._meta.model_name, row["pk"]): (row["status"], row["progress"])
        for model in TRACKED.values()
        for row in model.objects.values("pk", "status", "progress")
    }


def _has_column(table, column):
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    return column in {field.name for field in description}


class OldData:
    """Commitments written as the code before the rule allowed, through historical models."""

    def __init__(self, apps):
        self.apps = apps
        protocol = factories.ProtocolFactory()
        if _has_column("commitments_thematicsection", "last_changed_at"):
            self.section = factories.SectionFactory(protocol=protocol)
            return
        # Migrated back: the section through the historical model (0014's last_changed_at does
        # not exist yet), handed to the factories by its key.
        sections = apps.get_model("commitments", "ThematicSection")
        stored = sections.objects.create(
            protocol_id=protocol.pk,
            thematic_id=factories.ThematicFactory().pk,
            position=1,
            heading="Thématique",
        )
        self.section = ThematicSection(pk=stored.pk, protocol_id=protocol.pk)

    def commitment(self, model_name, history=(), **values):
        """A commitment of `model_name` with `values` (status, progress…) written directly, and
        its change history: [(when, status, progress)], oldest first, as the admin wrote it."""
        so = factories.StrategicObjectiveFactory(section=self.section)
        model = self.apps.get_model("commitments", model_name)
        if model_name == "action":
            objectives = self.apps.get_model("commitments", "OperationalObjective").objects
            parent = objectives.create(strategic_objective_id=so.pk, text="Objectif")
            row = model.objects.create(operational_objective_id=parent.pk, text="Action", **values)
        else:
            row = model.objects.create(strategic_objective_id=so.pk, text="Objectif", **values)
        history_model = self.apps.get_model("commitments", f"Historical{model.__name__}")
        fields = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
        for version, (when, status, progress) in enumerate(history, start=1):
            history_model.objects.create(
                **{**fields, "status": status, "progress": progress, "version": version},
                history_date=when,
                history_type="~" if version > 1 else "+",
            )
        return row

    def update(self, row, when, status, progress, **fields):
        """A progress update written by the old code (no validation, no signal)."""
        field = "action" if row._meta.model_name == "action" else "operational_objective"
        update_model = self.apps.get_model("commitments", "ProgressUpdate")
        return update_model.objects.create(
            **{f"{field}_id": row.pk}, date=when, status=status, progress=progress, **fields
        )


def build_cases(apps):
    """Every case the migration meets; returns {name: (model name, pk)} and the updates."""
    old = OldData(apps)
    today = timezone.localdate()
    cases = {}

    # A status set in the list without any update: dated when the history says it was set
    # (the oldest record of the latest run holding it), not by a later edit of the text.
    row = old.commitment(
        "action",
        status="en_cours",
        progress=40,
        history=[
            (at_noon(2022, 1, 10), "non_renseigne", 0),
            (at_noon(2023, 5, 2), "en_cours", 40),
            (at_noon(2024, 2, 1), "en_cours", 40),
        ],
    )
    cases["set_without_update"] = ("action", row.pk, datetime.date(2023, 5, 2))

    # Changed after its last update: carried over at that change, on top of the update.
    row = old.commitment(
        "action",
        status="realise",
        progress=100,
        history=[(at_noon(2023, 3, 1), "prevu", 10), (at_noon(2024, 6, 10), "realise", 100)],
    )
    old.update(row, datetime.date(2023, 3, 1), "prevu", 10, comment="Premier point")
    cases["changed_after_update"] = ("action", row.pk, datetime.date(2024, 6, 10))

    # The history dates the change before the latest update's date (a back-dated entry):
    # never before the latest update, so that it stays the latest one.
    row = old.commitment(
        "operationalobjective",
        status="abandonne",
        progress=20,
        history=[(at_noon(2023, 1, 5), "abandonne", 20)],
    )
    old.update(row, datetime.date(2023, 9, 30), "en_cours", 20)
    cases["history_before_latest_update"] = (
        "operationalobjective",
        row.pk,
        datetime.date(2023, 9, 30),
    )

    # Only the progress differs from the update's.
    row = old.commitment(
        "operationalobjective",
        status="en_cours",
        progress=70,
        history=[(at_noon(2024, 4, 4), "en_cours", 70)],
    )
    old.update(row, datetime.date(2024, 1, 1), "en_cours", 50)
    cases["progress_changed"] = ("operationalobjective", row.pk, datetime.date(2024, 4, 4))

    # Set back to "non renseigné" in the list after an update: explained all the same.
    row = old.commitment(
        "action",
        status="non_renseigne",
        progress=0,
        history=[(at_noon(2023, 2, 1), "en_cours", 40), (at_noon(2023, 8, 8), "non_renseigne", 0)],
    )
    old.update(row, datetime.date(2023, 2, 1), "en_cours", 40)
    cases["reset_to_not_reported"] = ("action", row.pk, datetime.date(2023, 8, 8))

    # Changed after an update dated 31/12/9999 (accepted before dates were validated): the
    # carried-over update must still be the latest, or the next sync would show "prévu".
    row = old.commitment(
        "action",
        status="en_cours",
        progress=60,
        history=[(at_noon(2024, 3, 3), "en_cours", 60)],
    )
    old.update(row, datetime.date(9999, 12, 31), "prevu", 0)
    cases["after_a_future_update"] = ("action", row.pk, datetime.date(9999, 12, 31))

    # No history at all (loaded by a script): dated the day of the migration.
    row = old.commitment("action", status="prevu", progress=0)
    cases["no_history"] = ("action", row.pk, today)

    # Consistent with its latest update (by date, then by recording): nothing to add.
    row = old.commitment(
        "action",
        status="en_cours",
        progress=30,
        history=[(at_noon(2024, 1, 15), "en_cours", 30)],
    )
    old.update(row, datetime.date(2024, 1, 15), "en_cours", 30)
    old.update(row, datetime.date(2023, 6, 1), "prevu", 0)  # recorded later, back-dated
    cases["consistent"] = ("action", row.pk, None)

    # Never reported, no update: nothing to add.
    row = old.commitment("operationalobjective")
    cases["never_reported"] = ("operationalobjective", row.pk, None)
    return cases


def updates_of(model_name, pk):
    field = "action" if model_name == "action" else "operational_objective"
    return ProgressUpdate.objects.filter(**{f"{field}_id": pk})


def check_carried_over(cases, before, updates_before):
    """What the migration must have done, read through today's models."""
    # Nothing displayed changed, anywhere in the database.
    assert displayed() == before
    for name, (model_name, pk, expected_date) in cases.items():
        updates = updates_of(model_name, pk)
        new = updates.exclude(pk__in=updates_before[name])
        if expected_date is None:
            assert not new.exists(), name
            continue
        (carried,) = new  # exactly one
        commitment = TRACKED[model_name].objects.get(pk=pk)
        assert (carried.status, carried.progress) == (commitment.status, commitment.progress)
        assert carried.author is None, name
        assert carried.comment == migration.CARRIED_OVER
        assert "repris" in carried.comment
        assert carried.date == expected_date, name
        # It is the latest update: the rule now explains the status.
        assert updates.latest_first().first() == carried, name
        assert all(carried.date >= other.date for other in updates), name
    # The rule applied to everything changes nothing: every status has its update.
    assert sync_from_updates(Action.objects.all()) == 0
    assert sync_from_updates(OperationalObjective.objects.all()) == 0


def snapshot_updates(cases):
    return {
        name: set(updates_of(model_name, pk).values_list("pk", flat=True))
        for name, (model_name, pk, _) in cases.items()
    }


@pytest.mark.django_db
class TestCarryOverFunction:
    def test_every_status_keeps_an_explanation_and_nothing_displayed_changes(self):
        apps = state_apps()
        cases = build_cases(apps)
        before, updates_before = displayed(), snapshot_updates(cases)
        migration.carry_over_statuses(apps, None)
        check_carried_over(cases, before, updates_before)

    def test_a_second_run_adds_nothing(self):
        apps = state_apps()
        build_cases(apps)
        migration.carry_over_statuses(apps, None)
        count = ProgressUpdate.objects.count()
        migration.carry_over_statuses(apps, None)
        assert ProgressUpdate.objects.count() == count

    def test_the_seeded_protocols_need_nothing(self):
        count = ProgressUpdate.objects.count()
        before = displayed()
        migration.carry_over_statuses(state_apps(), None)
        assert ProgressUpdate.objects.count() == count
        assert displayed() == before


@pytest.mark.django_db(transaction=True)
def test_migrating_from_0003_carries_over_the_statuses():
    """The real migration, through Django's executor: back to 0003, the old data, forward.
    Transactional (the schema changes), and the schema is always restored at the end."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([BEFORE])
        executor.loader.build_graph()
        apps = executor.loader.project_state(BEFORE).apps
        cases = build_cases(apps)
        before, updates_before = displayed(), snapshot_updates(cases)

        executor.migrate([AFTER])
        executor.loader.build_graph()

        assert executor.loader.applied_migrations.keys() >= {AFTER}
        # Checked through today's models, on today's tables (later migrations renamed columns
        # of the commitments and do not touch the statuses).
        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
        check_carried_over(cases, before, updates_before)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
    assert not MigrationExecutor(connection).migration_plan(leaves)


@pytest.mark.django_db(transaction=True)
def test_migration_0015_keeps_each_pilot_under_its_new_name():
    """lead → pilot (issue #22): the pilots of actions, objectives and their history are kept."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    so = factories.StrategicObjectiveFactory()
    partner = factories.PartnerFactory()
    try:
        executor.migrate([("commitments", "0014_section_changed_at")])
        apps = executor.loader.project_state(("commitments", "0014_section_changed_at")).apps
        # renames.sh: keep (the field's name before 0015)
        objective = apps.get_model("commitments", "OperationalObjective").objects.create(
            strategic_objective_id=so.pk, text="Objectif", lead_id=partner.pk
        )
        action = apps.get_model("commitments", "Action").objects.create(
            operational_objective_id=objective.pk, text="Action", lead_id=partner.pk
        )
        # renames.sh: end
        history = apps.get_model("commitments", "HistoricalAction")
        fields = {f.attname: getattr(action, f.attname) for f in action._meta.concrete_fields}
        history.objects.create(**fields, history_date=timezone.now(), history_type="+")

        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
    finally:
        MigrationExecutor(connection).migrate(leaves)
    assert OperationalObjective.objects.get(pk=objective.pk).pilot == partner
    assert Action.objects.get(pk=action.pk).pilot == partner
    assert Action.history.get(id=action.pk).pilot_id == partner.pk
    assert list(partner.piloted_actions.all()) == [Action.objects.get(pk=action.pk)]
