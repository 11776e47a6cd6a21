"""Bring back a deleted objective or action with everything deleted along with it.

Deleting a strategic objective cascades to its operational objectives, their actions, the
progress updates of both and the indicators of all three (with their values).
django-simple-history keeps the last state of each row (a "-" record); this service rebuilds
the object from that record, then, level by level, the children whose deletion was recorded at
the same time (same user, within CASCADE_WINDOW), with their partners and transversal axes as
they were just before the deletion. The restored
commitments then follow their restored progress updates (progress_rule.sync_from_updates), and
the change of content is recorded (content_changes.record_change). An indicator whose
definition was deleted since, or whose place (definition, territory, scope) a new indicator
took, stays deleted.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Model

from commitments.enums import Status
from commitments.models import (
    TRACKED_MODELS,
    Action,
    Indicator,
    IndicatorDefinition,
    IndicatorValue,
    OperationalObjective,
    Partner,
    ProgressUpdate,
    StrategicObjective,
    TransversalAxis,
)
from commitments.services.content_changes import record_change
from commitments.services.progress_rule import sync_from_updates

# Children deleted by the same cascade are recorded within moments of their parent.
CASCADE_WINDOW = timedelta(minutes=1)
RESTORE_REASON = "Restauration d'un élément supprimé"

# model → its parent foreign key
PARENT_FIELDS = {
    StrategicObjective: "section",
    OperationalObjective: "strategic_objective",
    Action: "operational_objective",
}
# model → the (child model, foreign key to the model) deleted with it
CHILDREN: dict[type[Model], list[tuple[type[Model], str]]] = {
    StrategicObjective: [
        (OperationalObjective, "strategic_objective"),
        (Indicator, "strategic_objective"),
    ],
    OperationalObjective: [
        (Action, "operational_objective"),
        (ProgressUpdate, "operational_objective"),
        (Indicator, "operational_objective"),
    ],
    Action: [(ProgressUpdate, "action"), (Indicator, "action")],
    Indicator: [(IndicatorValue, "indicator")],
}
# The order children come back in: updates as recorded, values by year, nodes by position.
CHILD_ORDER = {ProgressUpdate: "created_at", Indicator: "id", IndicatorValue: "year"}
RESTORABLE_MODELS = tuple(PARENT_FIELDS)


class UndeleteError(Exception):
    pass


@dataclass
class DeletedItem:
    record: Any  # the "-" historical record
    parent_exists: bool

    @property
    def pk(self):
        return self.record.id


@dataclass
class UndeleteResult:
    restored: list = field(default_factory=list)

    def count(self, model):
        return sum(1 for obj in self.restored if isinstance(obj, model))


def _history(model):
    return model.history.model.objects


def deleted_items(model, limit=200):
    """The deleted objects of `model` still missing, latest deletion first (one record each)."""
    parent_field = PARENT_FIELDS[model]
    parent_model = model._meta.get_field(parent_field).related_model
    records = (
        _history(model)
        .filter(history_type="-")
        .exclude(id__in=model._default_manager.values("pk"))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit * 3]
    )
    latest: dict[int, Any] = {}  # id: its latest historical record
    for record in records:
        latest.setdefault(record.id, record)
    items = list(latest.values())[:limit]
    parent_ids = {getattr(item, f"{parent_field}_id") for item in items}
    existing = set(
        parent_model._default_manager.filter(pk__in=parent_ids).values_list("pk", flat=True)
    )
    return [
        DeletedItem(record, getattr(record, f"{parent_field}_id") in existing) for record in items
    ]


def _last_record(model, pk):
    return _history(model).filter(id=pk).order_by("-history_date", "-history_id").first()


def _m2m_before_deletion(model, pk, deletion):
    """{field name: [ids]} as recorded by the last record before the deletion (the deletion
    record itself is written after Django removed the m2m rows)."""
    m2m_fields = model.history.model._history_m2m_fields
    if not m2m_fields:
        return {}
    before = (
        _history(model)
        .filter(id=pk, history_date__lte=deletion.history_date)
        .exclude(history_type="-")
        .order_by("-history_date", "-history_id")
        .first()
    )
    values = {}
    for m2m_field in m2m_fields:
        target = m2m_field.related_model._meta.model_name
        ids = (
            []
            if before is None
            else getattr(before, m2m_field.name).values_list(f"{target}_id", flat=True)
        )
        values[m2m_field.name] = list(ids)
    return values


def _undelete_one(model, record, user, result):
    instance = record.instance
    parent_field = PARENT_FIELDS.get(model)
    if parent_field is not None:
        # Someone may have taken the position meanwhile: go last rather than collide.
        siblings = model._default_manager.filter(
            **{f"{parent_field}_id": getattr(instance, f"{parent_field}_id")}
        )
        if siblings.filter(position=instance.position).exists():
            instance.position = (siblings.aggregate(top=Max("position"))["top"] or 0) + 1
    pilot_id = getattr(instance, "pilot_id", None)
    if pilot_id is not None and not Partner.objects.filter(pk=pilot_id).exists():
        instance.pilot_id = None
    if getattr(instance, "author_id", None) is not None:
        author_model = model._meta.get_field("author").related_model
        if not author_model.objects.filter(pk=instance.author_id).exists():
            instance.author_id = None
    if isinstance(instance, TRACKED_MODELS):
        # Restored as never reported: its progress updates, restored next, set its status.
        instance.status, instance.progress = Status.NOT_REPORTED, 0
    instance._history_user = user
    instance._change_reason = RESTORE_REASON
    instance.save(force_insert=True)
    if hasattr(record, "created_at"):
        # auto_now_add stamped the restore time: keep the original creation time (it orders
        # progress updates of the same date).
        model._default_manager.filter(pk=instance.pk).update(created_at=record.created_at)
        instance.created_at = record.created_at
    m2m = _m2m_before_deletion(model, instance.pk, record)
    related = {"partners": Partner, "axes": TransversalAxis}
    for name, ids in m2m.items():
        existing = related[name]._default_manager.filter(pk__in=ids)
        getattr(instance, name).set(existing)
    result.restored.append(instance)
    return instance


def _undelete_children(model, parent, deletion, user, result):
    for child_model, fk in CHILDREN.get(model, []):
        window = (deletion.history_date - CASCADE_WINDOW, deletion.history_date + CASCADE_WINDOW)
        candidates = (
            _history(child_model)
            .filter(**{f"{fk}_id": parent.pk}, history_type="-", history_date__range=window)
            .exclude(id__in=child_model._default_manager.values("pk"))
            .order_by("history_date", "history_id")
        )
        if deletion.history_user_id is not None:
            candidates = candidates.filter(history_user_id=deletion.history_user_id)
        seen = set()
        ordering = CHILD_ORDER.get(child_model, "position")
        records = sorted(candidates, key=lambda r: (getattr(r, ordering), r.history_id))
        for record in records:
            if record.id in seen:
                continue
            seen.add(record.id)
            last = _last_record(child_model, record.id)
            if last is None or last.history_id != record.history_id:
                continue  # restored and deleted again since, or moved: not part of this cascade
            if child_model is Indicator and not _indicator_can_come_back(record):
                continue
            child = _undelete_one(child_model, record, user, result)
            _undelete_children(child_model, child, record, user, result)


def _indicator_can_come_back(record):
    """Its definition still exists and no indicator took its place meanwhile."""
    place = {
        "definition_id": record.definition_id,
        "territory_id": record.territory_id,
        "scope": record.scope,
    }
    return (
        IndicatorDefinition.objects.filter(pk=record.definition_id).exists()
        and not Indicator.objects.filter(**place).exists()
    )


@transaction.atomic
def undelete(model, pk, user=None):
    """Restore the deleted `model` row `pk` and what was deleted with it.

    Returns a UndeleteResult; raises UndeleteError with a French message when impossible.
    """
    if model not in RESTORABLE_MODELS:
        raise UndeleteError("Ce type d'élément ne peut pas être restauré ici.")
    if model._default_manager.filter(pk=pk).exists():
        raise UndeleteError("Cet élément existe déjà : il n'y a rien à restaurer.")
    record = _last_record(model, pk)
    if record is None or record.history_type != "-":
        raise UndeleteError("Aucune trace de suppression pour cet élément.")
    parent_field = PARENT_FIELDS[model]
    parent_model = model._meta.get_field(parent_field).related_model
    if not parent_model._default_manager.filter(pk=getattr(record, f"{parent_field}_id")).exists():
        raise UndeleteError(
            f"Le parent de cet élément ({parent_model._meta.verbose_name}) a été supprimé : "
            "restaurez-le d'abord."
        )
    result = UndeleteResult()
    obj = _undelete_one(model, record, user, result)
    _undelete_children(model, obj, record, user, result)
    # Restored as never reported: each commitment follows its restored updates.
    for tracked in TRACKED_MODELS:
        restored = [item.pk for item in result.restored if isinstance(item, tracked)]
        if restored:
            sync_from_updates(tracked.objects.filter(pk__in=restored))
    record_change(obj)
    return result
