"""The protocol tree's nodes (models/nodes.py): document order, branches that stop early,
leaves, status and version."""

import pytest

from commitments.enums import Status
from commitments.models import Action, OperationalObjective
from commitments.reporting.protocol_tree import strategic_objectives_tree
from commitments.reporting.rollups import Rollup
from tests.factories import ActionFactory, OperationalObjectiveFactory, StrategicObjectiveFactory

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
        oo = OperationalObjectiveFactory(progress=40)
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
