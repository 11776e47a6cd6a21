"""Load protocol trees in a constant number of queries.

The protocol page, the thematic comparison, the PDF, the exports and the API's nested tree all
render from these loaders, so they always show the same content in the same order.
`protocol_tree_queryset()` costs 11 queries whatever the protocols' size: protocols with their
territory, sections with their thematic, then each level with its lead, partners and axes.
"""

from django.db.models import Prefetch

from commitments.models import (
    Action,
    OperationalObjective,
    Protocol,
    StrategicObjective,
    ThematicSection,
)


def _related(queryset, details):
    """Partners and axes of each node, when the page shows them."""
    return queryset.prefetch_related("partners", "axes") if details else queryset


def strategic_objectives_tree(details=True):
    """Strategic objectives → operational objectives → actions, each level in order."""
    actions = _related(Action.objects.select_related("lead"), details).order_by("position")
    operational = _related(OperationalObjective.objects.select_related("lead"), details)
    operational = operational.prefetch_related(Prefetch("actions", queryset=actions))
    strategic = _related(StrategicObjective.objects.all(), details).prefetch_related(
        Prefetch("operational_objectives", queryset=operational.order_by("position"))
    )
    return strategic.order_by("position")


def sections_tree(details=True):
    """Thematic sections with their thematic and their whole tree."""
    return ThematicSection.objects.select_related("thematic").prefetch_related(
        Prefetch("strategic_objectives", queryset=strategic_objectives_tree(details))
    )


def protocol_tree_queryset():
    sections = sections_tree().order_by("position")
    return Protocol.objects.select_related("territory").prefetch_related(
        Prefetch("sections", queryset=sections)
    )


def load_protocol_tree(protocol_id):
    """The protocol with sections → strategic → operational objectives → actions prefetched."""
    return protocol_tree_queryset().get(pk=protocol_id)


def iter_commitments(protocol):
    """Every node of a loaded tree in document order: (level, node, section)."""
    for section in protocol.sections.all():
        for so in section.strategic_objectives.all():
            yield so.level, so, section
            for oo in so.operational_objectives.all():
                yield oo.level, oo, section
                for action in oo.actions.all():
                    yield action.level, action, section
