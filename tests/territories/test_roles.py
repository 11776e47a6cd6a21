"""The roles (roles.py): agglomeration staff, city leads and the territories they lead, and the
tracking rules that build on them (commitments/permissions.py)."""

import pytest

from commitments.models import Action
from commitments.permissions import can_edit_tracking, trackable_by
from territories.roles import is_agglomeration, is_city_lead, led_territories
from tests.support.admin import build_tree, corbeil, grigny, make_user

pytestmark = pytest.mark.usefixtures("fast_password_hasher")


@pytest.mark.django_db
class TestRoleFunctions:
    def test_roles(self):
        lead, agglo, boss = (make_user(r) for r in ("grigny_lead", "agglomeration", "superuser"))
        assert is_city_lead(lead) and not is_agglomeration(lead)
        assert is_agglomeration(agglo) and is_agglomeration(boss)
        assert list(led_territories(lead)) == [grigny()]
        assert list(led_territories(agglo)) == []

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
