"""Snapshots of a protocol's text and the publication of editions: the one write path of
`Edition` (models/edition.py), called by the admin, `seed_protocols` and the data migration.

- `snapshot_of(protocol)`: the current text as one JSON document, format "perer-edition"
  version 1 (written down in docs/api.md): the protocol's text fields, then its sections →
  strategic objectives → operational objectives → actions in document order, each NODE with
  its kind, its id (the same id in two snapshots is the same item), its display number
  (reporting/numbering.py) and its text fields, partners and axes (names, sorted). Never the
  tracking data. Constant queries: the tree loader of reporting/protocol_tree.py (11 queries
  whatever the protocol's size), numbering on the loaded tree (no query).
- `canonical_json(snapshot)` / `content_hash(snapshot)`: sorted keys, no spaces, UTF-8; the
  sha256 of that text is the edition's `content_hash`, so that « does the current text differ
  from the last edition? » is one comparison (`current_differs`).
- `publish_edition(...)`: in one transaction, locks the protocol's row (select_for_update),
  refuses (ValidationError, French) a text identical to the last edition's, numbers the
  edition last + 1, stores the snapshot and its hash, and touches the protocol (its pages and
  current PDF name the edition in force). Two publications at once: the second
  waits for the lock, then sees the first edition and is refused if the text is the same.
  `by` is the publishing user (agglomeration staff or superuser: PermissionDenied otherwise)
  or None for the system paths (seed command, data migration).
"""

import hashlib
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from commitments.enums import Level
from commitments.models import Edition, Protocol
from commitments.permissions import can_edit_structure
from commitments.reporting.numbering import tree_paths
from commitments.reporting.protocol_tree import load_protocol_tree

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

ADOPTED_TITLE = "Texte adopté"
NOT_ALLOWED = "Seule l'équipe de l'agglomération publie les éditions d'un protocole."
SAME_TEXT = (
    "Le texte actuel du protocole est identique à celui de l'édition {number} "
    "(« {title} ») : il n'y a rien de nouveau à publier."
)
TITLE_REQUIRED = "Donnez un titre à l'édition (par exemple « Avenant n° 1 »)."
DATE_IN_FUTURE = "La date de la délibération ne peut pas être dans le futur."
DATE_BEFORE_LAST = (
    "La date de la délibération ne peut pas précéder celle de l'édition {number} ({day:%d/%m/%Y})."
)


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


def _paths_by_kind(protocol):
    """numbering.tree_paths keyed by the snapshot's kinds."""
    return {(KIND_OF_LEVEL[level], pk): path for (level, pk), path in tree_paths(protocol).items()}


def snapshot_of_loaded(tree):
    """The snapshot of a protocol loaded with its whole tree (no query): numbers from
    reporting/numbering.py. The data migration 0007 calls it on historical models."""
    return snapshot_from_tree(tree, _paths_by_kind(tree))


def snapshot_of(protocol):
    """The current text of `protocol` (an instance or a pk) as a snapshot (11 queries)."""
    return snapshot_of_loaded(load_protocol_tree(getattr(protocol, "pk", protocol)))


def canonical_json(snapshot):
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(snapshot):
    return hashlib.sha256(canonical_json(snapshot).encode("utf-8")).hexdigest()


def current_differs(protocol):
    """Does the current text differ from the protocol's last edition? True when it has none."""
    last = Edition.objects.without_snapshot().latest_for(protocol)
    return last is None or content_hash(snapshot_of(protocol)) != last.content_hash


def _validated(title, deliberation_reference, deliberation_date, last):
    title = (title or "").strip()
    reference = (deliberation_reference or "").strip()
    errors = {}
    if not title:
        errors["title"] = TITLE_REQUIRED
    elif len(title) > Edition._meta.get_field("title").max_length:
        errors["title"] = "Le titre est trop long (200 caractères au plus)."
    if len(reference) > Edition._meta.get_field("deliberation_reference").max_length:
        errors["deliberation_reference"] = "La référence est trop longue (80 caractères au plus)."
    if deliberation_date is not None:
        if deliberation_date > timezone.localdate():
            errors["deliberation_date"] = DATE_IN_FUTURE
        elif last and last.deliberation_date and deliberation_date < last.deliberation_date:
            errors["deliberation_date"] = DATE_BEFORE_LAST.format(
                number=last.number, day=last.deliberation_date
            )
    if errors:
        raise ValidationError(errors)
    return title, reference


def publish_adopted_text(protocol):
    """Edition 1, « Texte adopté », of a protocol just loaded (seed_protocols): the reference
    and date of the protocol's own deliberation."""
    return publish_edition(
        protocol,
        title=ADOPTED_TITLE,
        deliberation_reference=protocol.deliberation_reference,
        deliberation_date=protocol.deliberation_date,
        by=None,
    )


@transaction.atomic
def publish_edition(protocol, *, title, deliberation_reference, deliberation_date, by):
    """Publish the protocol's current text as its next edition (see the module docstring)."""
    if by is not None and not can_edit_structure(by):
        raise PermissionDenied(NOT_ALLOWED)
    protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
    last = Edition.objects.without_snapshot().latest_for(protocol)
    title, reference = _validated(title, deliberation_reference, deliberation_date, last)
    snapshot = snapshot_of(protocol)
    digest = content_hash(snapshot)
    if last is not None and last.content_hash == digest:
        raise ValidationError(SAME_TEXT.format(number=last.number, title=last.title))
    edition = Edition.objects.create(
        protocol=protocol,
        number=(last.number + 1) if last else 1,
        title=title,
        deliberation_reference=reference,
        deliberation_date=deliberation_date,
        published_by=by,
        snapshot=snapshot,
        content_hash=digest,
    )
    # The current PDF's cover and the pages name the edition in force: renew their caches.
    Protocol.objects.filter(pk=protocol.pk).touch()
    return edition
