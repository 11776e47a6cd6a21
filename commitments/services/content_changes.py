"""Recording that what the public pages and the PDFs show has changed: `record_change`, the one
function every write path calls, explicitly, in the transaction that writes.

`record_change(*changed)` takes what was written — model instances or querysets — and finds the
protocols that show it:
- a protocol: itself; a thematic section, an objective, an action, a progress update: the
  protocol above it, found through its parent's key (so that it works before or after a
  deletion: the parent is still there);
- a territory or a row of a reference list (thematics, partners, axes, glossary), or one of
  their querysets: every protocol (every page shows them).
It then, in one UPDATE, moves those protocols' `last_changed_at` to now — the content version
the page caches read (views/page_cache.py `content_version`, perer/lib/versioned_cache.py) and
the version of each protocol's PDF (rendering/pdf.py) — and queues the PDFs' renders when the
transaction commits (tasks.refresh_after_commit: once per transaction, none if it rolls back).

Every write to a protocol's content calls it: the services (progress_rule, elements, ordering,
restore, spreadsheet, seed, editions, campaign_lifecycle, demo_data) and, through them, the admin,
the tracking space and the commands; the territories' admin through the signal it sends
(territories/changes.py, connected in commitments/apps.py). A backup import keeps the file's
stamps instead (services/backup.py). Nothing records a change behind the caller's back (no
signal on saves): code that writes must call it, whether it saves, updates or bulk-creates.

It takes the changed objects, not protocol ids, so that a finer "last change" per section can
be recorded from the same calls: each object's section is found the way its protocol is (its
`tree` path), and a change to a protocol's own fields, a territory or a reference list stands
for every section it shows.

Queries: one UPDATE (with a subquery per kind of object changed), whatever their number.
"""

from functools import reduce
from operator import or_

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from commitments.models import REFERENCE_MODELS, TARGET_FIELDS, ProgressUpdate, Protocol
from commitments.tasks import refresh_after_commit
from territories.models import Territory

# Shown by every page and every PDF: a change to one of these changes every protocol.
SHOWN_EVERYWHERE = (Territory, *REFERENCE_MODELS)


def _content_model(model):
    if model is not ProgressUpdate and not hasattr(model, "tree"):
        raise TypeError(f"{model.__name__} is not shown by the protocols' pages")
    return model


def _protocols_of_rows(queryset):
    """The protocols holding the rows of `queryset`, as a condition on Protocol."""
    model = _content_model(queryset.model)
    if model is Protocol:
        return Q(pk__in=queryset.values("pk"))
    if model is ProgressUpdate:
        return reduce(
            or_,
            (
                Q(pk__in=queryset.values(f"{field}__{target.tree.protocol}"))
                for target, field in TARGET_FIELDS.items()
            ),
        )
    return Q(pk__in=queryset.values(model.tree.protocol))


def _parent(instance):
    """(model, id) of the row above `instance` on its way to the protocol (None: none yet)."""
    if isinstance(instance, ProgressUpdate):
        for model, field in TARGET_FIELDS.items():
            if getattr(instance, f"{field}_id") is not None:
                return model, getattr(instance, f"{field}_id")
        return None
    name = _content_model(type(instance)).tree.protocol.split("__")[0]
    parent_id = getattr(instance, f"{name}_id")
    if parent_id is None:
        return None
    return type(instance)._meta.get_field(name).related_model, parent_id


def _protocols_of_instances(instances):
    """The protocols holding `instances` (of any kinds of the tree), as conditions."""
    by_parent: dict[type[Model], set[int]] = {}
    for instance in instances:
        if isinstance(instance, Protocol):
            by_parent.setdefault(Protocol, set()).add(instance.pk)
            continue
        parent = _parent(instance)
        if parent is not None:
            by_parent.setdefault(parent[0], set()).add(parent[1])
    return [
        _protocols_of_rows(model._default_manager.filter(pk__in=ids))
        for model, ids in by_parent.items()
    ]


def _shown_everywhere(item):
    if isinstance(item, QuerySet):
        return item.model in SHOWN_EVERYWHERE
    return isinstance(item, SHOWN_EVERYWHERE)


def changed_protocols(*changed):
    """The protocols that show `changed` (instances or querysets, see the module docstring), as
    a queryset; evaluated when used, so that a queryset of rows about to be deleted must be
    used before the deletion."""
    if any(_shown_everywhere(item) for item in changed):
        return Protocol.objects.all()
    instances = [item for item in changed if isinstance(item, Model)]
    conditions = [_protocols_of_rows(item) for item in changed if isinstance(item, QuerySet)]
    conditions += _protocols_of_instances(instances)
    if not conditions:
        return Protocol.objects.none()
    return Protocol.objects.filter(reduce(or_, conditions))


def record_change(*changed):
    """Record that `changed` (see the module docstring) was written: its protocols'
    `last_changed_at` moves to now, and their PDFs are rendered again after the commit. Call it
    in the transaction that writes; for a deletion, with the objects or the queryset before it
    (the rows are found through their parents). Returns the number of protocols changed."""
    stamped = changed_protocols(*changed).update(last_changed_at=timezone.now())
    refresh_after_commit()
    return stamped
