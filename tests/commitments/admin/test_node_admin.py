"""The protocol tree's admin forms: the "Monter" / "Descendre" buttons of a parent's form and
their view (`<id>/ordre/`), new elements placed last, positions never typed, French titles.
The keyboard path in a browser: tests/browser/test_admin_accessibility.py."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from commitments.models import (
    Action,
    OperationalObjective,
    Protocol,
    StrategicObjective,
    ThematicSection,
)
from tests import factories
from tests.support.admin import (
    ROLES,
    admin_url,
    build_tree,
    changeform_data,
    client_for,
    corbeil,
    first_version_url,
    grigny,
    make_user,
)

pytestmark = pytest.mark.django_db

HUGE = "9" * 25


@pytest.fixture
def tree():
    """Grigny's tree with two actions A (position 1) and B (2) under the objective."""
    built = build_tree(grigny())
    Action.objects.filter(pk=built["action"].pk).update(text="A")
    built["b"] = Action.objects.create(operational_objective=built["oo"], position=2, text="B")
    built["action"].refresh_from_db()
    return built


def reorder_url(parent):
    return reverse(f"admin:commitments_{parent._meta.model_name}_reorder", args=[parent.pk])


def order(oo):
    return list(oo.actions.order_by("position").values_list("text", flat=True))


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def role_client(role):
    if role == "corbeil_lead":
        user = make_user("grigny_lead", username="chef-corbeil")
        user.territory_memberships.update(territory=corbeil())
        return client_for(user)
    return client_for(make_user(role))


class TestReorderView:
    @pytest.mark.parametrize("role", [*ROLES, "corbeil_lead"])
    def test_only_structure_editors_move(self, role, tree, fast_password_hasher):
        client = role_client(role)
        response = client.post(
            reorder_url(tree["oo"]), {"deplacer": f"{tree['action'].pk}:descendre"}
        )
        if role in ("agglomeration", "superuser"):
            assert response.status_code == 302
            assert order(tree["oo"]) == ["B", "A"]
        else:
            assert response.status_code in (302, 403)
            if role == "anonymous":
                assert "/admin/login/" in response.url
            assert order(tree["oo"]) == ["A", "B"]

    def test_back_on_the_form_with_a_message_and_the_focus(self, tree, agglo_client):
        response = agglo_client.post(
            reorder_url(tree["oo"]), {"deplacer": f"{tree['action'].pk}:descendre"}
        )
        change = admin_url(OperationalObjective, "change", tree["oo"].pk)
        assert response.url == f"{change}?deplace={tree['action'].pk}-descendre"
        assert messages_of(response) == ["Ordre modifié : « A » passe après « B »."]
        html = agglo_client.get(response.url).content.decode()
        # Now last: no "Descendre"; its "Monter" has the focus.
        assert f'value="{tree["action"].pk}:monter" class="reorder-button" autofocus' in html
        assert f'value="{tree["action"].pk}:descendre"' not in html
        assert '<form id="ordre-form" method="post" action="' + reorder_url(tree["oo"]) in html

    def test_at_the_top_nothing_moves(self, tree, agglo_client):
        response = agglo_client.post(
            reorder_url(tree["oo"]), {"deplacer": f"{tree['action'].pk}:monter"}
        )
        assert messages_of(response) == ["« A » est déjà en première position."]
        assert order(tree["oo"]) == ["A", "B"]

    @pytest.mark.parametrize(
        "value",
        ["", "abc:monter", f"{HUGE}:monter", "1:gauche", "1", ":monter", "\x00:monter"],
    )
    def test_bad_input_is_a_message(self, value, tree, agglo_client):
        response = agglo_client.post(reorder_url(tree["oo"]), {"deplacer": value})
        assert response.status_code == 302
        assert messages_of(response) == ["Élément à déplacer inconnu."]
        assert order(tree["oo"]) == ["A", "B"]

    def test_a_child_of_another_parent_is_unknown(self, tree, agglo_client):
        elsewhere = factories.ActionFactory(position=1)
        response = agglo_client.post(
            reorder_url(tree["oo"]), {"deplacer": f"{elsewhere.pk}:descendre"}
        )
        assert messages_of(response) == ["Élément à déplacer inconnu."]

    @pytest.mark.parametrize("parent_id", ["999999", HUGE, "abc"])
    def test_an_unknown_parent_is_404(self, parent_id, agglo_client):
        url = f"/admin/commitments/operationalobjective/{parent_id}/ordre/"
        assert agglo_client.post(url, {"deplacer": "1:monter"}).status_code == 404

    def test_get_is_not_allowed(self, tree, agglo_client):
        assert agglo_client.get(reorder_url(tree["oo"])).status_code == 405

    @pytest.mark.parametrize("level", ["protocol", "section", "so"])
    def test_every_parent_level(self, level, tree, agglo_client):
        parent = tree[level]
        child_model = {
            "protocol": ThematicSection,
            "section": StrategicObjective,
            "so": OperationalObjective,
        }[level]
        field = {"protocol": "protocol", "section": "section", "so": "strategic_objective"}[level]
        first = child_model.objects.get(**{field: parent})
        second = factories.__dict__[
            {
                "protocol": "SectionFactory",
                "section": "StrategicObjectiveFactory",
                "so": "OperationalObjectiveFactory",
            }[level]
        ](**{field: parent}, position=first.position + 1)
        agglo_client.post(reorder_url(parent), {"deplacer": f"{second.pk}:monter"})
        assert list(child_model.objects.filter(**{field: parent}).order_by("position")) == [
            second,
            first,
        ]

    def test_the_lead_sees_no_button(self, tree, fast_password_hasher):
        client = client_for(make_user("grigny_lead"))
        html = client.get(admin_url(OperationalObjective, "change", tree["oo"].pk)).content.decode()
        assert "reorder-button" not in html and "ordre-form" not in html


