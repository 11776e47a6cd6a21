"""Who may do what on the protocols and the campaigns, as plain functions over the roles of
territories/roles.py — the one place these rules are written.

- Agglomeration staff (and superusers) edit everything: text, structure, tracking; they open,
  edit, close and export the reporting campaigns (campaigns), and see all of them.
- City project leads see every protocol, and change only the tracking fields (and record
  progress updates) of the commitments of the territories they lead. They never add, delete
  or restructure anything. They see the campaigns that concern a territory they lead, and only
  those territories' rows.
- Who did what (progress updates with their authors, change histories with who made each
  change) is need-to-know: agglomeration staff everywhere, a city lead on the territories they
  lead only (`can_see_activity`, `updates_visible_to`; the rule is territories.roles').
- Indicators: agglomeration staff define them and edit them with their values; a city lead
  records the values of their territories' indicators (`can_record_indicator_value`, the
  write path of services/indicator_writes.py) and, in the admin, reads their territories'
  indicators only (`indicators_visible_to`: the values name who recorded them).
- Anyone else (a partner's account without a role, an anonymous visitor) reads the public
  pages only: no tracking, no campaign.

The admin, the API, the services and every view call these functions; the Django model
permissions granted to each group (territories.roles.ROLE_PERMISSIONS) come on top. Tested as
a matrix in tests/commitments/test_permissions.py.
"""

from django.core.exceptions import ObjectDoesNotExist

from commitments.models import (
    TARGET_FIELDS,
    TRACKED_MODELS,
    Campaign,
    Indicator,
    IndicatorValue,
    ProgressUpdate,
)
from territories.models import Territory
from territories.roles import (
    is_agglomeration,
    is_city_lead,
    led_territory_ids,
    people_visible_to,
    sees_people_of,
)


def territory_id_of(obj):
    """The id of the territory a protocol element belongs to, or None if it has no parent yet.

    Follows `obj.tree` in memory: callers select_related it."""
    if isinstance(obj, ProgressUpdate):
        return territory_id_of(obj.target) if obj.target is not None else None
    if isinstance(obj, IndicatorValue):
        return obj.indicator.territory_id if obj.indicator_id is not None else None
    if isinstance(obj, Indicator):
        return obj.territory_id
    *relations, last = obj.tree.territory.split("__")
    current = obj
    for name in relations:
        if getattr(current, f"{name}_id") is None:
            return None
        current = getattr(current, name)
    return getattr(current, f"{last}_id")


def can_edit_structure(user):
    """Add, delete, reorder, reword: agglomeration staff and superusers only."""
    return is_agglomeration(user)


def can_correct_updates(user):
    """Add, correct or delete progress updates outside the tracking space (the admin's list
    of updates, a commitment's timeline): the agglomeration only."""
    return is_agglomeration(user)


def can_exchange_spreadsheets(user):
    """Export and import the tracking spreadsheets: the agglomeration only."""
    return is_agglomeration(user)


def can_see_jobs(user):
    """The background jobs' list (PDF renders, emails) in the admin: the agglomeration."""
    return is_agglomeration(user)


def can_track_territory(user, territory_id):
    """May `user` record progress on the commitments of this territory?"""
    return is_agglomeration(user) or territory_id in led_territory_ids(user)


def can_edit_tracking(user, obj=None):
    """May `user` record progress on `obj` and change its TRACKING_FIELDS (any tracked
    commitment if obj is None)?"""
    if is_agglomeration(user):
        return True
    if not is_city_lead(user):
        return False
    if obj is None:
        return bool(led_territory_ids(user))
    if not isinstance(obj, TRACKED_MODELS):
        return False
    return can_track_territory(user, territory_id_of(obj))


def can_add_progress_update(user, commitment):
    """Progress updates are reported on a tracked commitment by whoever may track it."""
    return commitment is not None and can_edit_tracking(user, commitment)


