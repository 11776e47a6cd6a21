"""An edition's text read back from its snapshot (the "perer-edition" format of
commitments/services/editions.py), as objects shaped like the loaded model tree, so that the
edition's page and its PDF are rendered by the templates of the protocol page and of the current
PDF (the protocol's tree in protocol/_tree.html, includes/preamble.html, pdf/_protocol.html…):
`protocol.sections.all`, `section.strategic_objectives.all`, `so.operational_objectives.all`,
`oo.actions.all`, `anchor`, `number`, `level`, and each node's `partner_names` and `axis_names`
(templatetags/node_markup.node_meta).

No query: everything comes from the JSON document. Also here: the dates editions are known by
(`edition_day`, `french_day`), the French wording of a comparison's counts (`count_summary`),
what the commitment page says of one item across editions (`item_history`), and the edition in
force of loaded protocols with the current text's changes since (`editions_in_force`: one
query, the comparison made on the loaded trees).
"""

import datetime
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.formats import date_format

from commitments.enums import Level
from commitments.models import Edition
from commitments.models.protocol import precondition_lines, year_span
from commitments.selectors.edition_diff import CHANGE_KINDS, Comparison, compare, field_changes
from commitments.selectors.edition_snapshot import snapshot_of_loaded
from commitments.selectors.protocol_tree import protocol_tree_queryset

LEVEL_OF_KIND = {
    "strategic_objective": Level.STRATEGIC,
    "operational_objective": Level.OPERATIONAL,
    "action": Level.ACTION,
}
ANCHOR_PREFIX = {"strategic_objective": "os", "operational_objective": "oo", "action": "action"}
CHILDREN_NAME = {
    "section": "strategic_objectives",
    "strategic_objective": "operational_objectives",
    "operational_objective": "actions",
}
# The model's kind in public URLs (CommitmentKind) → the snapshot's kind.
KIND_OF_COMMITMENT = {"objectif": "operational_objective", "action": "action"}


class Children(list):
    """A list that answers `.all()`, as the related managers of a loaded tree do."""

    def all(self):
        return self


class TextNode:
    """A strategic objective, operational objective or action of a snapshot."""

    def __init__(self, data):
        fields = data.get("fields", {})
        self.kind = data["kind"]
        self.pk = data["id"]
        self.number = data.get("number", "")
        self.level = LEVEL_OF_KIND[self.kind]
        self.text = fields.get("text", "")
        self.details = fields.get("details", "")
        self.subheading = fields.get("subheading", "")
        self.operational_heading = fields.get("operational_heading", "")
        self.partner_names = list(fields.get("partners", ()))
        self.axis_names = list(fields.get("axes", ()))
        children = Children(TextNode(child) for child in data.get("children", ()))
        self.operational_objectives = children if self.kind == "strategic_objective" else None
        self.actions: Children | None = (
            children if self.kind == "operational_objective" else Children()
        )
        if self.kind == "strategic_objective":
            self.actions = None

    @property
    def anchor(self):
        return f"{ANCHOR_PREFIX[self.kind]}-{self.pk}"

    def __str__(self):
        return self.text


class TextSection:
    def __init__(self, data):
        fields = data.get("fields", {})
        self.kind = "section"
        self.pk = data["id"]
        self.number = data.get("number", "")
        self.thematic_slug = fields.get("thematic", "")
        self.heading = fields.get("heading", "")
        self.subtitle = fields.get("subtitle", "")
        self.objective = fields.get("objective", "")
        self.priorities_heading = fields.get("priorities_heading", "")
        self.priorities = fields.get("priorities", "")
        self.intro = fields.get("intro", "")
        self.strategic_objectives = Children(TextNode(c) for c in data.get("children", ()))

    @property
    def anchor(self):
        return f"section-{self.pk}"

    @property
    def priority_list(self):
        return [line.strip() for line in self.priorities.splitlines() if line.strip()]

    def __str__(self):
        return self.heading


