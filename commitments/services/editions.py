"""The publication of editions: the one write path of `Edition` (models/edition.py), called by
the admin and `seed_protocols` (`publish_adopted_text`).

The snapshots themselves (format "perer-edition" version 1, `snapshot_of`, `content_hash`,
`current_differs`…) are reads: commitments/selectors/edition_snapshot.py, whose names are
re-exported here (callers that publish need both).

- `publish_edition(...)`: in one transaction, locks the protocol's row (select_for_update),
  refuses (ValidationError, French) a text identical to the last edition's, numbers the
  edition last + 1, stores the snapshot and its hash, and records the change of the protocol
  (content_changes.record_change: its pages and current PDF name the edition in force). Two
  publications at once: the second waits for the lock, then sees the first edition and is
  refused if the text is the same.
  `by` is the publishing user (agglomeration staff or superuser: PermissionDenied otherwise)
  or None for the system paths (seed command, data migration).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField
from django.utils import timezone

from commitments.models import Edition, Protocol
from commitments.permissions import can_edit_structure
from commitments.selectors.edition_snapshot import (  # noqa: F401 (re-exported)
    CHILDREN,
    FORMAT,
    FORMAT_VERSION,
    KIND_OF_LEVEL,
    PROTOCOL_FIELDS,
    TEXT_FIELDS,
    canonical_json,
    content_hash,
    current_differs,
    snapshot_from_tree,
    snapshot_of,
    snapshot_of_loaded,
)
from commitments.services.content_changes import record_change

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


def _max_length(name) -> int:
    field = Edition._meta.get_field(name)
    assert isinstance(field, CharField) and field.max_length is not None
    return field.max_length


def _validated(title, deliberation_reference, deliberation_date, last):
    title = (title or "").strip()
    reference = (deliberation_reference or "").strip()
    errors = {}
    if not title:
        errors["title"] = TITLE_REQUIRED
    elif len(title) > _max_length("title"):
        errors["title"] = "Le titre est trop long (200 caractères au plus)."
    if len(reference) > _max_length("deliberation_reference"):
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
    record_change(protocol)
    return edition
