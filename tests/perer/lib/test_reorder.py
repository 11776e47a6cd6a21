"""perer/lib/reorder.py: moving a row among its siblings (here the transversal axes, ordered
as a whole; the protocol tree's parents: tests/commitments/services/test_ordering.py)."""

import pytest

from commitments.models import TransversalAxis
from perer.lib import reorder
from tests import factories

pytestmark = pytest.mark.django_db


def order():
    return [axis.name for axis in reorder.siblings(TransversalAxis.objects.first())]


@pytest.fixture
def axes():
    TransversalAxis.objects.all().delete()  # those the migrations load
    return [factories.AxisFactory(name=name, position=n) for n, name in enumerate("ABC", 1)]


def test_a_move_swaps_two_neighbours_and_only_them(axes, django_assert_max_num_queries):
    a, b, c = axes
    with django_assert_max_num_queries(6):  # whatever the number of siblings
        other = reorder.move(b, reorder.UP)
    assert other == a
    assert order() == ["B", "A", "C"]
    assert b.position == 1  # refreshed in memory
    c.refresh_from_db()
    assert c.position == 3
    assert reorder.move(b, reorder.DOWN) == a
    assert order() == ["A", "B", "C"]


def test_the_first_cannot_go_up_nor_the_last_down(axes):
    a, _, c = axes
    assert reorder.move(a, reorder.UP) is None
    assert reorder.move(c, reorder.DOWN) is None
    assert order() == ["A", "B", "C"]


def test_siblings_with_equal_positions_are_numbered_first(axes):
    TransversalAxis.objects.update(position=0)
    a, b, c = axes
    reorder.move(c, reorder.UP)
    positions = dict(TransversalAxis.objects.values_list("name", "position"))
    assert positions == {"A": 1, "C": 2, "B": 3}


def test_an_unknown_direction_or_a_deleted_row_is_refused_in_french(axes):
    with pytest.raises(reorder.OrderingError, match="direction inconnue"):
        reorder.move(axes[0], "sideways")
    gone = axes[1]
    TransversalAxis.objects.filter(pk=gone.pk).delete()
    with pytest.raises(reorder.OrderingError, match="n'existe plus"):
        reorder.move(gone, reorder.UP)


def test_a_new_row_goes_after_the_last_sibling(axes):
    assert reorder.next_position(TransversalAxis) == 4
    TransversalAxis.objects.all().delete()
    assert reorder.next_position(TransversalAxis) == 1