class TextProtocol:
    """A snapshot's protocol: its text fields and its sections (no tracking)."""

    def __init__(self, snapshot):
        head = snapshot.get("protocol", {})
        self.pk = head.get("id")
        self.title = head.get("title", "")
        self.deliberation_reference = head.get("deliberation_reference", "")
        date = head.get("deliberation_date")
        self.deliberation_date = datetime.date.fromisoformat(date) if date else None
        self.start_year = head.get("start_year")
        self.end_year = head.get("end_year")
        self.preamble = head.get("preamble", "")
        self.preconditions_heading = head.get("preconditions_heading", "")
        self.preconditions = head.get("preconditions", "")
        self.sections = Children(TextSection(s) for s in snapshot.get("sections", ()))

    @property
    def precondition_list(self):
        return precondition_lines(self.preconditions)

    @property
    def period(self):
        return year_span(self.start_year, self.end_year)

    def nodes(self):
        """Every section and node in document order."""
        for section in self.sections:
            yield section
            for so in section.strategic_objectives:
                yield so
                for oo in so.operational_objectives:
                    yield oo
                    yield from oo.actions

    def thematic_slugs(self):
        return [section.thematic_slug for section in self.sections]


# --- Dates ---------------------------------------------------------------------------------


def edition_day(edition):
    """The date an edition is known by: its deliberation's, else its publication's."""
    return edition.deliberation_date or timezone.localdate(edition.published_at)


def french_day(day):
    """« 1er mars 2024 », « 25 novembre 2025 »."""
    if day is None:
        return ""
    with translation.override("fr"):
        text = date_format(day, "j F Y")
    return "1er" + text[1:] if day.day == 1 else text


def edition_name(edition, day_format=french_day):
    """« édition 2 du 14 mars 2024 »: an edition is named by its deliberation's date. One whose
    deliberation is not dated (the sources do not date « Del 2019 0128 ») is named by the
    deliberation's reference, « édition 1, délibération « Del 2019 0128 » », never by the day it
    was entered in the portal; with neither, by its publication: « édition 3 publiée le … »."""
    if edition.deliberation_date:
        return f"édition {edition.number} du {day_format(edition.deliberation_date)}"
    if edition.deliberation_reference:
        return f"édition {edition.number}, délibération « {edition.deliberation_reference} »"
    published = timezone.localdate(edition.published_at)
    return f"édition {edition.number} publiée le {day_format(published)}"


COUNT_LABELS = {
    "added": ("ajout", "ajouts"),
    "removed": ("suppression", "suppressions"),
    "moved": ("déplacement", "déplacements"),
    "changed": ("modification", "modifications"),
}


def count_summary(counts):
    """« 1 ajout, 2 modifications » (the kinds that occur, in CHANGE_KINDS order)."""
    parts = []
    for kind in CHANGE_KINDS:
        if counts[kind]:
            one, many = COUNT_LABELS[kind]
            parts.append(f"{counts[kind]} {one if counts[kind] == 1 else many}")
    return ", ".join(parts) or "aucun changement"


def group_name(thematic, names):
    """The heading of a comparison's group: the thematic's name, or the protocol's own text."""
    if thematic is None:
        return "Dispositions générales (titre, préambule, conditions)"
    return names.get(thematic, thematic)


# --- The edition in force of loaded protocols --------------------------------------------


@dataclass
class InForce:
    """A protocol's last edition and what changed in the current text since."""

    edition: Edition
    comparison: Comparison
    names: dict  # thematic slug → name

    @property
    def name(self):
        return edition_name(self.edition)

    @property
    def summary(self):
        return count_summary(self.comparison.counts)

    @property
    def groups(self):
        """[(heading, ThematicGroup, summary)] of the changes since the edition."""
        return [
            (group_name(group.thematic, self.names), group, count_summary(group.counts))
            for group in self.comparison.groups
        ]


