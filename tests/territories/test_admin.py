"""The territories admin (territories/admin.py): the membership form offers only accounts that
can be city project leads — never a superuser, whose rights already cover every territory."""

import pytest
from django.core.exceptions import ValidationError

from territories.models import Territory, TerritoryMembership
from tests import factories
from tests.support.admin import admin_url, client_for, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]


@pytest.fixture
def accounts():
    staff = make_user("agglomeration")
    lead = factories.UserFactory(username="lead-candidat", is_staff=True)
    root = factories.UserFactory(username="root-account", is_staff=True, is_superuser=True)
    territory = Territory.objects.get(slug="grigny")
    return staff, lead, root, territory


def test_membership_form_lists_no_superuser(accounts):
    staff, lead, root, territory = accounts
    response = client_for(staff).get(admin_url(TerritoryMembership, "add"))
    assert response.status_code == 200
    choices = response.context["adminform"].form.fields["user"].queryset
    assert lead in choices and staff in choices
    assert root not in choices


def test_membership_form_refuses_a_superuser_posted_by_hand(accounts):
    staff, lead, root, territory = accounts
    client = client_for(staff)
    url = admin_url(TerritoryMembership, "add")
    response = client.post(url, {"user": root.pk, "territory": territory.pk})
    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["user"]
    assert not TerritoryMembership.objects.filter(user=root).exists()
    response = client.post(url, {"user": lead.pk, "territory": territory.pk})
    assert response.status_code == 302
    assert TerritoryMembership.objects.filter(user=lead, territory=territory).exists()


def test_territory_inline_and_model_validation_refuse_a_superuser(accounts):
    staff, lead, root, territory = accounts
    membership = TerritoryMembership(user=root, territory=territory)
    with pytest.raises(ValidationError) as error:
        membership.full_clean()
    assert "user" in error.value.message_dict
    response = client_for(staff).get(admin_url(Territory, "change", territory.pk))
    inline = response.context["inline_admin_formsets"][0].formset
    assert root not in inline.empty_form.fields["user"].queryset


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "grigny_lead", "agglomeration", "superuser"])
def test_territories_move_up_and_down_through_the_list_s_buttons(role, fast_password_hasher):
    """The "Monter" / "Descendre" column (perer/lib/admin_ordering.py) for staff only; a move
    marks every protocol as changed (the territories show on every page)."""
    from django.urls import reverse

    from commitments.models import Protocol

    before = list(Territory.objects.order_by("position", "pk"))
    Protocol.objects.update(last_changed_at="2020-01-01T00:00:00Z")
    client = client_for(make_user(role))
    html = client.get(admin_url(Territory, "changelist")).content.decode()
    response = client.post(
        reverse("admin:territories_territory_reorder"),
        {"deplacer": f"{before[1].pk}:monter"},
    )
    after = list(Territory.objects.order_by("position", "pk"))
    if role in ("agglomeration", "superuser"):
        assert f'Monter<span class="visually-hidden"> « {before[1]} »</span>' in html
        assert response.status_code == 302
        assert after[:2] == [before[1], before[0]]
        assert not Protocol.objects.filter(last_changed_at__year=2020).exists()
    else:
        assert "reorder-button" not in html
        assert response.status_code in (302, 403)
        assert after == before
