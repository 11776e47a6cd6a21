"""The order of the protocol tree's elements and of the reference lists shown in order.

Which rows are siblings: those of one parent (a protocol's sections, a section's strategic
objectives, an objective's operational objectives or actions), or the whole table (thematics,
transversal axes). The moves themselves are perer/lib/reorder.py's, the one implementation of
a reorder (invariants and query budget there). Every path changing a position calls `move`:
the "Monter" / "Descendre" buttons of a parent's admin form and of the reference lists; a new
element takes `next_position` (after its last sibling, services/elements.py). A move records
the change of content (content_changes.record_change: two more UPDATEs).
"""

from django.db import transaction

from commitments.models import (
    Action,
    OperationalObjective,
    StrategicObjective,
    Thematic,
    ThematicSection,
    TransversalAxis,
)
from commitments.services.content_changes import record_change
from perer.lib import reorder
from perer.lib.reorder import DOWN, UP, OrderingError

__all__ = ["DOWN", "PARENT_FIELDS", "UP", "OrderingError", "move", "next_position", "siblings"]

# The foreign key to the parent whose children are ordered; None: the whole table.
PARENT_FIELDS = {
    ThematicSection: "protocol",
    StrategicObjective: "section",
    OperationalObjective: "strategic_objective",
    Action: "operational_objective",
    Thematic: None,
    TransversalAxis: None,
}


def parent_field(model):
    try:
        return PARENT_FIELDS[model]
    except KeyError:
        raise OrderingError(f"{model._meta.verbose_name_plural} ne sont pas ordonnés") from None


def siblings(item):
    """The rows ordered together with `item` (itself included), in their order."""
    return reorder.siblings(item, parent_field(type(item)))


@transaction.atomic
def move(item, direction):
    """Swap `item` with its previous (UP) or next (DOWN) sibling; the sibling, or None at
    either end."""
    other = reorder.move(item, direction, parent_field(type(item)))
    if other is not None:
        record_change(item)
    return other


def next_position(model, parent_id=None):
    """The position of a new element of `model` under `parent_id`: after the last sibling."""
    return reorder.next_position(model, parent_field(model), parent_id)
