"""What changed between two snapshots of a protocol's text (the edition format of
commitments/services/editions.py: `{"format": "perer-edition", "protocol": {…}, "sections":
[NODE, …]}`): items added, removed, moved and changed, grouped by thematic, with counts.

A pure function of its two arguments: no query, no clock. The pages, the PDF annex, the feeds
and the protocol page's marks all read `compare()`, so they always agree.

Invariants:
- an item is identified by (kind, id): the same pair in both snapshots is the same item;
- "moved": its parent differs, or its order among the siblings it keeps under the same parent
  differs (the siblings outside a longest common subsequence of ids; deleting or adding a
  sibling moves nobody, and an item's children do not move with it). A moved item whose text
  also changed is reported both as moved and as changed: two changes, each counted;
- "changed": at least one text field differs (partners and axes included, the section's
  thematic too), each with a word-level diff (difflib on word, space and punctuation tokens);
- the descendants of an added or removed item are added or removed with it (each reported);
- renumbering alone is never a change.
"""

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

ADDED, REMOVED, MOVED, CHANGED = "added", "removed", "moved", "changed"
CHANGE_KINDS = (ADDED, REMOVED, MOVED, CHANGED)
CHANGE_LABELS = {
    ADDED: "ajouté",
    REMOVED: "supprimé",
    MOVED: "déplacé",
    CHANGED: "modifié",
}
# One protocol-wide group: the preamble, the preconditions, the title.
PROTOCOL = "protocol"
NODE_KINDS = ("section", "strategic_objective", "operational_objective", "action")
KIND_LABELS = {
    PROTOCOL: "Protocole",
    "section": "Section thématique",
    "strategic_objective": "Objectif stratégique",
    "operational_objective": "Objectif opérationnel",
    "action": "Action",
}
FIELD_LABELS = {
    "title": "titre",
    "deliberation_reference": "référence de la délibération",
    "deliberation_date": "date de la délibération",
    "start_year": "année de début",
    "end_year": "année de fin",
    "preamble": "préambule",
    "preconditions_heading": "titre des conditions de réussite préalables",
    "preconditions": "conditions de réussite préalables",
    "heading": "intitulé",
    "subtitle": "sous-titre",
    "objective": "objectif stratégique de la thématique",
    "priorities_heading": "intitulé des priorités",
    "priorities": "priorités pour le territoire",
    "intro": "texte d'introduction",
    "text": "intitulé",
    "details": "précisions",
    "subheading": "sous-titre de regroupement",
    "operational_heading": "titre des objectifs opérationnels",
    "partners": "partenaires",
    "axes": "axes transversaux",
    "thematic": "thématique",
}
# Protocol fields that are not its text.
PROTOCOL_IGNORED = {"id", "territory"}
LIST_FIELDS = {"partners", "axes"}
EQUAL, INSERT, DELETE = "equal", "insert", "delete"
# Words (letters and digits, accents included), runs of spaces, single punctuation marks.
TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class Piece:
    """A run of tokens of a word diff: `op` is equal, insert or delete."""

    op: str
    text: str


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: object
    new: object
    pieces: tuple  # of Piece: text fields joined, list fields one name per piece

    @property
    def label(self):
        return FIELD_LABELS.get(self.name, self.name)

    @property
    def is_list(self):
        return self.name in LIST_FIELDS


@dataclass(frozen=True)
class Place:
    """Where an item sits in one snapshot: its number, parent and rank among its siblings."""

    number: str
    parent: tuple | None  # (kind, id) of the parent node; None for sections
    parent_number: str
    parent_title: str
    rank: int


