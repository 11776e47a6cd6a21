"""Lossless JSON export and import of every protocol's data, for backups and for moving between
SQLite and PostgreSQL (`export_protocols` / `import_protocols`).

What is kept: territories, the reference lists (thematics, partners, axes, glossary), the
protocols and their whole trees with their many-to-many links, tracking and progress updates,
the indicators (their definitions, baselines, targets and yearly values, figures as text),
with their primary keys (so that anchors, API ids and links survive the move), timestamps to the
microsecond and optimistic-locking versions, and the published editions (snapshots with their
keys sorted, so that the bytes do not depend on the database's JSON storage). Update and value
authors and edition publishers travel by username. Not kept: user accounts and passwords, territory
memberships, and the change history (django-simple-history).

Editions are immutable (models/edition.py): the import inserts them with one bulk_create (an
INSERT never updates a row), and `--replace` is refused unless the file carries every edition
of the database exactly as it is; only then are they deleted with the rest, through the one
documented bypass (`EditionQuerySet.discard_for_rebuild`), and inserted again identical.

The file is deterministic: exporting, importing into an empty database and exporting again
gives the same bytes.

An import records no change of content (content_changes.record_change would move each
protocol's `last_changed_at`, which the file keeps): the versions the page caches and the PDFs
are keyed on are those of the content imported. It queues the PDFs' renders when it commits
(tasks.refresh_after_commit), so that the stored PDFs follow the imported content.
"""

import datetime
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.db.models import ManyToManyField, Model, QuerySet

from commitments.models import (
    INDICATOR_MODELS,
    PROTOCOL_MODELS,
    REFERENCE_MODELS,
    Edition,
    IndicatorValue,
    ProgressUpdate,
    Protocol,
)
from commitments.services.editions import canonical_json
from commitments.tasks import refresh_after_commit
from territories.models import Territory, TerritoryMembership

FORMAT = "perer-protocoles"
FORMAT_VERSION = 1

# Dependency order: a model only points to models listed before it.
MODELS = (Territory, *REFERENCE_MODELS, *PROTOCOL_MODELS, *INDICATOR_MODELS, Edition)
# The users that travel by username: (model label, field).
USER_FIELDS = (
    ("commitments.progressupdate", "author"),
    ("commitments.indicatorvalue", "author"),
    ("commitments.edition", "published_by"),
)
EDITION = Edition._meta.label_lower


class BackupError(Exception):
    """A file that cannot be imported, or a database that must not be overwritten."""


def _querysets():
    for model in MODELS:
        # Any: the models of the file, of every kind (each select_related below is its own).
        queryset: QuerySet[Any] = model._default_manager.order_by("pk")
        m2m = [field.name for field in model._meta.many_to_many]
        if m2m:
            queryset = queryset.prefetch_related(*m2m)
        if model in (ProgressUpdate, IndicatorValue):
            queryset = queryset.select_related("author")
        if model is Edition:
            queryset = queryset.select_related("published_by")
        yield model, queryset


def _serialized(model, queryset):
    m2m = [field.name for field in model._meta.many_to_many]
    for item in serializers.serialize("python", queryset, use_natural_foreign_keys=True):
        for name in m2m:
            # Sorted ids: the related model's ordering may collate differently per database.
            item["fields"][name] = sorted(item["fields"][name])
        if model is Edition:
            # Sorted keys: PostgreSQL's jsonb does not keep the keys' order, SQLite does.
            item["fields"]["snapshot"] = json.loads(canonical_json(item["fields"]["snapshot"]))
        yield item


def export_data():
    """Every object as a dict in Django's serialization format, models in dependency order."""
    objects = []
    for model, queryset in _querysets():
        objects.extend(_serialized(model, queryset))
    counts: defaultdict[str, int] = defaultdict(int)
    for item in objects:
        counts[item["model"]] += 1
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "counts": dict(counts),
        "objects": objects,
    }


