"""Lossless JSON export and import of every protocol's data, for backups and for moving between
SQLite and PostgreSQL (`export_protocols` / `import_protocols`).

What is kept: territories, the reference lists (thematics, partners, axes, glossary), the
protocols and their whole trees with their many-to-many links, tracking and progress updates,
with their primary keys (so that anchors, API ids and links survive the move), timestamps to the
microsecond and optimistic-locking versions. Update authors travel by username. Not kept: user
accounts and passwords, territory memberships, and the change history (django-simple-history).

The file is deterministic: exporting, importing into an empty database and exporting again
gives the same bytes.
"""

import datetime
import json
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction

from commitments.models import PROTOCOL_MODELS, REFERENCE_MODELS, ProgressUpdate
from territories.models import Territory, TerritoryMembership

FORMAT = "perer-protocoles"
FORMAT_VERSION = 1

# Dependency order: a model only points to models listed before it.
MODELS = (Territory, *REFERENCE_MODELS, *PROTOCOL_MODELS)


class BackupError(Exception):
    """A file that cannot be imported, or a database that must not be overwritten."""


def _querysets():
    for model in MODELS:
        queryset = model._default_manager.order_by("pk")
        m2m = [field.name for field in model._meta.many_to_many]
        if m2m:
            queryset = queryset.prefetch_related(*m2m)
        if model is ProgressUpdate:
            queryset = queryset.select_related("author")
        yield model, queryset


def export_data():
    """Every object as a dict in Django's serialization format, models in dependency order."""
    objects = []
    for model, queryset in _querysets():
        m2m = [field.name for field in model._meta.many_to_many]
        for item in serializers.serialize("python", queryset, use_natural_foreign_keys=True):
            for name in m2m:
                # Sorted ids: the related model's ordering may collate differently per database.
                item["fields"][name] = sorted(item["fields"][name])
            objects.append(item)
    counts = defaultdict(int)
    for item in objects:
        counts[item["model"]] += 1
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "counts": dict(counts),
        "objects": objects,
    }


class _Encoder(json.JSONEncoder):
    """Full precision: Django's encoder would cut datetimes to the millisecond."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
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


def _ensure_authors(objects):
    """Authors travel by username: create the missing ones as inactive accounts that cannot
    log in (no password), so that no update loses its author."""
    User = get_user_model()
    usernames = {
        item["fields"]["author"][0]
        for item in objects
        if item["model"] == "commitments.progressupdate" and item["fields"].get("author")
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
    return counts, created_users


def _load(objects):
    counts = defaultdict(int)
    through_rows = defaultdict(list)
    with connection.constraint_checks_disabled():
        try:
            for deserialized in serializers.deserialize("python", objects):
                m2m_data = deserialized.m2m_data or {}
                # Raw save: no signal touches last_changed_at, no history row, no version bump.
                deserialized.save(save_m2m=False)
                instance = deserialized.object
                counts[instance._meta.label_lower] += 1
                for name, related_ids in m2m_data.items():
                    field = instance._meta.get_field(name)
                    through = field.remote_field.through
                    source = field.m2m_field_name() + "_id"
                    target = field.m2m_reverse_field_name() + "_id"
                    through_rows[through].extend(
                        through(**{source: instance.pk, target: related}) for related in related_ids
                    )
        except serializers.base.DeserializationError as error:
            raise BackupError(f"Objet illisible dans la sauvegarde : {error}") from error
        # bulk_create sends no m2m_changed signal, which would touch the protocols.
        for through, rows in through_rows.items():
            through.objects.bulk_create(rows)
    # Foreign keys were not checked while loading (SQLite); check them all now.
    tables = [model._meta.db_table for model in MODELS]
    tables += [through._meta.db_table for through in through_rows]
    connection.check_constraints(table_names=tables)
    return dict(counts)


def _reset_sequences():
    """PostgreSQL: the next id after the imported ones (explicit ids do not move sequences)."""
    models = list(MODELS)
    for model in MODELS:
        models += [field.remote_field.through for field in model._meta.many_to_many]
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