@dataclass(frozen=True)
class Change:
    kind: str  # ADDED, REMOVED, MOVED, CHANGED
    item_kind: str  # a NODE_KINDS value, or PROTOCOL
    item_id: int | None
    thematic: str | None  # the thematic slug of its section (None: the protocol itself)
    title: str  # the item's text (new one, old one when removed)
    old: Place | None = None
    new: Place | None = None
    fields: tuple = ()  # of FieldChange (CHANGED only)

    @property
    def anchor(self):
        """The id of this change on the comparison page."""
        item = f"{self.item_kind}-{self.item_id}" if self.item_id is not None else self.item_kind
        return f"{CHANGE_LABELS[self.kind]}-{item}".replace("é", "e")

    @property
    def label(self):
        return CHANGE_LABELS[self.kind]

    @property
    def item_label(self):
        return KIND_LABELS[self.item_kind]

    @property
    def number(self):
        place = self.new or self.old
        return place.number if place else ""


@dataclass
class ThematicGroup:
    thematic: str | None
    changes: list = field(default_factory=list)

    @property
    def counts(self):
        return _counts(self.changes)


@dataclass
class Comparison:
    changes: list  # of Change, in the new document's order (removed ones where they were)
    groups: list  # of ThematicGroup, protocol first, then thematics in document order

    @property
    def counts(self):
        return _counts(self.changes)

    @property
    def total(self):
        return len(self.changes)

    def __bool__(self):
        return bool(self.changes)

    def of_kind(self, kind):
        return [change for change in self.changes if change.kind == kind]

    def marks(self):
        """{(item kind, id): anchor of its first change} for the items of the new text that
        were added, moved or changed (what the protocol page marks)."""
        found: dict[tuple[str, int], str] = {}
        for change in self.changes:
            if change.kind != REMOVED:
                found.setdefault((change.item_kind, change.item_id), change.anchor)
        return found


def _counts(changes):
    counts = dict.fromkeys(CHANGE_KINDS, 0)
    for change in changes:
        counts[change.kind] += 1
    return counts


# --- Word diff ---------------------------------------------------------------------------


def tokens(text):
    return TOKEN.findall(text or "")


def word_diff(old, new):
    """(Piece, …) turning `old` into `new`: equal, deleted and inserted runs of tokens
    (a replaced run gives its deletion, then its insertion)."""
    return _diff(tokens(old), tokens(new), "".join)


def list_diff(old, new):
    """(Piece, …) of two lists of names: one piece per name."""
    return _diff(list(old or ()), list(new or ()), None)


def _diff(a, b, join):
    pieces: list[Piece] = []

    def emit(op, items):
        if not items:
            return
        if join is None:
            pieces.extend(Piece(op, item) for item in items)
        elif pieces and pieces[-1].op == op:
            pieces[-1] = Piece(op, pieces[-1].text + join(items))
        else:
            pieces.append(Piece(op, join(items)))

    for tag, i1, i2, j1, j2 in _regions(a, b, join is not None):
        if tag == EQUAL:
            emit(EQUAL, a[i1:i2])
        else:
            emit(DELETE, a[i1:i2])
            emit(INSERT, b[j1:j2])
    return tuple(pieces)


def _regions(a, b, words):
    """difflib's opcodes, with a mere space kept between two changes folded into them
    (« une permanence » → « deux permanences » reads as one replacement, not two)."""
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    regions = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        between = 0 < index < len(opcodes) - 1
        if tag == "equal" and words and between and not "".join(a[i1:i2]).strip():
            tag = "replace"
        if tag == "equal":
            regions.append([EQUAL, i1, i2, j1, j2])
        elif regions and regions[-1][0] != EQUAL:
            regions[-1][2], regions[-1][4] = i2, j2
        else:
            regions.append(["replace", i1, i2, j1, j2])
    return regions


def field_changes(old_fields, new_fields, ignored=()):
    changes = []
    names = [*old_fields, *(name for name in new_fields if name not in old_fields)]
    for name in names:
        if name in ignored:
            continue
        old, new = old_fields.get(name), new_fields.get(name)
        if name in LIST_FIELDS:
            old, new = list(old or ()), list(new or ())
            if old != new:
                changes.append(FieldChange(name, old, new, list_diff(old, new)))
            continue
        old_text, new_text = _text(old), _text(new)
        if old_text != new_text:
            changes.append(FieldChange(name, old_text, new_text, word_diff(old_text, new_text)))
    return tuple(changes)


def _text(value):
    return "" if value is None else str(value)