class TestPositions:
    def test_a_new_action_goes_last(self, tree, agglo_client):
        url = admin_url(Action, "add")
        data = changeform_data(agglo_client.get(url))
        data.update(operational_objective=tree["oo"].pk, text="C", position="1")
        response = agglo_client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert order(tree["oo"]) == ["A", "B", "C"]
        assert Action.objects.get(text="C").position == 3

    def test_a_child_added_on_the_parent_s_form_goes_last(self, tree, agglo_client):
        url = admin_url(OperationalObjective, "change", tree["oo"].pk)
        data = changeform_data(agglo_client.get(url))
        prefix = "actions"
        index = int(data[f"{prefix}-TOTAL_FORMS"])
        data.update({f"{prefix}-{index}-text": "C", f"{prefix}-TOTAL_FORMS": str(index + 1)})
        response = agglo_client.post(url, data)
        assert response.status_code == 302
        assert order(tree["oo"]) == ["A", "B", "C"]

    def test_the_position_is_not_typed(self, tree, agglo_client):
        url = admin_url(Action, "change", tree["b"].pk)
        response = agglo_client.get(url)
        assert "position" not in response.context["adminform"].form.fields
        data = changeform_data(response)
        data["position"] = "1"
        agglo_client.post(url, data)
        assert order(tree["oo"]) == ["A", "B"]

    def test_a_revert_keeps_the_current_place(self, tree, agglo_client):
        agglo_client.post(reorder_url(tree["oo"]), {"deplacer": f"{tree['action'].pk}:descendre"})
        url = first_version_url(tree["action"])  # when A was first
        data = changeform_data(agglo_client.get(url))
        assert agglo_client.post(url, data).status_code == 302
        reverted = Action.objects.get(pk=tree["action"].pk)
        assert reverted.text != "A"  # the first version's text is back…
        assert reverted.position == 2  # …in its current place


class TestTitles:
    @pytest.mark.parametrize(
        ("url", "title"),
        [
            (lambda t: admin_url(Action, "changelist"), "Choisissez une action à modifier"),
            (lambda t: admin_url(Action, "add"), "Ajouter une action"),
            (lambda t: admin_url(Action, "change", t["action"].pk), "Modifier l'action « A »"),
            (
                lambda t: admin_url(Action, "history", t["action"].pk),
                "Historique de l'action « A »",
            ),
            (lambda t: admin_url(Protocol, "history", t["protocol"].pk), "Historique du protocole"),
            (lambda t: admin_url(Action, "deleted"), "Actions supprimées"),
            (
                lambda t: admin_url(StrategicObjective, "deleted"),
                "Objectifs stratégiques supprimés",
            ),
        ],
    )
    def test_staff(self, url, title, tree, agglo_client):
        response = agglo_client.get(url(tree))
        assert response.context["title"].startswith(title)

    def test_the_lead_consults(self, tree, fast_password_hasher):
        client = client_for(make_user("grigny_lead"))
        response = client.get(admin_url(StrategicObjective, "change", tree["so"].pk))
        assert response.context["title"].startswith("Consulter l'objectif stratégique « ")

    def test_the_add_link_of_an_inline(self, tree, agglo_client):
        html = agglo_client.get(
            admin_url(OperationalObjective, "change", tree["oo"].pk)
        ).content.decode()
        assert "Ajouter une action" in html
        assert "Ajouter un objet" not in html


def test_the_message_after_a_save_reads_naturally(tree, agglo_client):
    url = admin_url(Action, "change", tree["action"].pk)
    data = changeform_data(agglo_client.get(url))
    response = agglo_client.post(url, {**data, "_continue": "1"})
    link = f'<a href="{url}">A</a>'
    assert messages_of(response) == [
        f"L'action «\xa0{link}\xa0» a été modifiée. Vous pouvez la modifier à nouveau ci-dessous."
    ]


@pytest.mark.parametrize("count", [2, 25])
def test_a_parent_s_form_costs_the_same_whatever_its_children(
    count, tree, agglo_client, django_assert_max_num_queries
):
    """Row names, labels and reorder buttons of the inline read nothing more per row."""
    for position in range(3, count + 1):
        factories.ActionFactory(operational_objective=tree["oo"], position=position)
    url = admin_url(OperationalObjective, "change", tree["oo"].pk)
    with django_assert_max_num_queries(13):  # the same at both sizes
        response = agglo_client.get(url)
    assert response.content.decode().count('class="reorder-button"') == 2 * (count - 1)


def test_the_list_s_add_link(agglo_client):
    html = agglo_client.get(admin_url(Action, "changelist")).content.decode()
    assert "Ajouter une action" in html
    html = agglo_client.get(admin_url(Protocol, "changelist")).content.decode()
    assert "Ajouter un protocole" in html


def test_the_change_form_names_its_object_once(tree, agglo_client):
    response = agglo_client.get(admin_url(Action, "change", tree["action"].pk))
    html = response.content.decode()
    assert response.context["subtitle"] is None  # Django repeats "A" under the title
    assert '<input type="submit" value="Enregistrer et ajouter une autre action"' in html
    protocol = agglo_client.get(admin_url(Protocol, "change", tree["protocol"].pk))
    assert 'value="Enregistrer et ajouter un autre protocole"' in protocol.content.decode()