def tracked_territories(user):
    """The territories whose commitments `user` tracks, in display order: every one for the
    agglomeration, the led ones for a city lead, none for anyone else."""
    territories = Territory.objects.in_display_order()
    if is_agglomeration(user):
        return territories
    return territories.filter(pk__in=led_territory_ids(user))


def trackable_by(user, queryset):
    """Restrict a queryset of tracked commitments to those `user` may track."""
    if is_agglomeration(user):
        return queryset
    if not is_city_lead(user) or queryset.model not in TRACKED_MODELS:
        return queryset.none()
    return queryset.filter(
        **{queryset.model.tree.lookup("territory", "in"): led_territory_ids(user)}
    )


# --- Campaigns (campaigns) ----------------------------------------------------------


def can_manage_campaigns(user):
    """Open, edit, close and export campaigns, remind late leads: the agglomeration only."""
    return is_agglomeration(user)


def can_see_campaigns(user):
    """The campaigns' pages: the agglomeration, and city leads attached to a territory."""
    return is_agglomeration(user) or bool(led_territory_ids(user))


def campaigns_visible_to(user):
    """The campaigns `user` may see: every one for the agglomeration, those concerning a
    territory they lead for a city lead, none for anyone else."""
    campaigns = Campaign.objects.all()
    if is_agglomeration(user):
        return campaigns
    led = led_territory_ids(user)
    return campaigns.concerning(led) if led else campaigns.none()


def campaign_territories_visible_to(user, campaign_):
    """The campaign's territories whose rows `user` sees, in display order (one query)."""
    territories = campaign_.territories.in_display_order()
    if is_agglomeration(user):
        return list(territories)
    return list(territories.filter(pk__in=led_territory_ids(user)))


# Rows outside the protocol tree that belong to one territory (territory_id_of knows them).
TERRITORY_ROWS = (ProgressUpdate, Indicator, IndicatorValue)

# The lookups from a progress update to its territory, one per kind of commitment.
UPDATE_TERRITORY_LOOKUPS = tuple(
    f"{field}__{model.tree.territory}" for model, field in TARGET_FIELDS.items()
)


def can_see_activity(user, obj):
    """May `user` see who did what on `obj`: its progress updates with their authors, its
    change history with who made each change? Need-to-know: agglomeration staff everywhere, a
    city lead on the protocols, commitments and updates of their territories only. What belongs
    to no territory (the reference lists, edited by staff) is open to whoever may view it."""
    if not isinstance(obj, TERRITORY_ROWS) and not hasattr(obj, "tree"):
        return True
    try:
        territory_id = territory_id_of(obj)
    except ObjectDoesNotExist:  # a version of a deleted element whose parent is gone too
        territory_id = None
    return sees_people_of(user, territory_id)


def updates_visible_to(user, queryset):
    """A queryset of progress updates narrowed to those `user` may see (can_see_activity)."""
    return people_visible_to(user, queryset, *UPDATE_TERRITORY_LOOKUPS)


# --- Indicators ------------------------------------------------------------------------------


def can_edit_indicators(user):
    """Define indicators (and their shared definitions), edit them and their values in the
    admin: the agglomeration only."""
    return is_agglomeration(user)


def can_record_indicator_value(user, indicator):
    """May `user` record a value of `indicator`? Whoever tracks its territory: the
    agglomeration, and the city leads of that territory."""
    return indicator is not None and can_track_territory(user, indicator.territory_id)


# The lookup from each kind of indicator row to its territory.
INDICATOR_TERRITORY_LOOKUPS = {Indicator: "territory", IndicatorValue: "indicator__territory"}


def indicators_visible_to(user, queryset):
    """A queryset of indicators or of their values narrowed to the territories whose people
    `user` sees (values name who recorded them): every one for the agglomeration, the led ones
    for a city lead, none for anyone else."""
    return people_visible_to(user, queryset, INDICATOR_TERRITORY_LOOKUPS[queryset.model])