# --- Walking a snapshot ------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    node: dict
    place: Place
    thematic: str
    order: int  # document order


def _index(snapshot):
    """{(kind, id): _Item} and {parent key: [child keys in order]} of a snapshot."""
    items: dict[tuple[str, int], _Item] = {}
    children: dict[tuple[str, int] | None, list[tuple[str, int]]] = {}
    counter = iter(range(1_000_000_000))

    def walk(nodes, parent, thematic):
        keys = children.setdefault(parent, [])
        for rank, node in enumerate(nodes):
            key = (node["kind"], node["id"])
            fields = node.get("fields", {})
            own_thematic = (
                fields.get("thematic", thematic) if node["kind"] == "section" else thematic
            )
            parent_item = items.get(parent)
            place = Place(
                number=node.get("number", ""),
                parent=parent,
                parent_number=parent_item.place.number if parent_item else "",
                parent_title=_title(parent_item.node) if parent_item else "",
                rank=rank,
            )
            items[key] = _Item(node, place, own_thematic, next(counter))
            keys.append(key)
            walk(node.get("children", ()), key, own_thematic)

    walk(snapshot.get("sections", ()), None, None)
    return items, children


def _title(node):
    fields = node.get("fields", {})
    return fields.get("heading") or fields.get("text") or ""


def _kept_in_order(old_keys, new_keys):
    """The keys whose relative order is the same in both lists (a longest common subsequence
    of the keys present in both)."""
    common = set(old_keys) & set(new_keys)
    a = [key for key in old_keys if key in common]
    b = [key for key in new_keys if key in common]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    kept = set()
    for block in matcher.get_matching_blocks():
        kept.update(a[block.a : block.a + block.size])
    return kept


# --- The comparison ------------------------------------------------------------------------


def compare(old, new):
    """The Comparison of two snapshots (see the module docstring)."""
    old_items, old_children = _index(old)
    new_items, new_children = _index(new)
    moved = set()
    for parent, new_keys in new_children.items():
        old_keys = old_children.get(parent, [])
        kept = _kept_in_order(old_keys, new_keys)
        for key in new_keys:
            if key in old_items and (old_items[key].place.parent != parent or key not in kept):
                moved.add(key)

    changes = []
    protocol_fields = field_changes(
        old.get("protocol", {}), new.get("protocol", {}), ignored=PROTOCOL_IGNORED
    )
    if protocol_fields:
        title = new.get("protocol", {}).get("title", "")
        changes.append(Change(CHANGED, PROTOCOL, None, None, title, fields=protocol_fields))

    # Document order of the new text; a removed item comes right after the item that preceded
    # it in the old text (or first).
    ordered = []
    for key, item in new_items.items():
        ordered.append(((item.order, 0, 0), key))
    last_new_order = -1
    for key, item in sorted(old_items.items(), key=lambda pair: pair[1].order):
        if key in new_items:
            last_new_order = new_items[key].order
        else:
            ordered.append(((last_new_order, 1, item.order), key))
    ordered.sort()

    for _, key in ordered:
        kind, pk = key
        before, after = old_items.get(key), new_items.get(key)
        if before is None:
            changes.append(
                Change(ADDED, kind, pk, after.thematic, _title(after.node), new=after.place)
            )
            continue
        if after is None:
            changes.append(
                Change(REMOVED, kind, pk, before.thematic, _title(before.node), old=before.place)
            )
            continue
        common = {"old": before.place, "new": after.place}
        if key in moved:
            changes.append(Change(MOVED, kind, pk, after.thematic, _title(after.node), **common))
        fields = field_changes(before.node.get("fields", {}), after.node.get("fields", {}))
        if fields:
            changes.append(
                Change(
                    CHANGED, kind, pk, after.thematic, _title(after.node), fields=fields, **common
                )
            )
    return Comparison(changes, _groups(changes))


def _groups(changes):
    groups: dict[Any, ThematicGroup] = {}
    for change in changes:
        groups.setdefault(change.thematic, ThematicGroup(change.thematic)).changes.append(change)
    return list(groups.values())
