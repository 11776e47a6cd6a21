"""Who may do what on the protocols: the two roles, as plain functions.

- Superusers and members of the "Agglomération" group edit everything.
- Members of the "Chef de projet ville" group see every protocol, and change only the tracking
  fields (and add progress updates) of the commitments of the territories they are attached to
  through a `TerritoryMembership`. They never add, delete or restructure anything.

The admin, the API or any view call these functions; the Django model permissions granted to
each group (see ROLE_PERMISSIONS, applied by territories/migrations/0002_roles.py) come on top.
Results are cached on the user object, which lives for one request.
"""

from commitments.models.tracking import TRACKING_FIELDS

AGGLOMERATION_GROUP = "Agglomération"
CITY_LEAD_GROUP = "Chef de projet ville"

# Models whose rows carry the tracking fields a city lead may change.
TRACKED_MODELS = ("operationalobjective", "action")

_COMMITMENT_MODELS = (
    "protocol",
    "thematicsection",
    "strategicobjective",
    "operationalobjective",
    "action",
    "progressupdate",
)
_REFERENCE_MODELS = ("thematic", "partner", "glossaryterm", "transversalaxis")
_ALL = ("add", "change", "delete", "view")

# Model permissions of each group: {group: {app_label: {model: actions}}}.
ROLE_PERMISSIONS = {
    AGGLOMERATION_GROUP: {
        "commitments": dict.fromkeys(_COMMITMENT_MODELS + _REFERENCE_MODELS, _ALL),
        "territories": {"territory": _ALL, "territorymembership": _ALL},
    },
    CITY_LEAD_GROUP: {
        "commitments": {
            **dict.fromkeys(_COMMITMENT_MODELS + _REFERENCE_MODELS, ("view",)),
            "operationalobjective": ("change", "view"),
            "action": ("change", "view"),
            "progressupdate": ("add", "view"),
        },
        "territories": {"territory": ("view",), "territorymembership": ("view",)},
    },
}


def sync_role_groups(apps):
    """Create the two groups and set exactly their model permissions.

    `apps` is the migration state's registry in a data migration, `django.apps.apps` elsewhere.
    Permissions must exist already (post_migrate, or create_permissions in the migration).
    """
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, by_app in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = [
            (app_label, f"{action}_{model}")
            for app_label, models in by_app.items()
            for model, actions in models.items()
            for action in actions
        ]
        permissions = [
            permission
            for permission in permission_model.objects.filter(
                content_type__app_label__in=by_app.keys()
            ).select_related("content_type")
            if (permission.content_type.app_label, permission.codename) in wanted
        ]
        missing = set(wanted) - {(p.content_type.app_label, p.codename) for p in permissions}
        if missing:
            raise LookupError(f"Permissions manquantes pour le groupe {name} : {sorted(missing)}")
        group.permissions.set(permissions)


def _group_names(user):
    if not hasattr(user, "_perer_groups"):
        user._perer_groups = (
            set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
        )
    return user._perer_groups


def is_active_staff(user):
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def is_agglomeration(user):
    """Agglomeration staff (or a superuser): edits every protocol."""
    if not is_active_staff(user):
        return False
    return user.is_superuser or AGGLOMERATION_GROUP in _group_names(user)


def is_city_lead(user):
    return is_active_staff(user) and CITY_LEAD_GROUP in _group_names(user)


def led_territory_ids(user):
    """Ids of the territories a city lead is attached to (empty for anyone else)."""
    if not is_city_lead(user):
        return frozenset()
    if not hasattr(user, "_perer_territory_ids"):
        from territories.models import TerritoryMembership

        user._perer_territory_ids = frozenset(
            TerritoryMembership.objects.filter(user=user).values_list("territory_id", flat=True)
        )
    return user._perer_territory_ids


def led_territories(user):
    """The territories a city lead is attached to, as a queryset."""
    from territories.models import Territory

    return Territory.objects.filter(pk__in=led_territory_ids(user))


# The path from each model to its territory, as attribute chains (followed in memory: callers
# select_related them) and as query lookups.
TERRITORY_PATHS = {
    "protocol": "territory",
    "thematicsection": "protocol__territory",
    "strategicobjective": "section__protocol__territory",
    "operationalobjective": "strategic_objective__section__protocol__territory",
    "action": "operational_objective__strategic_objective__section__protocol__territory",
}


def territory_path(model):
    return TERRITORY_PATHS[model._meta.model_name]


def territory_id_of(obj):
    """The id of the territory a protocol element belongs to, or None if it has no parent yet."""
    model_name = obj._meta.model_name
    if model_name == "progressupdate":
        target = obj.action if obj.action_id else obj.operational_objective
        return territory_id_of(target) if target is not None else None
    *relations, last = TERRITORY_PATHS[model_name].split("__")
    current = obj
    for name in relations:
        if getattr(current, f"{name}_id") is None:
            return None
        current = getattr(current, name)
    return getattr(current, f"{last}_id")


def can_edit_structure(user):
    """Add, delete, reorder, reword: agglomeration staff and superusers only."""
    return is_agglomeration(user)


def can_edit_tracking(user, obj=None):
    """May `user` change the tracking fields of `obj` (any tracked commitment if obj is None)?"""
    if is_agglomeration(user):
        return True
    if not is_city_lead(user):
        return False
    if obj is None:
        return bool(led_territory_ids(user))
    if obj._meta.model_name not in TRACKED_MODELS:
        return False
    return territory_id_of(obj) in led_territory_ids(user)


def can_add_progress_update(user, commitment):
    """Progress updates are reported on a tracked commitment by whoever may track it."""
    return commitment is not None and can_edit_tracking(user, commitment)


def editable_fields(user, obj):
    """The model fields of `obj` that `user` may change: all, the tracking ones, or none."""
    if can_edit_structure(user):
        return None  # everything
    if can_edit_tracking(user, obj):
        return TRACKING_FIELDS
    return ()


def editable_for(user, queryset):
    """Restrict a queryset of tracked commitments to those `user` may track."""
    if is_agglomeration(user):
        return queryset
    if not is_city_lead(user) or queryset.model._meta.model_name not in TRACKED_MODELS:
        return queryset.none()
    path = territory_path(queryset.model)
    return queryset.filter(**{f"{path}__in": led_territory_ids(user)})