class _Encoder(json.JSONEncoder):
    """Full precision: Django's encoder would cut datetimes to the millisecond; figures as
    text, as the database stores them ("7.0000")."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
        if isinstance(o, Decimal):
            return str(o)
        return super().default(o)


def dumps(data):
    return json.dumps(data, cls=_Encoder, ensure_ascii=False, indent=1) + "\n"


def write_backup(stream):
    data = export_data()
    stream.write(dumps(data))
    return data["counts"]


def is_empty():
    return not any(model._default_manager.exists() for model in MODELS)


def _clear():
    """Delete the protocol data, leaves first (protocols and thematics are PROTECTed)."""
    for model in reversed(MODELS):
        if model is Territory:
            # A parent territory is PROTECTed by its children: communes go first.
            while Territory.objects.exists():
                Territory.objects.filter(children__isnull=True).delete()
        elif model is Edition:
            # Checked first by _check_editions_kept: they come back identical from the file.
            Edition.objects.discard_for_rebuild(Protocol.objects.all())
        else:
            model._default_manager.all().delete()


def _check_header(data):
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(
            f"Ce fichier n'est pas une sauvegarde des protocoles (format « {FORMAT} » attendu)."
        )
    if data.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"Version de sauvegarde {data.get('version')!r} non prise en charge "
            f"(attendue : {FORMAT_VERSION})."
        )
    if not isinstance(data.get("objects"), list):
        raise BackupError("La sauvegarde ne contient pas de liste « objects ».")
    allowed = {model._meta.label_lower for model in MODELS}
    unknown = {item.get("model") for item in data["objects"] if isinstance(item, dict)} - allowed
    if unknown or not all(isinstance(item, dict) for item in data["objects"]):
        raise BackupError(f"Objets inattendus dans la sauvegarde : {sorted(map(str, unknown))}.")


def _check_editions_kept(objects):
    """--replace: every edition of the database must be in the file exactly as it is (an
    edition is never changed nor deleted); BackupError otherwise, before anything is deleted."""
    existing = Edition.objects.select_related("published_by", "protocol__territory")
    if not existing.exists():
        return
    incoming = {item.get("pk"): item for item in objects if item["model"] == EDITION}
    labels = {e.pk: f"{e.protocol.territory.slug} n° {e.number}" for e in existing}
    changed = [
        labels[item["pk"]]
        for item in _serialized(Edition, existing.order_by("pk"))
        if json.loads(dumps(item)) != incoming.get(item["pk"])
    ]
    if changed:
        raise BackupError(
            "Les éditions publiées ne peuvent être ni modifiées ni supprimées : la sauvegarde "
            "ne contient pas à l'identique les éditions " + ", ".join(changed) + " de la base. "
            "Importez-la dans une base vide. Rien n'a été modifié."
        )


def _ensure_authors(objects):
    """Update authors and edition publishers travel by username: create the missing ones as
    inactive accounts that cannot log in (no password), so that nothing loses its author."""
    User = get_user_model()
    usernames = {
        item["fields"][field][0]
        for item in objects
        for label, field in USER_FIELDS
        if item["model"] == label and item["fields"].get(field)
    }
    existing = set(
        User._default_manager.filter(username__in=usernames).values_list("username", flat=True)
    )
    created = []
    for username in sorted(usernames - existing):
        user = User(username=username, is_active=False)
        user.set_unusable_password()
        user.save()
        created.append(username)
    return created


def import_data(data, replace=False):
    """Load a backup in one transaction. Returns (counts per model, usernames created)."""
    _check_header(data)
    try:
        return _import_in_transaction(data, replace)
    except IntegrityError as error:
        raise BackupError(
            f"La base refuse un objet de la sauvegarde : {error}. Rien n'a été modifié."
        ) from error


def _import_in_transaction(data, replace):
    with transaction.atomic():
        if not is_empty():
            if not replace:
                raise BackupError(
                    "La base contient déjà des protocoles : l'import est fait pour une base vide. "
                    "Relancez avec --replace pour remplacer toutes les données des protocoles."
                )
            _check_editions_kept(data["objects"])
            memberships = list(
                TerritoryMembership.objects.values_list("user_id", "territory__slug")
            )
            _clear()
        else:
            memberships = []
        created_users = _ensure_authors(data["objects"])
        counts = _load(data["objects"])
        _reset_sequences()
        _restore_memberships(memberships)
        refresh_after_commit()
    return counts, created_users


def _load(objects):
    counts: defaultdict[str, int] = defaultdict(int)
    through_rows: defaultdict[Any, list[Any]] = defaultdict(list)
    editions = []
    with connection.constraint_checks_disabled():
        try:
            for deserialized in serializers.deserialize("python", objects):
                if isinstance(deserialized.object, Edition):
                    editions.append(deserialized.object)
                    counts[EDITION] += 1
                    continue
                m2m_data = deserialized.m2m_data or {}
                # Raw save: no history row, no version bump, last_changed_at as in the file.
                deserialized.save(save_m2m=False)
                instance = deserialized.object
                counts[instance._meta.label_lower] += 1
                for name, related_ids in m2m_data.items():
                    field = cast(ManyToManyField, instance._meta.get_field(name))
                    through = field.remote_field.through
                    assert through is not None  # set (auto-created) when the models load
                    source = field.m2m_field_name() + "_id"
                    target = field.m2m_reverse_field_name() + "_id"
                    through_rows[through].extend(
                        through(**{source: instance.pk, target: related}) for related in related_ids
                    )
        except serializers.base.DeserializationError as error:
            raise BackupError(f"Objet illisible dans la sauvegarde : {error}") from error
        for through, rows in through_rows.items():
            through.objects.bulk_create(rows)
        # Inserted, never saved: an existing row with the same id fails instead of changing.
        Edition.objects.bulk_create(editions)
    # Foreign keys were not checked while loading (SQLite); check them all now.
    tables = [model._meta.db_table for model in MODELS]
    tables += [through._meta.db_table for through in through_rows]
    connection.check_constraints(table_names=tables)
    return dict(counts)


def _reset_sequences():
    """PostgreSQL: the next id after the imported ones (explicit ids do not move sequences)."""
    models: list[type[Model]] = list(MODELS)
    for model in MODELS:
        # The stubs allow None for `through`, which loaded models always have.
        models += [field.remote_field.through for field in model._meta.many_to_many]  # type: ignore[misc]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _restore_memberships(memberships):
    """--replace keeps city project leads attached to the territories that still exist."""
    if not memberships:
        return
    territories = dict(Territory.objects.values_list("slug", "pk"))
    TerritoryMembership.objects.bulk_create(
        [
            TerritoryMembership(user_id=user_id, territory_id=territories[slug])
            for user_id, slug in memberships
            if slug in territories
        ],
        ignore_conflicts=True,
    )
