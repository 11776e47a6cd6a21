"""Recording that what the public pages and the PDFs show has changed: `record_change`, the one
function every write path calls, explicitly, in the transaction that writes.

`record_change(*changed)` takes what was written — model instances or querysets — and finds the
protocols that show it:
- a protocol: itself; a thematic section, an objective, an action, a progress update: the
  protocol above it, found through its parent's key (so that it works before or after a
  deletion: the parent is still there);
- a territory or a row of a reference list (thematics, partners, axes, glossary), or one of
  their querysets: every protocol (every page shows them).
It then moves those protocols' `last_changed_at` (and their sections', see below) to now — the
content version the page caches read (views/page_cache.py `content_version`,
perer/lib/versioned_cache.py) and the version of each protocol's PDF (rendering/pdf.py) — and
queues the PDFs' renders when the transaction commits (tasks.refresh_after_commit: once per
transaction, none if it rolls back).

Every write to a protocol's content calls it: the services (progress_rule, elements, ordering,
restore, spreadsheet, seed, editions, campaign_lifecycle, demo_data) and, through them, the admin,
the tracking space and the commands; the territories' admin through the signal it sends
(territories/changes.py, connected in commitments/apps.py). A backup import keeps the file's
stamps instead (services/backup.py). Nothing records a change behind the caller's back (no
signal on saves): code that writes must call it, whether it saves, updates or bulk-creates.

It takes the changed objects, not protocol ids, so that it also records each thematic section's
own last change (`ThematicSection.last_changed_at`, the key of the section's cached fragment on
the protocol page: rendering/protocol_fragments.py): each object's section is found the way its
protocol is (its `tree` path), and a change to a protocol's own fields (an edition published
included), a territory or a reference list stands for every section it shows.

Queries: two UPDATEs (sections, then protocols; each with a subquery per kind of object
changed), whatever their number.
"""

from functools import reduce
from operator import or_

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from commitments.models import (
    REFERENCE_MODELS,
    TARGET_FIELDS,
    ProgressUpdate,
    Protocol,
    ThematicSection,
)
from commitments.tasks import refresh_after_commit
from territories.models import Territory

# Shown by every page and every PDF: a change to one of these changes every protocol.
SHOWN_EVERYWHERE = (Territory, *REFERENCE_MODELS)


def _content_model(model):
    if model is not ProgressUpdate and not hasattr(model, "tree"):
        raise TypeError(f"{model.__name__} is not shown by the protocols' pages")
    return model


def _rows_of(queryset, level):
    """The protocols (`level` "protocol") or thematic sections ("section") holding the rows of
    `queryset`, as a condition on that model; a protocol's sections are all of its sections."""
    model = _content_model(queryset.model)
    if model is ProgressUpdate:
        return reduce(
            or_,
            (
                Q(pk__in=queryset.values(f"{field}__{getattr(target.tree, level)}"))
                for target, field in TARGET_FIELDS.items()
            ),
        )
    if model is Protocol and level == "section":
        return Q(protocol__in=queryset.values("pk"))
    return Q(pk__in=queryset.values(getattr(model.tree, level) or "pk"))


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


def _rows_of_instances(instances, level):
    """The protocols or sections (`level`) holding `instances` (of any kinds of the tree), as
    conditions. A section itself is found by its key (it is its own section)."""
    by_model: dict[type[Model], set[int]] = {}
    for instance in instances:
        if isinstance(instance, Protocol) or (
            isinstance(instance, ThematicSection) and level == "section"
        ):
            by_model.setdefault(type(instance), set()).add(instance.pk)
            continue
        parent = _parent(instance)
        if parent is not None:
            by_model.setdefault(parent[0], set()).add(parent[1])
    return [
        _rows_of(model._default_manager.filter(pk__in=ids), level)
        for model, ids in by_model.items()
    ]


def _shown_everywhere(item):
    if isinstance(item, QuerySet):
        return item.model in SHOWN_EVERYWHERE
    return isinstance(item, SHOWN_EVERYWHERE)


def _changed(model, level, changed):
    if any(_shown_everywhere(item) for item in changed):
        return model.objects.all()
    instances = [item for item in changed if isinstance(item, Model)]
    conditions = [_rows_of(item, level) for item in changed if isinstance(item, QuerySet)]
    conditions += _rows_of_instances(instances, level)
    if not conditions:
        return model.objects.none()
    return model.objects.filter(reduce(or_, conditions))


def changed_protocols(*changed):
    """The protocols that show `changed` (instances or querysets, see the module docstring), as
    a queryset; evaluated when used, so that a queryset of rows about to be deleted must be
    used before the deletion."""
    return _changed(Protocol, "protocol", changed)


def changed_sections(*changed):
    """The thematic sections that show `changed`, as changed_protocols finds the protocols: the
    section of each node or update, every section of a changed protocol, every section for a
    territory or a reference list."""
    return _changed(ThematicSection, "section", changed)


def record_change(*changed):
    """Record that `changed` (see the module docstring) was written: its protocols'
    `last_changed_at` moves to now, and their PDFs are rendered again after the commit. Call it
    in the transaction that writes; for a deletion, with the objects or the queryset before it
    (the rows are found through their parents). Returns the number of protocols changed."""
    now = timezone.now()
    changed_sections(*changed).update(last_changed_at=now)
    stamped = changed_protocols(*changed).update(last_changed_at=now)
    refresh_after_commit()
    return stamped
