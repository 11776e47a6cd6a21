"""commitments/services/ordering.py: the only code that moves an element among its siblings."""

import pytest
from django.db import connection

from commitments.models import (
    Action,
    Protocol,
    StrategicObjective,
    Thematic,
    ThematicSection,
    TransversalAxis,
)
from commitments.services.ordering import (
    DOWN,
    UP,
    OrderingError,
    move,
    next_position,
    siblings,
)
from tests import factories

pytestmark = pytest.mark.django_db


def positions(rows):
    return [(row.text, row.position) for row in rows]


def texts(parent):
    return [action.text for action in siblings(parent.actions.first())]


@pytest.fixture
def objective():
    """An operational objective with actions A, B, C (positions 1, 2, 3), and another one."""
    oo = factories.OperationalObjectiveFactory()
    for position, text in enumerate("ABC", start=1):
        factories.ActionFactory(operational_objective=oo, position=position, text=text)
    factories.ActionFactory(position=2, text="ailleurs")
    return oo


def action(text):
    return Action.objects.get(text=text)


class TestMove:
    def test_down_swaps_with_the_next_sibling(self, objective):
        other = move(action("A"), DOWN)
        assert other == action("B")
        assert texts(objective) == ["B", "A", "C"]
        assert sorted(a.position for a in objective.actions.all()) == [1, 2, 3]

    def test_up_swaps_with_the_previous_sibling(self, objective):
        assert move(action("C"), UP) == action("B")
        assert texts(objective) == ["A", "C", "B"]

    @pytest.mark.parametrize(("text", "direction"), [("A", UP), ("C", DOWN)])
    def test_nothing_moves_past_the_ends(self, objective, text, direction):
        before = {a.pk: (a.position, a.version) for a in objective.actions.all()}
        assert move(action(text), direction) is None
        assert {a.pk: (a.position, a.version) for a in objective.actions.all()} == before

    def test_siblings_of_another_parent_are_untouched(self, objective):
        elsewhere = action("ailleurs")
        move(action("A"), DOWN)
        elsewhere_after = action("ailleurs")
        assert (elsewhere_after.position, elsewhere_after.version) == (2, elsewhere.version)

    def test_only_the_two_rows_change(self, objective):
        versions = {a.text: a.version for a in objective.actions.all()}
        move(action("B"), DOWN)
        after = {a.text: a.version for a in objective.actions.all()}
        assert after == {"A": versions["A"], "B": versions["B"] + 1, "C": versions["C"] + 1}

    def test_a_move_is_recorded_in_the_history_and_marks_the_protocol_changed(self, objective):
        moved = action("A")
        protocol = Protocol.objects.get(
            sections__strategic_objectives=objective.strategic_objective
        )
        before = protocol.last_changed_at
        count = moved.history.count()
        move(moved, DOWN)
        assert moved.history.count() == count + 1
        assert moved.history.first().position == 2
        protocol.refresh_from_db()
        assert protocol.last_changed_at > before

    def test_the_moved_object_is_refreshed(self, objective):
        moved = action("A")
        move(moved, DOWN)
        assert moved.position == 2
        assert moved.version == Action.objects.get(pk=moved.pk).version

    def test_duplicate_positions_are_numbered_first(self):
        """Transversal axes have no unique position (typed by hand long ago: two at 5)."""
        TransversalAxis.objects.all().delete()
        for position, name in ((5, "A"), (5, "B"), (12, "C")):
            factories.AxisFactory(position=position, name=name)
        move(TransversalAxis.objects.get(name="C"), UP)
        rows = TransversalAxis.objects.order_by("position", "pk")
        assert [(axis.name, axis.position) for axis in rows] == [("A", 1), ("C", 2), ("B", 3)]

    def test_positions_keep_their_numbers(self):
        """Gaps between positions stay: only the two swapped rows change."""
        oo = factories.OperationalObjectiveFactory()
        for p, t in ((10, "A"), (20, "B"), (30, "C")):
            factories.ActionFactory(operational_objective=oo, position=p, text=t)
        move(action("B"), UP)
        assert positions(siblings(action("A"))) == [("B", 10), ("A", 20), ("C", 30)]

    def test_every_level_and_the_reference_lists(self):
        section = factories.SectionFactory()
        first, second = (
            factories.StrategicObjectiveFactory(section=section, position=p) for p in (1, 2)
        )
        move(second, UP)
        assert list(StrategicObjective.objects.filter(section=section).order_by("position")) == [
            second,
            first,
        ]
        protocol = factories.ProtocolFactory()
        s1, s2 = (factories.SectionFactory(protocol=protocol, position=p) for p in (1, 2))
        move(s1, DOWN)
        assert list(ThematicSection.objects.filter(protocol=protocol).order_by("position")) == [
            s2,
            s1,
        ]
        thematics = list(Thematic.objects.order_by("position", "pk"))
        assert move(thematics[0], DOWN) == thematics[1]
        assert list(Thematic.objects.order_by("position", "pk"))[:2] == thematics[1::-1]

    def test_bad_requests_are_refused(self, objective):
        with pytest.raises(OrderingError):
            move(action("A"), "sideways")
        with pytest.raises(OrderingError):
            move(factories.ProtocolFactory(), UP)

    def test_a_deleted_element_cannot_move(self, objective):
        gone = action("B")
        Action.objects.filter(pk=gone.pk).delete()
        with pytest.raises(OrderingError):
            move(gone, UP)

    @pytest.mark.parametrize("count", [3, 30])
    def test_queries_do_not_grow_with_the_siblings(self, count, django_assert_max_num_queries):
        oo = factories.OperationalObjectiveFactory()
        rows = [factories.ActionFactory(operational_objective=oo, position=p) for p in range(count)]
        # Two savepoints (the move, and the move with its change recorded), one read of the
        # siblings, two saves (each: the update, the history row and its partners and axes),
        # the change recorded (two UPDATEs: the section's stamp, the protocol's), the refresh.
        with django_assert_max_num_queries(16):
            move(rows[1], DOWN)

    @pytest.mark.postgres_only(reason="the deferred unique constraint exists on PostgreSQL only")
    def test_the_swap_satisfies_the_unique_constraint(self, objective):
        move(action("A"), DOWN)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checked now, not at the commit
        assert texts(objective) == ["B", "A", "C"]


class TestNextPosition:
    def test_after_the_last_sibling(self, objective):
        assert next_position(Action, objective.pk) == 4
        assert next_position(Action, factories.OperationalObjectiveFactory().pk) == 1

    def test_reference_lists(self):
        top = max(Thematic.objects.values_list("position", flat=True))
        assert next_position(Thematic) == top + 1
