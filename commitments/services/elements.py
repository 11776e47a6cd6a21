"""Saving and deleting the elements of the protocols — protocols, thematic sections, objectives,
actions — and the rows of the reference lists (thematics, partners, axes, glossary): the write
path of the admin's forms, inlines and deletions, and of the tracking space's pilot and years.

Each function writes and records the change of content itself (content_changes.record_change):
- `save_element(obj, by=...)`: a new element of an ordered list goes after its last sibling
  (services/ordering.next_position), and so does one moved to another parent (its position
  there could be a sibling's); the protocol it left, maybe another one, is recorded too.
  Many-to-many links (partners, axes) are saved by the caller in the same transaction (the
  admin's save_related): the change recorded here covers them, since it becomes visible with
  them, at the commit.
- `delete_element(obj, by=...)`, `delete_elements(queryset)`: the change is recorded
  before the deletion (the rows are found through their parents); what the database deletes
  with them (children, progress updates) goes with them.
Progress updates have their own write path (services/progress_rule.py: the rule follows them).

Queries: a save is its own queries plus two UPDATEs for the change (sections, protocols; for a
tree element, one SELECT of its stored parent; a move, two more UPDATEs and the next position);
a deletion, two UPDATEs plus Django's cascade.
"""

from django.db import transaction

from commitments.services import ordering
from commitments.services.content_changes import record_change


@transaction.atomic
def save_element(obj, *, by=None):
    """Save `obj` (a protocol, a section, an objective, an action or a reference-list row) and
    record the change where it is and, for a tree element, where it was."""
    model = type(obj)
    field = ordering.PARENT_FIELDS.get(model)
    parent_id = getattr(obj, f"{field}_id") if field else None
    if obj._state.adding:
        if model in ordering.PARENT_FIELDS:
            obj.position = ordering.next_position(model, parent_id)
    elif field:
        stored = model._default_manager.filter(pk=obj.pk)
        if stored.values_list(f"{field}_id", flat=True).first() != parent_id:
            record_change(stored)  # where it was, before it moves
            obj.position = ordering.next_position(model, parent_id)
    obj._history_user = by
    obj.save()
    record_change(obj)
    return obj


@transaction.atomic
def delete_element(obj, *, by=None):
    """Delete `obj` (and what the database deletes with it), recording the change first."""
    record_change(obj)
    obj._history_user = by
    obj.delete()


@transaction.atomic
def delete_elements(queryset):
    """Delete the rows of `queryset` (the admin's bulk deletion), recording the change first.
    Returns the number of rows deleted, cascades included (their history records the request's
    user: simple-history's middleware)."""
    record_change(queryset)
    deleted, _ = queryset.delete()
    return deleted