def editions_in_force(trees):
    """{protocol id: InForce} for protocols loaded with their tree (protocol_tree.py), those
    that have an edition: one query (their last editions, with snapshots)."""
    trees = {tree.pk: tree for tree in trees}
    editions = Edition.objects.latest_per_protocol().filter(protocol_id__in=list(trees))
    found = {}
    for edition in editions:
        tree = trees[edition.protocol_id]
        names = {s.thematic.slug: s.thematic.name for s in tree.sections.all()}
        comparison = compare(edition.snapshot, snapshot_of_loaded(tree))
        found[edition.protocol_id] = InForce(edition, comparison, names)
    return found


UNPUBLISHED_TIMEOUT = 24 * 3600


def unpublished_change_counts(protocols):
    """{protocol id: number of changes of its current text since its last edition, 0 when
    none; None when it has no edition} for `protocols` (loaded rows: `pk`, `last_changed_at`).

    Bounded whatever the number of protocols: one query (their last editions' keys), then each
    count is read from the cache under the protocol's version (`last_changed_at`, which every
    write bumps, and its last edition); those missing are computed together, their trees
    loaded at once (protocol_tree.py: constant queries) and compared with their last
    editions (one query), then cached."""
    protocols = list(protocols)
    if not protocols:
        return {}
    last_editions = dict(
        Edition.objects.filter(protocol_id__in=[p.pk for p in protocols])
        .values("protocol_id")
        .annotate(last=Max("pk"))
        .values_list("protocol_id", "last")
    )
    keys = {
        p.pk: "unpublished-changes:{}:{}:{}".format(
            p.pk, p.last_changed_at.isoformat() if p.last_changed_at else "-", last_editions[p.pk]
        )
        for p in protocols
        if p.pk in last_editions
    }
    cached = cache.get_many(list(keys.values()))
    counts = {p.pk: None for p in protocols if p.pk not in keys}
    missing = []
    for pk, key in keys.items():
        if key in cached:
            counts[pk] = cached[key]
        else:
            missing.append(pk)
    if missing:
        trees = list(protocol_tree_queryset().filter(pk__in=missing))
        for pk, in_force in editions_in_force(trees).items():
            counts[pk] = in_force.comparison.total
        cache.set_many({keys[pk]: counts[pk] for pk in missing}, UNPUBLISHED_TIMEOUT)
    return counts


# --- One item across editions --------------------------------------------------------------


def find_item(snapshot, kind, pk):
    """(node dict, parent key) of the item in a snapshot, or (None, None)."""
    stack: list[tuple[dict, tuple | None]] = [
        (node, None) for node in reversed(snapshot.get("sections", ()))
    ]
    while stack:
        node, parent = stack.pop()
        if (node["kind"], node["id"]) == (kind, pk):
            return node, parent
        key = (node["kind"], node["id"])
        stack.extend((child, key) for child in reversed(node.get("children", ())))
    return None, None


def item_history(editions, kind, pk):
    """The editions (oldest first, snapshots loaded) in which the item appeared, changed,
    moved or disappeared: [(edition, what)] with `what` « ajouté », « modifié », « déplacé »,
    « modifié et déplacé » or « supprimé » (« texte adopté » for an item of edition 1)."""
    history = []
    previous = None  # (node, parent) in the previous edition
    for index, edition in enumerate(editions):
        node, parent = find_item(edition.snapshot, kind, pk)
        if node is None:
            if previous and previous[0] is not None:
                history.append((edition, "supprimé"))
            previous = (None, None)
            continue
        if index == 0:
            history.append((edition, "texte adopté"))
        elif previous is None or previous[0] is None:
            history.append((edition, "ajouté"))
        else:
            changed = bool(field_changes(previous[0].get("fields", {}), node.get("fields", {})))
            moved = previous[1] != parent
            what = {
                (True, True): "modifié et déplacé",
                (True, False): "modifié",
                (False, True): "déplacé",
            }.get((changed, moved))
            if what:
                history.append((edition, what))
        previous = (node, parent)
    return history
