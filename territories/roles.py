"""The two roles of the portal, as Django groups, and who leads which territory.

- Superusers and members of the "Agglomération" group edit everything.
- Members of the "Chef de projet ville" group lead the territories they are attached to through
  a `TerritoryMembership`; what they may do there is decided by commitments/permissions.py.
- Need-to-know (RGPD minimisation): who works on a territory — its leads' accounts (their
  usernames are email addresses), who reported its progress, who changed what in its history —
  is shown to agglomeration staff, and to the leads of that territory only
  (`sees_people_of`, `people_visible_to`).

ROLE_PERMISSIONS names the Django model permissions of each group, by app label and model
name: it is the configuration applied by `sync_role_groups` (territories/migrations/0002_roles.py
and create_demo_users), not an import of the apps it names. Results are cached on the user
object, which lives for one request.
"""

from django.db.models import Q

from territories.models import Territory, TerritoryMembership

AGGLOMERATION_GROUP = "Agglomération"
CITY_LEAD_GROUP = "Chef de projet ville"

_COMMITMENT_MODELS = (
    "protocol",
    "thematicsection",
    "strategicobjective",
    "operationalobjective",
    "action",
    "progressupdate",
)
_REFERENCE_MODELS = ("thematic", "partner", "glossaryterm", "transversalaxis")
# Staff define and edit indicators; city leads read their territories' (commitments/
# permissions.py narrows the rows and keeps them read-only).
_INDICATOR_MODELS = ("indicatordefinition", "indicator", "indicatorvalue")
_ALL = ("add", "change", "delete", "view")

# Model permissions of each group: {group: {app_label: {model: actions}}}.
ROLE_PERMISSIONS = {
    AGGLOMERATION_GROUP: {
        "commitments": dict.fromkeys(
            _COMMITMENT_MODELS + _REFERENCE_MODELS + _INDICATOR_MODELS, _ALL
        ),
        "territories": {"territory": _ALL, "territorymembership": _ALL},
    },
    CITY_LEAD_GROUP: {
        "commitments": {
            **dict.fromkeys(_COMMITMENT_MODELS + _REFERENCE_MODELS + _INDICATOR_MODELS, ("view",)),
            "operationalobjective": ("change", "view"),
            "action": ("change", "view"),
            "progressupdate": ("add", "view"),
        },
        "territories": {"territory": ("view",), "territorymembership": ("view",)},
    },
}


def _exists(apps, app_label, model):
    try:
        apps.get_model(app_label, model)
    except LookupError:
        return False
    return True


def sync_role_groups(apps):
    """Create the two groups and set exactly their model permissions.

    `apps` is the migration state's registry in a data migration, `django.apps.apps` elsewhere.
    Permissions must exist already (post_migrate, or `sync_role_groups_migrating`). A model
    that the registry does not hold yet is skipped: a data migration runs on the models of its
    time (territories/migrations/0002_roles.py runs before later models exist), and the
    migration creating a model syncs the groups again (commitments 0011_indicators).
    tests/territories/test_roles.py checks that every model named exists today.
    """
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, by_app in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = [
            (app_label, f"{action}_{model}")
            for app_label, models in by_app.items()
            for model, actions in models.items()
            if _exists(apps, app_label, model)
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


def sync_role_groups_migrating(apps):
    """`sync_role_groups` from a data migration: the permissions of the models of that time
    are created first (Django creates them after every migration has run, post_migrate)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(apps)


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


def city_lead_territory_ids(user):
    """Ids of the territories a city lead is attached to (empty for anyone else)."""
    if not is_city_lead(user):
        return frozenset()
    if not hasattr(user, "_perer_territory_ids"):
        user._perer_territory_ids = frozenset(
            TerritoryMembership.objects.filter(user=user).values_list("territory_id", flat=True)
        )
    return user._perer_territory_ids


def city_lead_territories(user):
    """The territories a city lead is attached to, as a queryset."""
    return Territory.objects.filter(pk__in=city_lead_territory_ids(user))


def sees_people_of(user, territory_id):
    """May `user` see who works on this territory (see the module docstring)? None, a row
    outside any known territory: agglomeration staff only."""
    if is_agglomeration(user):
        return True
    return territory_id is not None and territory_id in city_lead_territory_ids(user)


def people_visible_to(user, queryset, *territory_lookups):
    """`queryset` narrowed to the rows whose territory, reached by any of `territory_lookups`
    (e.g. "territory"), `user` sees the people of."""
    if is_agglomeration(user):
        return queryset
    ids = city_lead_territory_ids(user)
    if not ids:
        return queryset.none()
    return queryset.filter(
        Q(*(Q(**{f"{lookup}__in": ids}) for lookup in territory_lookups), _connector=Q.OR)
    )
