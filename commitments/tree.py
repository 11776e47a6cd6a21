"""Load a whole protocol tree in a constant number of queries.

The protocol page, the PDF and the API's nested tree all render from this one loader, so the
three always show the same content in the same order.
"""

from django.db.models import Prefetch

from commitments.models import (
    Action,
    OperationalObjective,
    Protocol,
    StrategicObjective,
    ThematicSection,
)


def protocol_tree_queryset():
    actions = Action.objects.select_related("lead").prefetch_related("partners", "axes")
    operational = (
        OperationalObjective.objects.select_related("lead")
        .prefetch_related(
            "partners", "axes", Prefetch("actions", queryset=actions.order_by("position"))
        )
        .order_by("position")
    )
    strategic = StrategicObjective.objects.prefetch_related(
        "partners", "axes", Prefetch("operational_objectives", queryset=operational)
    ).order_by("position")
    sections = (
        ThematicSection.objects.select_related("thematic")
        .prefetch_related(Prefetch("strategic_objectives", queryset=strategic))
        .order_by("position")
    )
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
