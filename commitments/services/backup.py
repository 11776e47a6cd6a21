"""Lossless JSON export and import of the portal's data, for backups and for moving between
SQLite and PostgreSQL (`export_protocols` / `import_protocols`). The format is documented in
docs/api.md (« Sauvegarde et changement de base »).

What is kept (format version 2): the accounts (users by username with their names, email,
flags, groups and permissions; password hashes only with `--with-passwords`) and the groups
with their permissions; territories, the reference lists (thematics, partners, axes,
glossary), the protocols and their whole trees with their many-to-many links, tracking and
progress updates, the indicators (definitions, baselines, targets and yearly values, figures
as text), the published editions, the campaigns with their territories and frozen
figures, the notifications already recorded (so that a restored portal sends nothing twice),
the territory memberships and the notification preferences — with their primary keys (so that
anchors, API ids and links survive the move), timestamps to the microsecond and
optimistic-locking versions. References to users travel by username.

Not kept: the change history (django-simple-history), the rendered PDFs (re-rendered after the
import: tasks.refresh_after_commit), the job queue, sessions, login attempts (django-axes),
two-factor devices and ProConnect links (both set up again by their user), the admin log.

Version 1 files (no accounts, campaigns, notifications nor memberships) still import: their
authors are created as inactive accounts without password, as version 1 did.

Editions are immutable (models/edition.py): the import inserts them with one bulk_create (an
INSERT never updates a row), and `--replace` is refused unless the file carries every edition
of the database exactly as it is; only then are they deleted with the rest, through the one
documented bypass (`EditionQuerySet.discard_for_rebuild`), and inserted again identical.

Accounts are never deleted by an import: a user of the file is matched by username (created
when missing, with an unusable password unless the file carries its hash; updated otherwise),
and keeps its id when it is free. Notification keys name their user by id
("reminder_7_days:round=3:user=5"): they are rewritten when a user's id changes. `--replace`
keeps the notifications of the database that the file does not have (sent after the backup):
nothing is sent twice.

The file is deterministic: exporting, importing into an empty database and exporting again
gives the same bytes.

An import records no change of content (content_changes.record_change would move each
protocol's `last_changed_at`, which the file keeps): the versions the page caches and the PDFs
are keyed on are those of the content imported. It queues the PDFs' renders when it commits
(tasks.refresh_after_commit), so that the stored PDFs follow the imported content.
"""

import datetime
import json
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.models import Field, ManyToManyField

from commitments.models import (
    INDICATOR_MODELS,
    PROTOCOL_MODELS,
    REFERENCE_MODELS,
    Campaign,
    CampaignFigure,
    Edition,
    Notification,
    Protocol,
)
from commitments.services.editions import canonical_json
from commitments.tasks import refresh_after_commit
from territories.models import AccountPreferences, Territory, TerritoryMembership

FORMAT = "perer-protocoles"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)

User = get_user_model()

# Dependency order: a model only points to models listed before it (users excepted: they
# come first in the file, see ACCOUNT_LABELS).
MODELS_V1 = (Territory, *REFERENCE_MODELS, *PROTOCOL_MODELS, *INDICATOR_MODELS, Edition)
CAMPAIGN_MODELS = (Campaign, CampaignFigure, Notification)
# Rows of one user: --replace only replaces those of the users the file carries.
USER_ROW_MODELS = (TerritoryMembership, AccountPreferences)
MODELS = (*MODELS_V1, *CAMPAIGN_MODELS, *USER_ROW_MODELS)
MODELS_OF_VERSION = {1: MODELS_V1, 2: MODELS}

GROUP = Group._meta.label_lower
USER = User._meta.label_lower
ACCOUNT_LABELS = (GROUP, USER)
USER_EXPORTED_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
    "date_joined",
    "last_login",
    "groups",
    "user_permissions",
)
EDITION = Edition._meta.label_lower
NOTIFICATION = Notification._meta.label_lower
# The user named by a notification's key (commitments/services/notifications.py).
KEY_USER = re.compile(r"(:user=)(\d+)$")
# Field names of version 1 files that the model now spells differently (applied only when the
# model has the new name and not the old one). Version 1 carried no campaign: the campaigns'
# renames (issue #22) need no entry.
# renames.sh: keep (the old names, on purpose)
LEGACY_FIELD_NAMES = {"lead": "pilot"}
# renames.sh: end


class BackupError(Exception):
    """A file that cannot be imported, or a database that must not be overwritten."""


# --- Export -----------------------------------------------------------------------------------


