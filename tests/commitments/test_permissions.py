"""commitments/permissions.py, the one place of who may do what, tested directly as a matrix:
each rule × each kind of user (anonymous visitor, partner's account without a role, city lead
of the territory, city lead of another territory, agglomeration staff, superuser)."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from commitments import permissions
from commitments.models import Action, Indicator, IndicatorValue, ProgressUpdate
from territories.models import Territory
from territories.roles import CITY_LEAD_GROUP
from tests import factories
from tests.support.admin import build_tree, corbeil, ensure_groups, grigny, make_user
from tests.support.campaigns import new_campaign

pytestmark = pytest.mark.django_db

USERS = ("anonymous", "partner", "lead_here", "lead_elsewhere", "agglomeration", "superuser")


def user_for(kind):
    if kind == "anonymous":
        return AnonymousUser()
    if kind == "partner":  # an account without any role
        return factories.UserFactory(username="partenaire")
    if kind == "lead_here":
        return make_user("grigny_lead")
    if kind == "lead_elsewhere":
        ensure_groups()
        user = factories.UserFactory(username="chef-corbeil", is_staff=True)
        user.groups.add(Group.objects.get(name=CITY_LEAD_GROUP))
        factories.MembershipFactory(user=user, territory=corbeil())
        return user
    return make_user(kind)


@pytest.fixture
def trees():
    """Grigny's tree ("here") and Corbeil-Essonnes' ("elsewhere")."""
    return {"here": build_tree(grigny()), "elsewhere": build_tree(corbeil())}


def matrix(*allowed):
    """pytest parameters (user kind, expected) from the kinds that are allowed."""
    return [pytest.param(kind, kind in allowed, id=kind) for kind in USERS]


STAFF = ("agglomeration", "superuser")
LEADS = ("lead_here", "lead_elsewhere")


@pytest.mark.parametrize(("kind", "expected"), matrix(*STAFF))
def test_structure_updates_and_spreadsheets_are_the_agglomeration_s(kind, expected):
    user = user_for(kind)
    assert permissions.can_edit_structure(user) is expected
    assert permissions.can_correct_updates(user) is expected
    assert permissions.can_exchange_spreadsheets(user) is expected
    assert permissions.can_see_jobs(user) is expected


@pytest.mark.parametrize(("kind", "expected"), matrix("lead_here", *STAFF))
def test_tracking_a_territory(kind, expected, trees):
    user = user_for(kind)
    assert permissions.can_track_territory(user, grigny().pk) is expected


@pytest.mark.parametrize(("kind", "expected"), matrix("lead_here", *STAFF))
@pytest.mark.parametrize("level", ["oo", "action"])
def test_tracking_a_commitment_of_the_territory(kind, expected, level, trees):
    user, commitment = user_for(kind), trees["here"][level]
    assert permissions.can_edit_tracking(user, commitment) is expected
    assert permissions.can_add_progress_update(user, commitment) is expected


@pytest.mark.parametrize(("kind", "expected"), matrix(*STAFF))
@pytest.mark.parametrize("level", ["protocol", "section", "so"])
def test_what_is_not_tracked_is_the_agglomeration_s(kind, expected, level, trees):
    assert permissions.can_edit_tracking(user_for(kind), trees["here"][level]) is expected


@pytest.mark.parametrize(("kind", "expected"), matrix(*LEADS, *STAFF))
def test_tracking_anything_at_all(kind, expected):
    assert permissions.can_edit_tracking(user_for(kind)) is expected


@pytest.mark.parametrize("kind", USERS)
def test_no_update_without_a_commitment(kind):
    assert permissions.can_add_progress_update(user_for(kind), None) is False


# Which of Grigny's ("here") and Corbeil-Essonnes' ("elsewhere") each user tracks.
TRACKED_PLACES = [
    ("anonymous", set()),
    ("partner", set()),
    ("lead_here", {"here"}),
    ("lead_elsewhere", {"elsewhere"}),
    ("agglomeration", {"here", "elsewhere"}),
    ("superuser", {"here", "elsewhere"}),
]


@pytest.mark.parametrize(("kind", "expected"), TRACKED_PLACES)
def test_trackable_commitments_and_territories(kind, expected, trees):
    user = user_for(kind)
    actions = {trees[where]["action"].pk: where for where in trees}
    trackable = permissions.trackable_by(user, Action.objects.filter(pk__in=actions))
    assert {actions[action.pk] for action in trackable} == expected
    territories = {grigny().pk: "here", corbeil().pk: "elsewhere"}
    tracked = permissions.tracked_territories(user)
    assert {territories[t.pk] for t in tracked if t.pk in territories} == expected
    if kind in STAFF:
        assert tracked.count() == Territory.objects.count()
    else:
        assert tracked.count() == len(expected)


def test_only_tracked_models_are_trackable(trees):
    sections = type(trees["here"]["section"]).objects.all()
    assert not permissions.trackable_by(make_user("grigny_lead"), sections).exists()


def test_territory_of_each_element(trees):
    tree = trees["here"]
    update = factories.ProgressUpdateFactory(action=tree["action"])
    for obj in (tree["section"], tree["so"], tree["oo"], tree["action"], update):
        assert permissions.territory_id_of(obj) == grigny().pk
    assert permissions.territory_id_of(factories.ProgressUpdateFactory.build(action=None)) is None


# --- Campaigns --------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "expected"), matrix(*STAFF))
def test_campaigns_are_managed_by_the_agglomeration(kind, expected):
    assert permissions.can_manage_campaigns(user_for(kind)) is expected


@pytest.mark.parametrize(("kind", "expected"), matrix(*LEADS, *STAFF))
def test_campaign_pages_are_for_staff_and_leads(kind, expected):
    assert permissions.can_see_campaigns(user_for(kind)) is expected


def a_campaign(*territories):
    return new_campaign(make_user("superuser", username="organisateur"), list(territories))


@pytest.mark.parametrize(
    ("kind", "campaigns", "rows"),
    [
        ("anonymous", set(), []),
        ("partner", set(), []),
        ("lead_here", {"here", "both"}, ["grigny"]),
        ("lead_elsewhere", {"elsewhere", "both"}, ["corbeil-essonnes"]),
        ("agglomeration", {"here", "elsewhere", "both"}, ["grigny", "corbeil-essonnes"]),
        ("superuser", {"here", "elsewhere", "both"}, ["grigny", "corbeil-essonnes"]),
    ],
)
def test_which_campaigns_and_rows_each_user_sees(kind, campaigns, rows):
    here, elsewhere = grigny(), corbeil()
    user = user_for(kind)
    made = {
        "here": a_campaign(here),
        "elsewhere": a_campaign(elsewhere),
        "both": a_campaign(here, elsewhere),
    }
    names = {campaign_.pk: name for name, campaign_ in made.items()}
    assert {names[r.pk] for r in permissions.campaigns_visible_to(user)} == campaigns
    visible = permissions.campaign_territories_visible_to(user, made["both"])
    assert sorted(t.slug for t in visible) == sorted(rows)


# --- Indicators -------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "expected"), matrix(*STAFF))
def test_indicators_are_defined_and_edited_by_the_agglomeration(kind, expected):
    assert permissions.can_edit_indicators(user_for(kind)) is expected


@pytest.fixture
def indicators(trees):
    """An indicator with a value in Grigny ("here") and in Corbeil-Essonnes ("elsewhere")."""
    found = {}
    for where, tree in trees.items():
        indicator = factories.IndicatorFactory(action=tree["action"])
        found[where] = (indicator, factories.IndicatorValueFactory(indicator=indicator))
    return found


@pytest.mark.parametrize(("kind", "expected"), TRACKED_PLACES)
def test_who_records_and_sees_which_indicators(kind, expected, indicators):
    user = user_for(kind)
    recordable = {
        where
        for where, (indicator, _) in indicators.items()
        if permissions.can_record_indicator_value(user, indicator)
    }
    assert recordable == expected
    places = {pair[0].pk: where for where, pair in indicators.items()}
    visible = permissions.indicators_visible_to(user, Indicator.objects.filter(pk__in=places))
    assert {places[indicator.pk] for indicator in visible} == expected
    values = IndicatorValue.objects.filter(indicator__in=places)
    assert {
        places[value.indicator_id] for value in permissions.indicators_visible_to(user, values)
    } == expected
    seen = {
        where
        for where, pair in indicators.items()
        if all(permissions.can_see_activity(user, obj) for obj in pair)
    }
    # Who recorded what: staff everywhere, a lead on their territories; the others see no
    # one (nobody else opens the admin).
    assert seen == (expected if kind not in ("anonymous", "partner") else set())
    assert permissions.can_record_indicator_value(user, None) is False


def test_territory_of_indicators(indicators):
    indicator, value = indicators["here"]
    assert permissions.territory_id_of(indicator) == grigny().pk
    assert permissions.territory_id_of(value) == grigny().pk
    assert permissions.territory_id_of(IndicatorValue()) is None


# --- Who did what (progress updates' authors, change history) ---------------------------------


@pytest.mark.parametrize(("kind", "expected"), TRACKED_PLACES)
def test_who_sees_the_activity_of_each_territory(kind, expected, trees):
    user = user_for(kind)
    updates = {
        factories.ProgressUpdateFactory(action=tree["action"]).pk: where
        for where, tree in trees.items()
    }
    visible = permissions.updates_visible_to(user, ProgressUpdate.objects.filter(pk__in=updates))
    assert {updates[update.pk] for update in visible} == expected
    seen = {
        where
        for where, tree in trees.items()
        if all(
            permissions.can_see_activity(user, tree[level])
            for level in ("protocol", "section", "so", "oo", "action")
        )
    }
    assert seen == (expected if kind not in ("anonymous", "partner") else set())


@pytest.mark.parametrize("kind", USERS)
def test_the_reference_lists_activity_is_open_to_whoever_views_them(kind):
    assert permissions.can_see_activity(user_for(kind), factories.PartnerFactory()) is True
