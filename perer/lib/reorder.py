"""Moving a row among its siblings: the one implementation of a reorder, for every app.

Callers: commitments/services/ordering.py (the protocol tree and the reference lists, which
names each model's parent) and the admin's reorder buttons of lists ordered as a whole
(perer/lib/admin_ordering.py: thematics, transversal axes, territories).

Invariants:
- Siblings are the rows sharing the parent (`parent_field`), or the whole table (None),
  ordered by position then id.
- A move swaps a row with its neighbour; the siblings keep the same set of positions, so only
  the two rows change. Siblings whose positions are not distinct are first numbered 1, 2, 3…
- Each changed row is saved with `save(update_fields=["position"])`: its own save logic
  (version, history) runs. What else a move changes (pages showing the order) is the
  caller's to record.
- One transaction, the siblings' rows locked (PostgreSQL): two simultaneous moves cannot give
  two siblings the same position. A unique (parent, position) constraint must be deferred to
  the commit, which lets the swap pass through a duplicate.

Queries: one locked read of the siblings, then one save per changed row (two in the normal
case), whatever the number of siblings.
"""

from django.db import transaction
from django.db.models import Max

UP, DOWN = "up", "down"


class OrderingError(ValueError):
    """A move that cannot be made: an unknown direction, a row deleted meanwhile."""


def siblings(item, parent_field=None):
    """The rows ordered together with `item` (itself included), in their order."""
    rows = type(item)._default_manager.all()
    if parent_field is not None:
        rows = rows.filter(**{f"{parent_field}_id": getattr(item, f"{parent_field}_id")})
    return rows.order_by("position", "pk")


def move(item, direction, parent_field=None):
    """Swap `item` with its previous (UP) or next (DOWN) sibling. Returns the sibling it
    changed places with, or None when `item` is already first (UP) or last (DOWN)."""
    if direction not in (UP, DOWN):
        raise OrderingError(f"direction inconnue : {direction!r}")
    with transaction.atomic():
        rows = list(siblings(item, parent_field).select_for_update())
        index = next((i for i, row in enumerate(rows) if row.pk == item.pk), None)
        if index is None:
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
        fields = ["position", *(["version"] if hasattr(item, "version") else [])]
        item.refresh_from_db(fields=fields)
        return rows[index]


def next_position(model, parent_field=None, parent_id=None):
    """The position of a new row of `model` (under `parent_id`): after the last sibling."""
    rows = model._default_manager.all()
    if parent_field is not None:
        rows = rows.filter(**{f"{parent_field}_id": parent_id})
    return (rows.aggregate(last=Max("position"))["last"] or 0) + 1
