"""The reference lists shown in order (thematics, transversal axes): their "Monter" /
"Descendre" column and its view (`ordre/`), through commitments/services/ordering.py."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from commitments.models import Protocol, Thematic, TransversalAxis
from tests import factories
from tests.support.admin import ROLES, admin_url, client_for, make_user

pytestmark = pytest.mark.django_db


def reorder_url(model):
    return reverse(f"admin:commitments_{model._meta.model_name}_reorder")


def thematics():
    return list(Thematic.objects.order_by("position", "pk"))


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_move_a_thematic(role, fast_password_hasher):
    before = thematics()
    client = client_for(make_user(role))
    response = client.post(reorder_url(Thematic), {"deplacer": f"{before[0].pk}:descendre"})
    if role in ("agglomeration", "superuser"):
        assert response.status_code == 302
        assert thematics()[:2] == [before[1], before[0]]
    else:
        assert response.status_code in (302, 403)
        assert thematics() == before


def test_moving_marks_every_protocol_changed(agglo_client):
    first = thematics()[0]
    Protocol.objects.update(last_changed_at="2020-01-01T00:00:00Z")
    response = agglo_client.post(reorder_url(Thematic), {"deplacer": f"{first.pk}:descendre"})
    assert [str(m) for m in get_messages(response.wsgi_request)][0].startswith(
        f"Ordre modifié : « {first} » passe après"
    )
    assert response.url == f"{admin_url(Thematic, 'changelist')}?deplace={first.pk}-descendre"
    assert not Protocol.objects.filter(last_changed_at__year=2020).exists()
    # Back on the list (not filtered by that parameter), the moved row's button has the focus.
    back = agglo_client.get(response.url)
    assert back.status_code == 200
    html = back.content.decode()
    assert f'id="deplacer-{first.pk}-descendre" class="reorder-button" autofocus>' in html
    assert html.count("autofocus") == 1


def test_the_list_has_named_buttons_for_staff_only(agglo_client, fast_password_hasher):
    axis = TransversalAxis.objects.order_by("position").first()
    html = agglo_client.get(admin_url(TransversalAxis, "changelist")).content.decode()
    assert f'value="{axis.pk}:monter"' in html
    assert f'Monter<span class="visually-hidden"> « {axis} »</span>' in html
    assert '<form id="ordre-form"' in html
    lead = client_for(make_user("grigny_lead"))
    html = lead.get(admin_url(TransversalAxis, "changelist")).content.decode()
    assert "reorder-button" not in html and "ordre-form" not in html


@pytest.mark.parametrize("value", ["", "abc:monter", "9" * 25 + ":monter", "1:gauche"])
def test_bad_input_is_a_message(value, agglo_client):
    before = thematics()
    response = agglo_client.post(reorder_url(Thematic), {"deplacer": value})
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Élément à déplacer inconnu."]
    assert thematics() == before


def test_get_is_not_allowed(agglo_client):
    assert agglo_client.get(reorder_url(TransversalAxis)).status_code == 405


def test_a_new_axis_goes_last(agglo_client):
    top = max(TransversalAxis.objects.values_list("position", flat=True))
    response = agglo_client.post(
        admin_url(TransversalAxis, "add"),
        {"name": "Sport", "slug": "sport", "description": "", "position": "0"},
    )
    assert response.status_code == 302
    assert TransversalAxis.objects.get(slug="sport").position == top + 1


@pytest.mark.parametrize("count", [3, 40])
def test_the_list_s_queries_do_not_grow(count, agglo_client, django_assert_max_num_queries):
    factories.AxisFactory.create_batch(count)
    with django_assert_max_num_queries(12):
        assert agglo_client.get(admin_url(TransversalAxis, "changelist")).status_code == 200