def _user_fields(model):
    """The foreign keys of `model` that point to a user (they travel by username)."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is User
    ]


def _querysets():
    for model in MODELS:
        queryset = model._default_manager.order_by("pk")
        m2m = [field.name for field in model._meta.many_to_many]
        if m2m:
            queryset = queryset.prefetch_related(*m2m)
        users = _user_fields(model)
        if users:
            queryset = queryset.select_related(*users)
        yield model, queryset


def _serialized(model, queryset, **options):
    m2m = [field.name for field in model._meta.many_to_many]
    for item in serializers.serialize("python", queryset, use_natural_foreign_keys=True, **options):
        for name in m2m:
            # Sorted ids: the related model's ordering may collate differently per database.
            item["fields"][name] = sorted(item["fields"][name])
        if model is Edition:
            # Sorted keys: PostgreSQL's jsonb does not keep the keys' order, SQLite does.
            item["fields"]["snapshot"] = json.loads(canonical_json(item["fields"]["snapshot"]))
        yield item


def _accounts(with_passwords):
    groups = Group.objects.order_by("name").prefetch_related("permissions__content_type")
    yield from _serialized(Group, groups, use_natural_primary_keys=True)
    users = User._default_manager.order_by("pk").prefetch_related(
        "groups", "user_permissions__content_type"
    )
    fields = USER_EXPORTED_FIELDS + (("password",) if with_passwords else ())
    yield from _serialized(User, users, fields=fields)


def export_data(with_passwords=False):
    """Every object as a dict in Django's serialization format: groups and users first, then
    the models in dependency order. Password hashes only when `with_passwords`."""
    objects = list(_accounts(with_passwords))
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


def write_backup(stream, with_passwords=False):
    data = export_data(with_passwords=with_passwords)
    stream.write(dumps(data))
    return data["counts"]


def is_empty(models=MODELS):
    return not any(model._default_manager.exists() for model in models)


# --- Checks before anything is written --------------------------------------------------------


def _check_header(data):
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(
            f"Ce fichier n'est pas une sauvegarde des protocoles (format « {FORMAT} » attendu)."
        )
    version = data.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise BackupError(
            f"Version de sauvegarde {version!r} non prise en charge (versions lues : "
            + ", ".join(map(str, READABLE_VERSIONS))
            + "). Une sauvegarde plus récente que le portail s'importe après sa mise à jour."
        )
    objects = data.get("objects")
    if not isinstance(objects, list):
        raise BackupError("La sauvegarde ne contient pas de liste « objects ».")
    if not all(
        isinstance(item, dict)
        and isinstance(item.get("fields"), dict)
        and isinstance(item.get("model"), str)
        and (item.get("pk") is None or type(item.get("pk")) in (int, str))
        for item in objects
    ):
        raise BackupError(
            "La sauvegarde contient des objets mal formés (chacun doit avoir « model » et "
            "« fields »)."
        )
    allowed = {model._meta.label_lower for model in MODELS_OF_VERSION[version]}
    if version >= 2:
        allowed |= set(ACCOUNT_LABELS)
    unknown = {str(item.get("model")) for item in objects} - allowed
    if unknown:
        raise BackupError(
            f"Objets inattendus dans une sauvegarde de version {version} : {sorted(unknown)}."
        )
    return version


def _check_references(objects, models):
    """Every reference between objects of the file (users excepted: by username) points to an
    object of the file: BackupError naming the first broken ones otherwise."""
    present = defaultdict(set)
    for item in objects:
        present[item["model"]].add(item.get("pk"))
    broken = []
    for model in models:
        label = model._meta.label_lower
        relations = [
            field
            for field in [*model._meta.concrete_fields, *model._meta.many_to_many]
            if field.is_relation and field.related_model in models
        ]
        for item in (item for item in objects if item["model"] == label):
            for field in relations:
                value = item["fields"].get(field.name)
                values = value if field.many_to_many and isinstance(value, list) else [value]
                target = field.related_model._meta.label_lower
                for pk in values:
                    if pk is not None and not (type(pk) in (int, str) and pk in present[target]):
                        broken.append(
                            f"{label} n° {item.get('pk')} (champ « {field.name} ») désigne "
                            f"{target} n° {pk}"
                        )
    if broken:
        more = f" (et {len(broken) - 5} autre(s))" if len(broken) > 5 else ""
        raise BackupError(
            "Références cassées dans la sauvegarde, vers des objets absents du fichier : "
            + " ; ".join(broken[:5])
            + more
            + ". Rien n'a été modifié."
        )


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


def _upgrade_v1(objects):
    """Version 1 objects as the models now spell them (LEGACY_FIELD_NAMES)."""
    by_label = {model._meta.label_lower: model for model in MODELS_V1}
    for item in objects:
        model = by_label[item["model"]]
        names = {field.name for field in model._meta.get_fields()}
        for old, new in LEGACY_FIELD_NAMES.items():
            if old in item["fields"] and old not in names and new in names:
                item["fields"][new] = item["fields"].pop(old)
    return objects


# --- Import -----------------------------------------------------------------------------------


def import_data(data, replace=False):
    """Load a backup in one transaction. Returns (counts per model, usernames created)."""
    version = _check_header(data)
    objects = [dict(item, fields=dict(item["fields"])) for item in data["objects"]]
    if version == 1:
        objects = _upgrade_v1(objects)
    models = MODELS_OF_VERSION[version]
    _check_references(objects, models)
    try:
        return _import_in_transaction(objects, version, replace)
    except DatabaseError as error:
        raise BackupError(
            f"La base refuse un objet de la sauvegarde ({error}). Rien n'a été modifié."
        ) from error
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        # A value of the wrong kind where the checks above do not look (a list of groups
        # that is not a list…): a message, not a traceback.
        raise BackupError(
            f"Contenu illisible dans la sauvegarde ({error!r}). Rien n'a été modifié."
        ) from error


def _import_in_transaction(objects, version, replace):
    models = MODELS_OF_VERSION[version]
    usernames = {item["fields"].get("username") for item in objects if item["model"] == USER}
    with transaction.atomic():
        kept = _Kept()
        if not is_empty():
            if not replace:
                raise BackupError(
                    "La base contient déjà des données (protocoles, campagnes, rattachements…) : "
                    "l'import est fait pour une base vide. Relancez avec --replace pour "
                    "remplacer les données de la sauvegarde."
                )
            if version == 1 and Campaign.objects.exists():
                raise BackupError(
                    "Cette sauvegarde de version 1 ne contient pas les campagnes de suivi de la "
                    "base, qui seraient perdues : importez-la dans une base vide. Rien n'a été "
                    "modifié."
                )
            _check_editions_kept(objects)
            kept = _Kept.before_clear(version, usernames)
            _clear(models, usernames)
        created = _load_accounts(objects)
        created += _ensure_authors(objects)
        counts = _load(objects, models)
        _reset_sequences(models)
        kept.restore(objects)
        refresh_after_commit()
    return counts, created


class _Kept:
    """What --replace keeps of the database: memberships of the users the file does not carry
    (their territories permitting) and notifications the file does not have."""

    def __init__(self, memberships=(), notifications=()):
        self.memberships = list(memberships)
        self.notifications = list(notifications)

    @classmethod
    def before_clear(cls, version, usernames):
        memberships = TerritoryMembership.objects.values_list("user_id", "territory__slug")
        if version >= 2:
            memberships = memberships.exclude(user__username__in=usernames)
            notifications = Notification.objects.order_by("pk").values(
                "user_id", "kind", "campaign_id", "key", "created_at", "sent_at", "error"
            )
        else:
            notifications = Notification.objects.none().values()  # version 1 replaces neither
        return cls(memberships, notifications)

    def restore(self, objects):
        if self.memberships:
            territories = dict(Territory.objects.values_list("slug", "pk"))
            TerritoryMembership.objects.bulk_create(
                [
                    TerritoryMembership(user_id=user_id, territory_id=territories[slug])
                    for user_id, slug in self.memberships
                    if slug in territories
                ],
                ignore_conflicts=True,
            )
        if self.notifications:
            keys = set(Notification.objects.values_list("key", flat=True))
            campaigns = set(Campaign.objects.values_list("pk", flat=True))
            for row in self.notifications:
                if row["key"] in keys:
                    continue
                if row["campaign_id"] not in campaigns:
                    row["campaign_id"] = None
                # Raw save: created_at as it was (bulk_create would set it to now).
                Notification(**row).save_base(raw=True)


def _clear(models, usernames):
    """Delete the data the file carries, leaves first (protocols, thematics and territories
    are PROTECTed by the rows that point to them). Users are never deleted; their own rows
    (memberships, preferences) only for the users of the file."""
    for model in reversed(models):
        if model is Territory:
            # A parent territory is PROTECTed by its children: communes go first.
            while Territory.objects.exists():
                Territory.objects.filter(children__isnull=True).delete()
        elif model is Edition:
            # Checked first by _check_editions_kept: they come back identical from the file.
            Edition.objects.discard_for_rebuild(Protocol.objects.all())
        elif model in USER_ROW_MODELS:
            model._default_manager.filter(user__username__in=usernames).delete()
        else:
            model._default_manager.all().delete()


def _natural(model, key, what):
    try:
        return model._default_manager.get_by_natural_key(*key)
    except (ObjectDoesNotExist, TypeError) as error:
        raise BackupError(f"{what} inconnu(e) dans la base : {key!r}.") from error


def _load_accounts(objects):
    """Groups (by name) and users (by username) of a version 2 file; the usernames created.
    A new user keeps the id of the file when it is free (all of them, into an empty database);
    notification keys are rewritten for the users that get another id than in the file."""
    for item in (item for item in objects if item["model"] == GROUP):
        fields = item["fields"]
        group, _ = Group.objects.get_or_create(name=str(fields.get("name")))
        group.permissions.set(
            [_natural(Permission, key, "Permission") for key in fields.get("permissions", [])]
        )
    items = [item for item in objects if item["model"] == USER]
    existing = {user.username: user for user in User._default_manager.all()}
    taken = {user.pk for user in existing.values()}
    new = [item for item in items if item["fields"].get("username") not in existing]
    keeping = {
        item.get("pk")
        for item in new
        if isinstance(item.get("pk"), int) and item.get("pk") not in taken
    }
    ids, created = {}, []
    # Users with the file's id first, then the sequence follows them, then the others.
    for keeps_id in (True, False):
        for item in items:
            user = existing.get(item["fields"].get("username"))
            if user is None and (item.get("pk") in keeping) is keeps_id:
                user = User(pk=item["pk"] if keeps_id else None)
                user.set_unusable_password()
                created.append(item["fields"].get("username"))
            elif user is None or not keeps_id:
                continue
            _write_user(user, item["fields"])
            ids[item.get("pk")] = user.pk
        if keeps_id:
            _reset_sequences(())
    for item in objects:
        if item["model"] == NOTIFICATION and isinstance(item["fields"].get("key"), str):
            item["fields"]["key"] = KEY_USER.sub(
                lambda match: match[1] + str(ids.get(int(match[2]), match[2])),
                item["fields"]["key"],
            )
    return created


def _write_user(user, fields):
    """`user` as the file describes it (its password hash only when the file carries it)."""
    for name in (*USER_EXPORTED_FIELDS[:-2], "password"):
        if name in fields:
            try:
                value = cast(Field, User._meta.get_field(name)).to_python(fields[name])
            except ValidationError as error:
                raise BackupError(
                    f"Compte « {fields.get('username')} » illisible (champ « {name} ») : "
                    + " ".join(error.messages)
                ) from error
            setattr(user, name, value)
    user.save()
    user.groups.set([_natural(Group, key, "Groupe") for key in fields.get("groups", [])])
    user.user_permissions.set(
        [_natural(Permission, key, "Permission") for key in fields.get("user_permissions", [])]
    )


def _ensure_authors(objects):
    """Users referenced by username but absent from the file (version 1 files carry no
    accounts): created as inactive accounts that cannot log in (no password), so that nothing
    loses its author."""
    user_fields = {model._meta.label_lower: _user_fields(model) for model in MODELS}
    usernames = set()
    for item in objects:
        for name in user_fields.get(item["model"], ()):
            value = item["fields"].get(name)
            if isinstance(value, list) and value:
                usernames.add(str(value[0]))
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


def _load(objects, models):
    counts: defaultdict[str, int] = defaultdict(int)
    through_rows: defaultdict[Any, list[Any]] = defaultdict(list)
    editions = []
    with connection.constraint_checks_disabled():
        try:
            items = [item for item in objects if item["model"] not in ACCOUNT_LABELS]
            for deserialized in serializers.deserialize("python", items):
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
                    # The stubs allow None for `through`, which a loaded model's field always has.
                    through: Any = field.remote_field.through
                    source = field.m2m_field_name() + "_id"
                    target = field.m2m_reverse_field_name() + "_id"
                    through_rows[through].extend(
                        through(**{source: instance.pk, target: related}) for related in related_ids
                    )
        except (serializers.base.DeserializationError, ValidationError) as error:
            raise BackupError(f"Objet illisible dans la sauvegarde : {error}") from error
        for through, rows in through_rows.items():
            through.objects.bulk_create(rows)
        # Inserted, never saved: an existing row with the same id fails instead of changing.
        Edition.objects.bulk_create(editions)
    # Foreign keys were not checked while loading (SQLite); check them all now.
    tables = [model._meta.db_table for model in models]
    tables += [through._meta.db_table for through in through_rows]
    connection.check_constraints(table_names=tables)
    for item in objects:
        if item["model"] in ACCOUNT_LABELS:
            counts[item["model"]] += 1
    return dict(counts)


def _reset_sequences(models):
    """PostgreSQL: the next id after the imported ones (explicit ids do not move sequences)."""
    models = [User, *models]
    for model in list(models):
        models += [field.remote_field.through for field in model._meta.many_to_many]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
