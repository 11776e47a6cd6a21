"""The protocol tree's nodes (models/nodes.py): document order, branches that stop early,
leaves, status and version; status and progress are never written directly."""

import datetime

import pytest
from django.core.exceptions import FieldError
from django.forms.models import fields_for_model, modelform_factory

from commitments.enums import Status
from commitments.models import TRACKING_FIELDS, Action, OperationalObjective
from commitments.models.nodes import StatusWrittenDirectly
from commitments.selectors.protocol_tree import strategic_objectives_tree
from commitments.selectors.rollups import Rollup
from commitments.services.progress_rule import record_update
from tests.factories import ActionFactory, OperationalObjectiveFactory, StrategicObjectiveFactory
from tests.support.progress import report_today

pytestmark = pytest.mark.django_db


class TestHierarchy:
    def test_document_order_follows_positions_not_creation(self):
        oo = OperationalObjectiveFactory()
        third = ActionFactory(operational_objective=oo, position=3, text="troisième")
        first = ActionFactory(operational_objective=oo, position=1, text="première")
        second = ActionFactory(operational_objective=oo, position=2, text="deuxième")
        ordered = list(Action.objects.filter(operational_objective=oo).in_document_order())
        assert ordered == [first, second, third]

    def test_branch_may_stop_at_strategic_objective(self):
        so = StrategicObjectiveFactory()
        assert so.operational_objectives.count() == 0
        rolled = Rollup.of_tree([strategic_objectives_tree().get(pk=so.pk)])
        assert rolled.total == 0
        assert rolled.avg_progress is None

    def test_branch_without_actions_counts_its_operational_objectives(self):
        oo = OperationalObjectiveFactory()
        report_today(oo, Status.IN_PROGRESS, 40)
        loaded = OperationalObjective.objects.prefetch_related("actions").get(pk=oo.pk)
        assert loaded.leaves() == [loaded]
        assert Rollup.of_leaves(loaded.leaves()).avg_progress == pytest.approx(40)

    def test_new_commitment_is_not_reported(self):
        assert ActionFactory().status == Status.NOT_REPORTED

    def test_version_increments_on_save(self):
        action = ActionFactory()
        assert action.version == 1
        action.text = "Nouveau texte"
        action.save()
        action.refresh_from_db()
        assert action.version == 2


class TestStatusIsNeverWrittenDirectly:
    """Status and progress are those of the latest progress update: a save never writes them,
    and refuses a change made to them in memory (models/nodes.py TrackedCommitment)."""

    @pytest.mark.parametrize("model_factory", [ActionFactory, OperationalObjectiveFactory])
    @pytest.mark.parametrize(
        "change", [{"status": Status.DONE}, {"progress": 40}, {"status": "en_cours"}]
    )
    def test_a_direct_write_raises_and_writes_nothing(self, model_factory, change):
        commitment = model_factory()
        for name, value in change.items():
            setattr(commitment, name, value)
        with pytest.raises(StatusWrittenDirectly, match="enregistrez un point"):
            commitment.save()
        stored = type(commitment).objects.get(pk=commitment.pk)
        assert (stored.status, stored.progress, stored.version) == (Status.NOT_REPORTED, 0, 1)

    def test_a_direct_write_over_a_reported_status_raises_too(self):
        action = ActionFactory()
        report_today(action, Status.IN_PROGRESS, 40)
        action.status = Status.DONE
        with pytest.raises(StatusWrittenDirectly):
            action.save()
        action.refresh_from_db()
        assert (action.status, action.progress) == (Status.IN_PROGRESS, 40)

    def test_creating_a_commitment_with_a_status_raises(self):
        oo = OperationalObjectiveFactory()
        with pytest.raises(StatusWrittenDirectly):
            Action.objects.create(operational_objective=oo, text="Nouvelle", status=Status.DONE)
        with pytest.raises(StatusWrittenDirectly):
            ActionFactory(operational_objective=oo, progress=100)
        assert not oo.actions.exists()

    def test_update_fields_naming_the_status_write_nothing_of_it(self):
        action = ActionFactory()
        report_today(action, Status.PLANNED, 10)
        Action.objects.filter(pk=action.pk).update(status=Status.DONE, progress=100)
        # The instance still holds what it read; naming the fields does not write them back.
        action.text = "Texte corrigé"
        action.save(update_fields=["text", "status", "progress"])
        action.refresh_from_db()
        assert (action.text, action.status, action.progress) == ("Texte corrigé", "realise", 100)

    def test_a_save_of_other_fields_never_overwrites_a_status_set_meanwhile(self):
        action = ActionFactory()
        stale = Action.objects.get(pk=action.pk)  # read before the update below
        record_update(
            action,
            status=Status.IN_PROGRESS,
            progress=40,
            date=datetime.date.today(),
            author=None,
        )
        assert (stale.status, stale.progress) == (Status.NOT_REPORTED, 0)
        stale.text, stale.start_year = "Texte corrigé", 2021
        stale.save()
        stored = Action.objects.get(pk=action.pk)
        assert (stored.text, stored.start_year) == ("Texte corrigé", 2021)
        assert (stored.status, stored.progress) == (Status.IN_PROGRESS, 40)

    def test_no_model_form_edits_them(self):
        for model in (Action, OperationalObjective):
            fields = fields_for_model(model)
            assert "status" not in fields and "progress" not in fields
            with pytest.raises(FieldError):
                modelform_factory(model, fields=["status"])

    def test_lead_may_change_the_pilot_and_the_years_only(self):
        assert TRACKING_FIELDS == ("lead", "start_year", "end_year")
