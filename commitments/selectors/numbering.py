"""The number of each element in its protocol ("2.1.3": section rank . strategic rank .
operational rank . action rank), as the exports, the spreadsheets and the API give it.

Ranks are 1-based and follow the documents' order. They are computed from the siblings' order,
not read from `position`, which may have gaps after reordering in the admin.
"""

from commitments.models import Action, OperationalObjective, StrategicObjective, ThematicSection

# Each level below the protocol, with the foreign key to its parent, top first.
LEVELS = (
    (ThematicSection, "protocol_id"),
    (StrategicObjective, "section_id"),
    (OperationalObjective, "strategic_objective_id"),
    (Action, "operational_objective_id"),
)


def _key(model, pk):
    return ("section", pk) if model is ThematicSection else (model.level, pk)


def commitment_paths(protocol_ids):
    """{(level, pk): "2.1.3"} for every node of the given protocols ({("section", pk): "2"}
    for the sections): one query per level."""
    protocol_ids = list(protocol_ids)
    paths = {}
    parent_model = None
    for model, parent_field in LEVELS:
        rows = (
            model.objects.filter(**{model.tree.lookup("protocol", "in"): protocol_ids})
            .order_by(parent_field, "position", "pk")
            .values_list("pk", parent_field)
        )
        counters: dict[int | None, int] = {}
        for pk, parent in rows:
            counters[parent] = counters.get(parent, 0) + 1
            prefix = f"{paths[_key(parent_model, parent)]}." if parent_model else ""
            paths[_key(model, pk)] = f"{prefix}{counters[parent]}"
        parent_model = model
    return paths


def tree_paths(protocol):
    """The same paths for a tree loaded by `load_protocol_tree` (no query)."""
    paths = {}
    for s_rank, section in enumerate(protocol.sections.all(), 1):
        paths["section", section.pk] = str(s_rank)
        for so_rank, so in enumerate(section.strategic_objectives.all(), 1):
            so_path = f"{s_rank}.{so_rank}"
            paths[so.level, so.pk] = so_path
            for oo_rank, oo in enumerate(so.operational_objectives.all(), 1):
                oo_path = f"{so_path}.{oo_rank}"
                paths[oo.level, oo.pk] = oo_path
                for a_rank, action in enumerate(oo.actions.all(), 1):
                    paths[action.level, action.pk] = f"{oo_path}.{a_rank}"
    return paths
