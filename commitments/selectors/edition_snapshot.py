"""Snapshots of a protocol's text: the read side of editions (models/edition.py).

- `snapshot_of(protocol)`: the current text as one JSON document, format "perer-edition"
  version 1 (docs/api.md): the protocol's text fields, then its sections → strategic
  objectives → operational objectives → actions in document order, each NODE with its kind,
  its id (the same id in two snapshots is the same item), its display number
  (selectors/numbering.py) and its text fields, partners and axes (names, sorted). Never the
  tracking data. Constant queries: the tree loader of selectors/protocol_tree.py (a fixed
  number whatever the protocol's size), numbering on the loaded tree (no query).
- `snapshot_from_tree(protocol, paths)` / `snapshot_of_loaded(tree)`: the same from a tree
  already loaded (no query): the protocol page, the flat export and migration 0007 use them.
- `node_fields(snapshot)`: each node's fields by (kind, id), to compare one item's text.
- `canonical_json(snapshot)` / `content_hash(snapshot)`: sorted keys, no spaces, UTF-8; the
  sha256 of that text is the edition's `content_hash`, so that « does the current text differ
  from the last edition? » is one comparison (`current_differs`).

The writes (publish_edition) are in commitments/services/editions.py, which re-exports these
names.
"""

import hashlib
import json

from commitments.enums import Level
from commitments.models import Edition
from commitments.selectors.numbering import tree_paths
from commitments.selectors.protocol_tree import load_protocol_tree

FORMAT = "perer-edition"
FORMAT_VERSION = 1

# The text fields of each kind, in the format's order (never tracking data).
PROTOCOL_FIELDS = (
    "title",
    "deliberation_reference",
    "deliberation_date",
    "start_year",
    "end_year",
    "preamble",
    "preconditions_heading",
    "preconditions",
)
TEXT_FIELDS = {
    "section": (
        "heading",
        "subtitle",
        "objective",
        "priorities_heading",
        "priorities",
        "intro",
    ),
    "strategic_objective": ("text", "details", "subheading", "operational_heading"),
    "operational_objective": ("text", "details"),
    "action": ("text", "details"),
}
KIND_OF_LEVEL = {
    "section": "section",
    Level.STRATEGIC: "strategic_objective",
    Level.OPERATIONAL: "operational_objective",
    Level.ACTION: "action",
}
# The related manager holding each kind's children in a loaded tree.
CHILDREN = {
    "section": "strategic_objectives",
    "strategic_objective": "operational_objectives",
    "operational_objective": "actions",
    "action": None,
}


def _node(kind, node, paths):
    fields = {name: getattr(node, name) for name in TEXT_FIELDS[kind]}
    if kind == "section":
        fields["thematic"] = node.thematic.slug
    else:
        fields["partners"] = sorted(partner.name for partner in node.partners.all())
        fields["axes"] = sorted(axis.name for axis in node.axes.all())
    children = CHILDREN[kind]
    child_kind = {
        "section": "strategic_objective",
        "strategic_objective": "operational_objective",
        "operational_objective": "action",
    }.get(kind)
    return {
        "kind": kind,
        "id": node.pk,
        "number": paths.get((kind, node.pk), ""),
        "fields": fields,
        "children": [_node(child_kind, child, paths) for child in getattr(node, children).all()]
        if children
        else [],
    }


def snapshot_from_tree(protocol, paths):
    """The snapshot of a protocol whose tree is loaded (prefetched) in memory: no query.

    `paths` maps (kind, pk) to the display number ("1.2.3"). Works on the historical models of
    a data migration too (it reads fields and related managers only)."""
    head = {name: getattr(protocol, name) for name in PROTOCOL_FIELDS}
    if head["deliberation_date"] is not None:
        head["deliberation_date"] = head["deliberation_date"].isoformat()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "protocol": {"id": protocol.pk, "territory": protocol.territory.slug, **head},
        "sections": [_node("section", section, paths) for section in protocol.sections.all()],
    }


def paths_by_kind(paths):
    """numbering.tree_paths' {(level, pk): path} keyed by the snapshot's kinds."""
    return {(KIND_OF_LEVEL[level], pk): path for (level, pk), path in paths.items()}


def node_fields(snapshot):
    """{(kind, id): fields} of every node of a snapshot (no query)."""
    found = {}
    stack = list(snapshot.get("sections", ()))
    while stack:
        node = stack.pop()
        found[node["kind"], node["id"]] = node["fields"]
        stack.extend(node.get("children", ()))
    return found


def snapshot_of_loaded(tree):
    """The snapshot of a protocol loaded with its whole tree (no query): numbers from
    selectors/numbering.py. The data migration 0007 calls it on historical models."""
    return snapshot_from_tree(tree, paths_by_kind(tree_paths(tree)))


def snapshot_of(protocol):
    """The current text of `protocol` (an instance or a pk) as a snapshot (the tree loader's
    queries, constant)."""
    return snapshot_of_loaded(load_protocol_tree(getattr(protocol, "pk", protocol)))


def canonical_json(snapshot):
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(snapshot):
    return hashlib.sha256(canonical_json(snapshot).encode("utf-8")).hexdigest()


def current_differs(protocol):
    """Does the current text differ from the protocol's last edition? True when it has none."""
    last = Edition.objects.without_snapshot().latest_for(protocol)
    return last is None or content_hash(snapshot_of(protocol)) != last.content_hash
