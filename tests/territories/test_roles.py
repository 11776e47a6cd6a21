"""The roles (roles.py): agglomeration staff, city leads and the territories they lead, and the
tracking rules that build on them (commitments/permissions.py)."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from commitments.models import Action, ProgressUpdate, Thematic
from commitments.permissions import (
    can_edit_tracking,
    can_see_activity,
    trackable_by,
    updates_visible_to,
)
from territories.models import TerritoryMembership
from territories.roles import (
    AGGLOMERATION_GROUP,
    CITY_LEAD_GROUP,
    ROLE_PERMISSIONS,
    city_lead_territories,
    is_agglomeration,
    is_city_lead,
    people_visible_to,
    sees_people_of,
    sync_role_groups,
)
from tests.factories import UserFactory
from tests.support.admin import build_tree, corbeil, grigny, make_user
from tests.support.progress import report_today

pytestmark = pytest.mark.usefixtures("fast_password_hasher")


@pytest.mark.django_db
class TestRoleFunctions:
    def test_roles(self):
        lead, agglo, boss = (make_user(r) for r in ("grigny_lead", "agglomeration", "superuser"))
        assert is_city_lead(lead) and not is_agglomeration(lead)
        assert is_agglomeration(agglo) and is_agglomeration(boss)
        assert list(city_lead_territories(lead)) == [grigny()]
        assert list(city_lead_territories(agglo)) == []

    def test_tracking_rules(self):
        lead = make_user("grigny_lead")
        mine, other = build_tree(grigny()), build_tree(corbeil())
        assert can_edit_tracking(lead, mine["action"])
        assert can_edit_tracking(lead, mine["oo"])
        assert not can_edit_tracking(lead, mine["so"])
        assert not can_edit_tracking(lead, other["action"])
        both = Action.objects.filter(pk__in=[mine["action"].pk, other["action"].pk])
        assert list(trackable_by(lead, both)) == [mine["action"]]

    def test_inactive_or_non_staff_user_has_no_role(self):
        lead = make_user("grigny_lead")
        lead.is_active = False
        assert not is_city_lead(lead)
        agglo = make_user("agglomeration")
        agglo.is_staff = False
        assert not is_agglomeration(agglo)

    def test_need_to_know(self):
        """Who works on a territory: staff everywhere, a lead on their own territories, a
        staff account without a role nowhere; what belongs to no territory is open."""
        lead, agglo = make_user("grigny_lead"), make_user("agglomeration")
        nobody = UserFactory(username="sans-role", is_staff=True)
        mine, other = build_tree(grigny()), build_tree(corbeil())
        updates = [report_today(tree["action"], "en_cours", 10) for tree in (mine, other)]
        memberships = TerritoryMembership.objects.all()
        assert sees_people_of(lead, grigny().pk) and not sees_people_of(lead, corbeil().pk)
        assert not sees_people_of(lead, None) and sees_people_of(agglo, None)
        assert set(people_visible_to(lead, memberships, "territory")) == set(
            memberships.filter(territory=grigny())
        )
        assert set(people_visible_to(agglo, memberships, "territory")) == set(memberships)
        assert not people_visible_to(nobody, memberships, "territory").exists()
        assert list(updates_visible_to(lead, ProgressUpdate.objects.all())) == [updates[0]]
        assert can_see_activity(lead, mine["so"]) and not can_see_activity(lead, other["so"])
        assert can_see_activity(lead, Thematic.objects.first())
        # A version of an action deleted with its objective: no territory left, staff only.
        version = other["action"].history.first()
        other["oo"].delete()
        assert not can_see_activity(lead, version.instance)
        assert can_see_activity(agglo, version.instance)


def state_apps(app_label, migration):
    """The models as a data migration at `migration` sees them."""
    return MigrationExecutor(connection).loader.project_state((app_label, migration)).apps


def indicator_codenames(group_name):
    return sorted(
        Group.objects.get(name=group_name)
        .permissions.filter(codename__contains="indicator")
        .values_list("codename", flat=True)
    )


@pytest.mark.django_db
class TestRoleGroups:
    """ROLE_PERMISSIONS is applied by data migrations, on the models of their time:
    territories 0002_roles runs before the indicators exist (commitments 0011_indicators),
    which syncs the groups again once they do."""

    def test_every_model_named_exists(self):
        for by_app in ROLE_PERMISSIONS.values():
            for app_label, models in by_app.items():
                for model in models:
                    apps.get_model(app_label, model)  # LookupError for a misspelt name

    def test_a_migration_before_a_model_exists_skips_it(self):
        sync_role_groups(state_apps("commitments", "0010_year_range"))
        assert indicator_codenames(CITY_LEAD_GROUP) == []
        assert "view_action" in Group.objects.get(name=CITY_LEAD_GROUP).permissions.values_list(
            "codename", flat=True
        )

    def test_the_indicators_migration_grants_their_permissions(self):
        sync_role_groups(state_apps("commitments", "0010_year_range"))
        migration = importlib.import_module("commitments.migrations.0011_indicators")
        migration.grant_indicator_permissions(state_apps("commitments", "0011_indicators"), None)
        assert indicator_codenames(CITY_LEAD_GROUP) == [
            "view_indicator",
            "view_indicatordefinition",
            "view_indicatorvalue",
        ]
        assert len(indicator_codenames(AGGLOMERATION_GROUP)) == 12

    def test_a_misspelt_permission_of_an_existing_model_is_still_refused(self, monkeypatch):
        wrong = {CITY_LEAD_GROUP: {"commitments": {"action": ("approve",)}}}
        monkeypatch.setattr("territories.roles.ROLE_PERMISSIONS", wrong)
        with pytest.raises(LookupError, match="approve_action"):
            sync_role_groups(apps)
