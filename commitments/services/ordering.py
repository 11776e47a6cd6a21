"""The order of siblings: the only code that changes a `position` once a row exists.

Siblings are the rows of one parent (a protocol's sections, a section's strategic objectives,
an objective's operational objectives or actions) or the whole table for the reference lists
shown in order (thematics, transversal axes). Every reordering path calls `move`: the "Monter"
and "Descendre" buttons of a parent's admin form and of the reference lists.

Invariants:
- A move swaps an element with its neighbour in the siblings' order (position, then id); the
  siblings keep the same set of positions, so only the two rows change. Siblings whose
  positions are not distinct (typed by hand long ago) are first numbered 1, 2, 3…
- Each changed row is saved with `save(update_fields=["position"])`: its version goes up, its
  history records who moved it and the signals mark its protocols as changed.
- All of it in one transaction that locks the siblings' rows (PostgreSQL), so that two
  simultaneous moves cannot give two siblings the same position; the per-parent unique
  constraint is deferred to the commit, which lets the swap pass through a duplicate.
- `next_position` gives a new row its place: after its last sibling.

Queries: one locked read of the siblings, then one save per changed row (two in the normal
case), whatever the number of siblings.
"""

from django.db import transaction
from django.db.models import Max

from commitments.models import (
    Action,
    OperationalObjective,
    StrategicObjective,
    Thematic,
    ThematicSection,
    TransversalAxis,
)

UP, DOWN = "up", "down"

# The foreign key to the parent whose children are ordered; None: the whole table.
PARENT_FIELDS = {
    ThematicSection: "protocol",
    StrategicObjective: "section",
    OperationalObjective: "strategic_objective",
    Action: "operational_objective",
    Thematic: None,
    TransversalAxis: None,
}


class OrderingError(ValueError):
    """A move that cannot be made (unknown direction, a model that is not ordered)."""


def parent_field(model):
    try:
        return PARENT_FIELDS[model]
    except KeyError:
        raise OrderingError(f"{model._meta.verbose_name_plural} ne sont pas ordonnés") from None


def siblings(item):
    """The rows ordered together with `item` (itself included), in their order."""
    model = type(item)
    field = parent_field(model)
    rows = model._default_manager.all()
    if field is not None:
        rows = rows.filter(**{f"{field}_id": getattr(item, f"{field}_id")})
    return rows.order_by("position", "pk")


def move(item, direction):
    """Swap `item` with its previous (UP) or next (DOWN) sibling. Returns the sibling it
    changed places with, or None when `item` is already first (UP) or last (DOWN)."""
    if direction not in (UP, DOWN):
        raise OrderingError(f"direction inconnue : {direction!r}")
    with transaction.atomic():
        rows = list(siblings(item).select_for_update())
        index = next((i for i, row in enumerate(rows) if row.pk == item.pk), None)
        if index is None:  # deleted meanwhile
            raise OrderingError("Cet élément n'existe plus.")
        other = index - 1 if direction == UP else index + 1
        if not 0 <= other < len(rows):
            return None
        slots = [row.position for row in rows]
        if len(set(slots)) < len(slots):
            slots = list(range(1, len(rows) + 1))
        rows[index], rows[other] = rows[other], rows[index]
        for row, position in zip(rows, slots, strict=True):
            if row.position != position:
                row.position = position
                row.save(update_fields=["position"])
        item.refresh_from_db(
            fields=["position", *(["version"] if hasattr(item, "version") else [])]
        )
        return rows[index]


def next_position(model, parent_id=None):
    """The position of a new row of `model` under `parent_id`: after the last sibling."""
    field = parent_field(model)
    rows = model._default_manager.all()
    if field is not None:
        rows = rows.filter(**{f"{field}_id": parent_id})
    return (rows.aggregate(last=Max("position"))["last"] or 0) + 1
