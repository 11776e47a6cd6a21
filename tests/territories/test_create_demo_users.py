"""`create_demo_users`: one agglomeration user and one Grigny lead, in development only."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from territories.roles import city_lead_territories, is_agglomeration, is_city_lead
from tests.support.admin import grigny

pytestmark = pytest.mark.usefixtures("fast_password_hasher")


@pytest.mark.django_db
class TestCreateDemoUsers:
    def test_creates_both_roles(self, settings, capsys):
        settings.DEBUG = True
        call_command("create_demo_users", password="mot-de-passe-demo-1")
        output = capsys.readouterr().out
        assert "agglomeration / mot-de-passe-demo-1" in output
        users = get_user_model().objects
        agglo, lead = users.get(username="agglomeration"), users.get(username="chef-grigny")
        assert is_agglomeration(agglo) and not is_city_lead(agglo)
        assert is_city_lead(lead) and list(city_lead_territories(lead)) == [grigny()]
        assert lead.check_password("mot-de-passe-demo-1")
        # Idempotent, and a new random password each time otherwise.
        call_command("create_demo_users")
        assert users.filter(username__in=["agglomeration", "chef-grigny"]).count() == 2
        lead.refresh_from_db()
        assert not lead.check_password("mot-de-passe-demo-1")

    def test_refuses_in_production(self, settings):
        settings.DEBUG = False
        with pytest.raises(CommandError, match="DEBUG"):
            call_command("create_demo_users")
        assert not get_user_model().objects.filter(username="agglomeration").exists()
