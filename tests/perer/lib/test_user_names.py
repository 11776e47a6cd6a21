"""perer/lib/user_names.py: how the portal names a person, written once."""

import pytest

from perer.lib.user_names import display_name, full_name
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_full_name_else_the_login():
    named = UserFactory(username="mcurie", first_name="Marie", last_name="Curie")
    unnamed = UserFactory(username="plangevin", first_name="", last_name="")
    spaces = UserFactory(username="espaces", first_name=" ", last_name=" ")
    assert display_name(named) == full_name(named) == "Marie Curie"
    assert (display_name(unnamed), full_name(unnamed)) == ("plangevin", "")
    assert (display_name(spaces), full_name(spaces)) == ("espaces", "")


def test_no_user_is_named_as_the_caller_says():
    assert display_name(None) == full_name(None) == ""
    assert display_name(None, unknown="auteur inconnu") == "auteur inconnu"
