"""Load protocol trees in a constant number of queries.

The protocol page, the thematic comparison, the PDF, the exports and the API's nested tree all
render from these loaders, so they always show the same content in the same order.
`protocol_tree_queryset()` costs 11 queries whatever the protocols' size: protocols with their
territory, sections with their thematic, then each level with its pilot, partners and axes.
`load_protocol_tree()` loads one protocol in 7 (6 from a protocol already loaded): the protocol,
sections, each level with its pilot, then the partners of all three levels in one query and
their axes in another (`attach_links`), so the protocol page stays within its 10 queries.
"""

from typing import Any, cast

from django.db.models import F, IntegerField, ManyToManyField, Model, Prefetch, Value

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
    actions = _related(Action.objects.select_related("pilot"), details).order_by("position")
    operational = _related(OperationalObjective.objects.select_related("pilot"), details)
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


def load_protocol_tree(protocol_id=None, *, protocol=None):
    """The protocol with sections → strategic → operational objectives → actions attached as if
    prefetched (`protocol.sections.all()`, `section.strategic_objectives.all()`… run no
    query, and each child knows its parent), each node with its partners and axes
    (`node.partners.all()` runs no query).

    `protocol`: a Protocol already loaded (with its territory): the tree is attached to it.
    One query per level, each by its parents' keys, in position order; the children are
    attached in Python (Django's prefetch builds a queryset per parent, which cost more than
    the queries on the largest protocol page)."""
    if protocol is None:
        protocol = Protocol.objects.select_related("territory").get(pk=protocol_id)
    sections = ThematicSection.objects.select_related("thematic").filter(protocol=protocol)
    sections = _attach_children([protocol], "sections", sections)
    strategic = _attach_children(sections, "strategic_objectives", StrategicObjective.objects)
    operational = _attach_children(
        strategic, "operational_objectives", OperationalObjective.objects.select_related("pilot")
    )
    actions = _attach_children(operational, "actions", Action.objects.select_related("pilot"))
    attach_links([*strategic, *operational, *actions], [section.pk for section in sections])
    return protocol


def _attach_children(parents, name, queryset):
    """Load the children of `parents` through their reverse relation `name` (one query, in
    position order), put them in each parent's prefetch cache and each parent in its children's
    foreign key cache; return the children in document order."""
    relation = type(parents[0])._meta.get_field(name) if parents else None
    if relation is None:
        return []
    parent_field = relation.field
    by_parent: dict[int, list[Any]] = {parent.pk: [] for parent in parents}
    children = queryset.filter(**{f"{parent_field.attname}__in": list(by_parent)})
    for child in children.order_by("position", "pk"):
        by_parent[getattr(child, parent_field.attname)].append(child)
    ordered = []
    evaluated = Evaluated(relation.related_model)
    for parent in parents:
        items = by_parent[parent.pk]
        for child in items:
            parent_field.set_cached_value(child, parent)
        cache = parent.__dict__.setdefault("_prefetched_objects_cache", {})
        cache[name] = evaluated.of(items)
        ordered.extend(items)
    return ordered


LINK_ORDER = {"partners": ("t_name", "t_id"), "axes": ("t_position", "t_name", "t_id")}


def _links_of(section_ids, name):
    """{(model, node pk): [related objects]} for the many-to-many field `name` ("partners" or
    "axes") of every level under the sections `section_ids`: one UNION ALL query of the three
    link tables joined to the related table, in the related model's order (as the per-level
    prefetch gave it). The link rows are found by their nodes' sections (a short list of keys:
    a list of every node's key cost more to build than the query), not up to the protocol."""
    models = (StrategicObjective, OperationalObjective, Action)
    related = cast(type[Model], models[0]._meta.get_field(name).related_model)  # Partner, axis
    columns = [field.attname for field in related._meta.concrete_fields]
    parts = []
    for rank, model in enumerate(models):
        field = cast(ManyToManyField, model._meta.get_field(name))  # partners, axes
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        in_sections = {f"{source}__{model.tree.section}__in": section_ids}
        through = field.remote_field.through
        assert through is not None  # set (auto-created) when the models are loaded
        links = through._default_manager.filter(**in_sections)
        parts.append(
            links.order_by().values(
                lvl=Value(rank, output_field=IntegerField()),
                node=F(f"{source}_id"),
                **{f"t_{column}": F(f"{target}__{column}") for column in columns},
            )
        )
    first, *others = parts
    rows = first.union(*others, all=True).order_by("lvl", "node", *LINK_ORDER[name])
    found: dict[tuple[type, int], list[Any]] = {}
    instances: dict[int, Any] = {}
    for row in rows:
        # One instance per partner (or axis), shared by the nodes that name it.
        instance = instances.get(row["t_id"])
        if instance is None:
            values = [row[f"t_{column}"] for column in columns]
            instance = instances[row["t_id"]] = related.from_db(rows.db, columns, values)
        found.setdefault((models[row["lvl"]], row["node"]), []).append(instance)
    return related, found


class Evaluated:
    """Querysets already evaluated, as a prefetch leaves them in `_prefetched_objects_cache`,
    for one model: each a copy of one empty queryset with its results set (building a
    queryset, with its SQL query object, for every node and relation cost more than the
    queries of the largest protocol page). A copy shares the empty query, which Django clones
    before any change (`filter()` on it builds a new queryset)."""

    def __init__(self, model):
        self.shell = model._default_manager._queryset_class(model=model)

    def of(self, items):
        queryset = object.__new__(type(self.shell))
        queryset.__dict__.update(self.shell.__dict__)
        queryset._result_cache = items
        queryset._prefetch_done = True
        return queryset


def attach_links(nodes, section_ids):
    """Give each node (all those of the sections `section_ids`) its partners and axes as if
    prefetched: two queries."""
    for name in ("partners", "axes"):
        related, found = _links_of(section_ids, name)
        evaluated = Evaluated(related)
        for node in nodes:
            cache = node.__dict__.setdefault("_prefetched_objects_cache", {})
            cache[name] = evaluated.of(found.get((type(node), node.pk), []))


def links(node, name):
    """`node.partners.all()` (or axes) without building a related manager per node and field
    (a page of a few hundred nodes built thousands): the list the loader attached, or a query."""
    attached = node.__dict__.get("_prefetched_objects_cache", {}).get(name)
    return attached if attached is not None else getattr(node, name).all()


def iter_commitments(protocol):
    """Every node of a loaded tree in document order: (level, node, section)."""
    for section in protocol.sections.all():
        for so in section.strategic_objectives.all():
            yield so.level, so, section
            for oo in so.operational_objectives.all():
                yield oo.level, oo, section
                for action in oo.actions.all():
                    yield action.level, action, section
