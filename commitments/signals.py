"""Keep `Protocol.last_changed_at` current: it drives PDF and page cache invalidation.

Any save or delete anywhere in a protocol's tree marks that protocol as changed. Code that
writes with `QuerySet.update()` (no signals) must call `Protocol.objects.filter(...).touch()`.
"""

import threading
from contextlib import contextmanager, suppress

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from commitments.models import (
    Action,
    GlossaryTerm,
    OperationalObjective,
    Partner,
    ProgressUpdate,
    Protocol,
    StrategicObjective,
    Thematic,
    ThematicSection,
    TransversalAxis,
)
from territories.models import Territory


def protocols_of(instance):
    """A queryset of the protocols that contain `instance`."""
    if isinstance(instance, Protocol):
        return Protocol.objects.filter(pk=instance.pk)
    if isinstance(instance, ThematicSection):
        return Protocol.objects.filter(pk=instance.protocol_id)
    if isinstance(instance, StrategicObjective):
        return Protocol.objects.filter(sections__pk=instance.section_id)
    if isinstance(instance, OperationalObjective):
        return Protocol.objects.filter(
            sections__strategic_objectives__pk=instance.strategic_objective_id
        )
    if isinstance(instance, Action):
        return Protocol.objects.filter(
            sections__strategic_objectives__operational_objectives__pk=instance.operational_objective_id
        )
    if isinstance(instance, ProgressUpdate):
        return protocols_of(instance.action or instance.operational_objective)
    # Territories (the cards, the lists), glossary terms, thematics, partners and axes appear
    # on every page and in every protocol.
    return Protocol.objects.all()


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


TOUCHING_MODELS = (
    Protocol,  # its own fields (title, preamble…) are in the PDF too
    ThematicSection,
    StrategicObjective,
    OperationalObjective,
    Action,
    ProgressUpdate,
    Territory,
    GlossaryTerm,
    Thematic,
    Partner,
    TransversalAxis,
)


@receiver(post_save)
@receiver(post_delete)
def touch_protocol(sender, instance, raw=False, **kwargs):
    if raw or sender not in TOUCHING_MODELS or getattr(_state, "suspended", False):
        return
    # In a cascade delete the parent may be gone already: its own signal touched the protocol.
    with suppress(Action.DoesNotExist, OperationalObjective.DoesNotExist):
        protocols_of(instance).touch()


@receiver(m2m_changed)
def touch_on_m2m(sender, instance, action, **kwargs):
    if getattr(_state, "suspended", False):
        return
    if action.startswith("post_") and isinstance(
        instance, StrategicObjective | OperationalObjective | Action
    ):
        protocols_of(instance).touch()


# The latest-update rule (status and progress from the latest ProgressUpdate).
from commitments import tracking  # noqa: E402, F401
