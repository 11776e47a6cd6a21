"""Every signal receiver of the portal, registered when the app is ready (apps.py).

1. `Protocol.last_changed_at` stays current: it drives PDF and page cache invalidation. Any
   save or delete anywhere in a protocol's tree marks that protocol as changed; a change to a
   territory or a reference list (shown in every protocol) marks them all. Code that writes
   with `QuerySet.update()` or `bulk_update()` (no signals) must call `touch()` itself.
   Every `touch()` sends `protocols_touched`: the PDFs' renders are queued when the
   transaction commits (commitments/tasks.py `refresh_after_commit`, once per transaction).
2. The latest-update rule: saving or deleting a progress update resyncs its commitment's
   status and progress (commitments/services/progress_rule.py).
"""

import threading
from contextlib import contextmanager

from django.db.models.signals import m2m_changed, post_delete, post_init, post_save
from django.dispatch import receiver

from commitments.models import (
    NODE_MODELS,
    PROTOCOL_MODELS,
    REFERENCE_MODELS,
    TARGET_FIELDS,
    Action,
    OperationalObjective,
    ProgressUpdate,
    Protocol,
    ThematicSection,
)
from commitments.models.protocol import protocols_touched
from commitments.services.progress_rule import resync, sync_from_updates
from commitments.tasks import refresh_after_commit
from territories.models import Territory

_state = threading.local()


@contextmanager
def touches_suspended():
    """For bulk loads (seeding, imports) that set `last_changed_at` themselves once at the end:
    skips one UPDATE per saved row."""
    previous = getattr(_state, "suspended", False)
    _state.suspended = True
    try:
        yield
    finally:
        _state.suspended = previous


def _protocols_above(model, pk):
    """The protocol holding row `pk` of `model`, as a subquery (a row already deleted by a
    cascade matches nothing: its parent's own signal touches the protocol)."""
    if model is Protocol:
        return Protocol.objects.filter(pk=pk)
    return Protocol.objects.filter(pk__in=model.objects.filter(pk=pk).values(model.tree.protocol))


def protocols_of(instance):
    """A queryset of the protocols that contain `instance` (all of them for the territories
    and the reference lists, which every page and every protocol show). Reads only the
    instance's own foreign keys, so that it works in post_delete too."""
    if isinstance(instance, Protocol):
        return Protocol.objects.filter(pk=instance.pk)
    if isinstance(instance, ProgressUpdate):
        for model, field in TARGET_FIELDS.items():
            if getattr(instance, f"{field}_id") is not None:
                return _protocols_above(model, getattr(instance, f"{field}_id"))
        return Protocol.objects.none()
    if isinstance(instance, (ThematicSection, *NODE_MODELS)):
        parent = instance.tree.protocol.split("__")[0]
        parent_model = instance._meta.get_field(parent).related_model
        return _protocols_above(parent_model, getattr(instance, f"{parent}_id"))
    return Protocol.objects.all()


# Everything a public page or a PDF shows (a protocol's own fields, title and preamble, too).
TOUCHING_MODELS = (Territory, *REFERENCE_MODELS, *PROTOCOL_MODELS)


@receiver(post_save)
@receiver(post_delete)
def touch_protocol(sender, instance, raw=False, **kwargs):
    if raw or sender not in TOUCHING_MODELS or getattr(_state, "suspended", False):
        return
    protocols_of(instance).touch()


@receiver(m2m_changed)
def touch_on_m2m(sender, instance, action, **kwargs):
    if getattr(_state, "suspended", False):
        return
    if action.startswith("post_") and isinstance(instance, NODE_MODELS):
        protocols_of(instance).touch()


@receiver(protocols_touched, dispatch_uid="perer_pdf_renders")
def queue_pdf_renders(sender, **kwargs):
    refresh_after_commit()


@receiver(post_init, sender=ProgressUpdate)
def remember_target(sender, instance, **kwargs):
    # An update moved to another commitment must also resync the one it left.
    instance._tracking_target = (instance.action_id, instance.operational_objective_id)


@receiver(post_save, sender=ProgressUpdate)
@receiver(post_delete, sender=ProgressUpdate)
def apply_latest_update(sender, instance, raw=False, **kwargs):
    if raw:
        return
    current = (instance.action_id, instance.operational_objective_id)
    previous = getattr(instance, "_tracking_target", current)
    # No touch for the current target: this save/delete already touched it (touch_protocol).
    resync(*current)
    if previous != current:
        for queryset in _targets(*previous):
            sync_from_updates(queryset)
    instance._tracking_target = current


def _targets(action_id, operational_objective_id):
    if action_id is not None:
        yield Action.objects.filter(pk=action_id)
    if operational_objective_id is not None:
        yield OperationalObjective.objects.filter(pk=operational_objective_id)
