"""services/elements.py: the admin's saves and deletions of the protocols' elements and of the
reference lists — a new or moved element goes last among its siblings, and the change is
recorded where the element is and where it was."""

import datetime

import pytest

from commitments.models import Action, Protocol, StrategicObjective
from commitments.services.elements import delete_element, delete_elements, save_element
from tests import factories
from tests.support.admin import build_tree, corbeil, grigny, make_user

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def trees():
    here, elsewhere = build_tree(grigny()), build_tree(corbeil())
    Protocol.objects.update(last_changed_at=LONG_AGO)
    return here, elsewhere


def changed():
    return set(Protocol.objects.filter(last_changed_at__gt=LONG_AGO).values_list("pk", flat=True))


def test_a_new_element_goes_last_and_is_recorded(trees):
    here, _ = trees
    user = make_user("agglomeration")
    action = save_element(factories.ActionFactory.build(operational_objective=here["oo"]), by=user)
    assert action.position == 2
    assert action.history.get().history_user == user
    assert changed() == {here["protocol"].pk}


def test_a_moved_element_goes_last_in_its_new_place_and_both_protocols_change(trees):
    here, elsewhere = trees
    so = here["so"]
    so.section = elsewhere["section"]
    save_element(so)
    assert StrategicObjective.objects.get(pk=so.pk).position == 2
    assert changed() == {here["protocol"].pk, elsewhere["protocol"].pk}


def test_an_edit_in_place_keeps_the_position(trees):
    here, _ = trees
    action = here["action"]
    action.text = "Intitulé revu"
    save_element(action)
    assert Action.objects.get(pk=action.pk).position == 1
    assert changed() == {here["protocol"].pk}


def test_a_reference_list_row_changes_every_protocol(trees):
    save_element(factories.PartnerFactory.build(name="Nouveau partenaire"))
    assert changed() == set(Protocol.objects.values_list("pk", flat=True))


def test_deletions_are_recorded_first(trees):
    here, elsewhere = trees
    delete_element(here["action"])
    assert not Action.objects.filter(pk=here["action"].pk).exists()
    assert changed() == {here["protocol"].pk}
    assert delete_elements(StrategicObjective.objects.filter(pk=elsewhere["so"].pk)) == 3
    assert changed() == {here["protocol"].pk, elsewhere["protocol"].pk}
