"""Editions in the admin (commitments/admin/edition_admin.py): a read-only list for staff (no
add, change nor delete for anyone, superuser included); publishing a new edition through a
form → a preview of the changes since the last edition → a confirmation
(services/editions.publish_edition); leads get 403; bad input answered in French."""

import datetime

import pytest
from django.urls import reverse

from commitments.models import Action, Edition, Protocol
from commitments.services.editions import publish_edition
from territories.models import Territory
from tests.support.admin import admin_url, client_for
from tests.support.campaigns import MATRIX_ROLES, matrix_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

PUBLISH_URL = "/admin/commitments/edition/publier/"


@pytest.fixture
def grigny():
    return Protocol.objects.get(territory__slug="grigny")


def grigny_action():
    return (
        Action.objects.filter(
            operational_objective__strategic_objective__section__protocol__territory__slug="grigny"
        )
        .in_document_order()
        .first()
    )


def reword(action, text="Un texte réécrit par l'avenant"):
    action.text = text
    action.save()
    return action


def form(target, **fields):
    return {
        "protocol": str(target.pk),
        "title": "Avenant n° 1",
        "deliberation_reference": "Del 2024 0042",
        "deliberation_date": "2024-03-14",
        **fields,
    }


def user_for(role):
    ours = Territory.objects.get(slug="grigny")
    theirs = Territory.objects.get(slug="corbeil-essonnes")
    return matrix_user(role, ours, theirs)


# --- The permission matrix ------------------------------------------------------------------

# Staff see the list and publish; leads (of the protocol's territory or not) get 403; anonymous
# users go to the login page. Nobody may add, change or delete an edition.
SEE = dict(zip(MATRIX_ROLES, (302, 403, 403, 200, 200), strict=True))
NEVER = dict(zip(MATRIX_ROLES, (302, 403, 403, 403, 403), strict=True))


@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_permission_matrix(role, grigny):
    client = client_for(user_for(role))
    edition = Edition.objects.for_protocol(grigny).get()
    for url in (
        admin_url(Edition, "changelist"),
        admin_url(Edition, "change", edition.pk),
        PUBLISH_URL,
        f"{PUBLISH_URL}?protocole={grigny.pk}",
    ):
        assert client.get(url).status_code == SEE[role], url
    for url in (admin_url(Edition, "add"), admin_url(Edition, "delete", edition.pk)):
        assert client.get(url).status_code == NEVER[role], url

    # POSTs: change, delete, bulk delete, add: refused for everyone; nothing changes.
    before = list(Edition.objects.values_list("pk", "title", "content_hash"))
    change = client.post(admin_url(Edition, "change", edition.pk), {"title": "Réécrit"})
    assert change.status_code == NEVER[role]
    assert (
        client.post(admin_url(Edition, "delete", edition.pk), {"post": "yes"}).status_code
        == (NEVER[role])
    )
    bulk = client.post(
        admin_url(Edition, "changelist"),
        {"action": "delete_selected", "_selected_action": [edition.pk], "post": "yes"},
    )
    # Staff: the list again (there is no delete action); others: login or 403.
    assert bulk.status_code == SEE[role]
    assert client.post(admin_url(Edition, "add"), form(grigny)).status_code == NEVER[role]
    assert list(Edition.objects.values_list("pk", "title", "content_hash")) == before

    # Publishing after a change of the text: staff only.
    reword(grigny_action())
    response = client.post(PUBLISH_URL, {**form(grigny), "publish": "1"})
    published = Edition.objects.for_protocol(grigny).numbered(2).first()
    if SEE[role] == 200:
        assert published is None  # no preview seen: no hash, no publication
        assert response.status_code == 200
    else:
        assert response.status_code == SEE[role]
        assert published is None


def test_the_list_has_no_delete_action(agglo_client, superuser_client):
    for client in (agglo_client, superuser_client):
        response = client.get(admin_url(Edition, "changelist"))
        assert "delete_selected" not in response.content.decode()
        assert "Publier une nouvelle édition" in response.content.decode()


def test_the_change_page_is_read_only(superuser_client, grigny):
    edition = Edition.objects.for_protocol(grigny).get()
    response = superuser_client.get(admin_url(Edition, "change", edition.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="title"' not in html
    assert "Supprimer" not in html
    assert "20 objectifs stratégiques, 49 objectifs opérationnels, 17 actions" in html
    assert f"/territoires/grigny/editions/{edition.number}/" in html


# --- Publishing: form → preview → confirmation ---------------------------------------------


class TestPublish:
    def test_preview_then_publish(self, agglo, agglo_client, grigny):
        action = reword(grigny_action())
        response = agglo_client.post(PUBLISH_URL, {**form(grigny), "preview": "1"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "Aperçu : édition 2" in html
        assert "modifié : 1" in html and "ajouté : 0" in html
        assert "Un texte réécrit par l&#x27;avenant" in html
        assert "champs modifiés : intitulé" in html
        assert not Edition.objects.for_protocol(grigny).numbered(2).exists()  # not yet

        previewed = response.context["preview"]["hash"]
        response = agglo_client.post(
            PUBLISH_URL, {**form(grigny), "publish": "1", "previewed_hash": previewed}
        )
        edition = Edition.objects.for_protocol(grigny).numbered(2).get()
        assert response.status_code == 302
        assert response["Location"] == admin_url(Edition, "change", edition.pk)
        assert (edition.title, edition.deliberation_reference) == ("Avenant n° 1", "Del 2024 0042")
        assert edition.deliberation_date == datetime.date(2024, 3, 14)
        assert edition.published_by == agglo
        assert action.text in str(edition.snapshot)

    def test_an_unchanged_text_is_refused(self, agglo_client, grigny):
        response = agglo_client.post(PUBLISH_URL, {**form(grigny), "preview": "1"})
        html = response.content.decode()
        assert "identique à celui de l&#x27;édition 1" in html
        assert 'name="publish"' not in html
        last = Edition.objects.for_protocol(grigny).get()
        forged = agglo_client.post(
            PUBLISH_URL, {**form(grigny), "publish": "1", "previewed_hash": last.content_hash}
        )
        assert forged.status_code == 200
        assert Edition.objects.for_protocol(grigny).count() == 1

    def test_a_text_changed_after_the_preview_is_previewed_again(self, agglo_client, grigny):
        action = reword(grigny_action())
        response = agglo_client.post(PUBLISH_URL, {**form(grigny), "preview": "1"})
        previewed = response.context["preview"]["hash"]
        reword(action, "Encore un autre texte")
        response = agglo_client.post(
            PUBLISH_URL, {**form(grigny), "publish": "1", "previewed_hash": previewed}
        )
        assert response.status_code == 200
        assert "a changé depuis l&#x27;aperçu" in response.content.decode()
        assert "Encore un autre texte" in response.content.decode()
        assert not Edition.objects.for_protocol(grigny).numbered(2).exists()

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"title": ""}, "Donnez un titre"),
            ({"protocol": "999999"}, "Choisissez un protocole de la liste"),
            ({"protocol": "abc"}, "Choisissez un protocole de la liste"),
            ({"deliberation_date": "32/13/2024"}, "Saisissez une date valide"),
            ({"deliberation_reference": "x" * 81}, "80 caractères"),
        ],
    )
    def test_bad_input_in_french(self, agglo_client, grigny, fields, message):
        reword(grigny_action())
        response = agglo_client.post(PUBLISH_URL, {**form(grigny, **fields), "preview": "1"})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert Edition.objects.for_protocol(grigny).count() == 1

    def test_the_service_refuses_a_future_date(self, agglo_client, grigny):
        reword(grigny_action())
        data = form(grigny, deliberation_date="2999-01-01")
        previewed = agglo_client.post(PUBLISH_URL, {**data, "preview": "1"}).context["preview"]
        response = agglo_client.post(
            PUBLISH_URL, {**data, "publish": "1", "previewed_hash": previewed["hash"]}
        )
        assert "ne peut pas être dans le futur" in response.content.decode()
        assert Edition.objects.for_protocol(grigny).count() == 1

    def test_typed_text_is_escaped(self, agglo_client, grigny):
        reword(grigny_action(), "<script>alert('x')</script>")
        response = agglo_client.post(
            PUBLISH_URL, {**form(grigny, title="<b>Avenant</b>"), "preview": "1"}
        )
        html = response.content.decode()
        assert "<script>alert" not in html
        assert "&lt;script&gt;" in html
        assert "<b>Avenant</b>" not in html

    def test_the_protocol_is_preselected(self, agglo_client, grigny):
        response = agglo_client.get(f"{PUBLISH_URL}?protocole={grigny.pk}")
        assert f'<option value="{grigny.pk}" selected>' in response.content.decode()
        assert agglo_client.get(f"{PUBLISH_URL}?protocole=x'%00").status_code == 200

    @pytest.mark.parametrize("actions", [1, 30])
    def test_preview_queries_are_constant(
        self, agglo_client, grigny, actions, django_assert_max_num_queries
    ):
        action = reword(grigny_action())
        for index in range(actions):
            Action.objects.create(
                operational_objective=action.operational_objective,
                position=9000 + index,
                text=f"Action ajoutée {index}",
            )
        with django_assert_max_num_queries(22):
            agglo_client.post(PUBLISH_URL, {**form(grigny), "preview": "1"})


def test_publish_url_name():
    assert reverse("admin:commitments_edition_publish") == PUBLISH_URL


def test_search_and_filter_the_list(agglo_client):
    evry = Territory.objects.get(slug="evry-courcouronnes")
    url = admin_url(Edition, "changelist")
    for params in ({"q": "evry"}, {"q": "Évry"}, {"protocol__territory__id__exact": evry.pk}):
        response = agglo_client.get(url, params)
        assert response.status_code == 200, params
        assert response.context["cl"].result_count == 1, params
    assert agglo_client.get(url, {"q": "\x00"}).status_code in (200, 302)


@pytest.mark.parametrize("extra", [0, 6])
def test_list_queries_are_constant(agglo_client, extra, django_assert_max_num_queries):
    for protocol in Protocol.objects.all()[:extra]:
        Protocol.objects.filter(pk=protocol.pk).update(preamble=f"Préambule {protocol.pk}")
        publish_edition(
            protocol, title="Avenant", deliberation_reference="", deliberation_date=None, by=None
        )
    assert Edition.objects.count() == 7 + extra
    with django_assert_max_num_queries(12):
        response = agglo_client.get(admin_url(Edition, "changelist"))
    assert response.context["cl"].result_count == 7 + extra
