"""Editions in the public API (commitments/api/viewsets.py, serializers.py): the list of a
protocol's editions and each edition's whole text in the shape of the current tree, read-only
(405 for every other method), constant queries, JSON 404s in French, a valid schema."""

import datetime

import pytest
from django.urls import reverse

from commitments.models import Action, Edition, Protocol
from commitments.services.editions import publish_edition
from tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1/"


@pytest.fixture
def grigny():
    return Protocol.objects.get(territory__slug="grigny")


def editions_url(protocol):
    return f"{API}protocoles/{protocol.pk}/editions/"


def edition_url(protocol, number):
    return f"{editions_url(protocol)}{number}/"


def amend(protocol, text="Texte de l'avenant"):
    action = Action.objects.filter(
        operational_objective__strategic_objective__section__protocol=protocol
    ).first()
    action.text = text
    action.save()
    publish_edition(
        protocol,
        title="Avenant n° 1",
        deliberation_reference="Del 2024 0042",
        deliberation_date=datetime.date(2024, 3, 14),
        by=None,
    )
    return action


def keys_of_tree(data):
    """The keys at each level of a tree: {level: set of keys} (first node of each level)."""
    found = {"protocol": set(data)}
    section = data["sections"][0]
    found["section"] = set(section)
    so = next(s for s in section["strategic_objectives"] if s["operational_objectives"])
    found["so"] = set(so)
    oo = next(
        (o for s in section["strategic_objectives"] for o in s["operational_objectives"]),
        None,
    )
    found["oo"] = set(oo)
    action = next(
        a
        for sec in data["sections"]
        for s in sec["strategic_objectives"]
        for o in s["operational_objectives"]
        for a in o["actions"]
    )
    found["action"] = set(action)
    return found


class TestList:
    def test_editions_of_a_protocol(self, client, grigny):
        amend(grigny)
        body = client.get(editions_url(grigny)).json()
        assert [e["number"] for e in body] == [1, 2]
        first, second = body
        assert first["title"] == "Texte adopté"
        assert first["deliberation_reference"] == "Del 2019 0128"
        assert second["deliberation_date"] == "2024-03-14"
        assert second["url"].endswith(edition_url(grigny, 2))
        assert second["page_url"].endswith("/territoires/grigny/editions/2/")
        assert second["pdf_url"].endswith("/territoires/grigny/editions/2/protocole.pdf")
        assert len(second["content_hash"]) == 64
        assert "published_by" not in second  # staff accounts are not public
        assert "snapshot" not in second

    @pytest.mark.parametrize("count", [1, 4])
    def test_constant_queries(self, client, grigny, count, django_assert_num_queries):
        for index in range(count - 1):
            amend(grigny, f"Texte {index}")
        with django_assert_num_queries(2):
            assert len(client.get(editions_url(grigny)).json()) == count


class TestDetail:
    def test_same_shape_as_the_current_tree_without_tracking(self, client, grigny):
        current = client.get(f"{API}protocoles/{grigny.pk}/").json()
        edition = client.get(edition_url(grigny, 1)).json()
        tracking = {"status", "status_label", "progress", "lead", "start_year", "end_year"}
        not_frozen = {"position", "last_changed_at"}
        current_keys, edition_keys = keys_of_tree(current), keys_of_tree(edition)
        assert edition_keys["protocol"] == current_keys["protocol"] - not_frozen | {"edition"}
        for level in ("section", "so", "oo", "action"):
            expected = current_keys[level] - tracking - not_frozen
            assert edition_keys[level] == expected, level

    def test_the_text_is_the_current_tree_s_text(self, client, grigny):
        """Edition 1 of an unchanged seed: every text field is the current one."""
        current = client.get(f"{API}protocoles/{grigny.pk}/").json()
        edition = client.get(edition_url(grigny, 1)).json()
        for name in ("id", "territory", "title", "deliberation_reference", "preamble"):
            assert edition[name] == current[name], name
        assert edition["preconditions"] == current["preconditions"]

        def texts(tree):
            for section in tree["sections"]:
                yield section["id"], section["path"], section["heading"], section["priorities"]
                for so in section["strategic_objectives"]:
                    yield so["id"], so["level"], so["path"], so["text"], so["subheading"]
                    for oo in so["operational_objectives"]:
                        yield oo["id"], oo["level"], oo["path"], oo["text"], oo["details"]
                        for a in oo["actions"]:
                            yield a["id"], a["level"], a["path"], a["text"], a["details"]

        assert list(texts(edition)) == list(texts(current))
        assert edition["edition"]["number"] == 1
        assert edition["page_url"].endswith("/territoires/grigny/editions/1/")

    def test_an_old_edition_keeps_its_text(self, client, grigny):
        action = Action.objects.filter(
            operational_objective__strategic_objective__section__protocol=grigny
        ).first()
        before = action.text
        amend(grigny, "Texte de l'avenant")
        first = client.get(edition_url(grigny, 1)).content.decode()
        second = client.get(edition_url(grigny, 2)).content.decode()
        assert before in first and "Texte de l'avenant" not in first
        assert "Texte de l'avenant" in second

    def test_partners_and_axes_by_name_and_anchor(self, client):
        action = factories.ActionFactory(text="Action nommée")
        action.partners.set([factories.PartnerFactory(name="Partenaire « API »")])
        action.axes.set([factories.AxisFactory(name="Axe API")])
        protocol = action.operational_objective.strategic_objective.section.protocol
        publish_edition(
            protocol,
            title="Texte adopté",
            deliberation_reference="",
            deliberation_date=None,
            by=None,
        )
        body = client.get(edition_url(protocol, 1)).json()
        node = body["sections"][0]["strategic_objectives"][0]["operational_objectives"][0][
            "actions"
        ][0]
        assert node["partners"] == ["Partenaire « API »"]
        assert node["axes"] == ["Axe API"]
        assert node["level"] == "action" and node["path"] == "1.1.1.1"
        assert node["page_url"].endswith(
            f"/territoires/{protocol.territory.slug}/editions/1/#action-{action.pk}"
        )

    @pytest.mark.parametrize("size", [1, 3])
    def test_constant_queries(self, client, size, django_assert_num_queries):
        protocol = factories.ProtocolFactory()
        for _ in range(size):
            section = factories.SectionFactory(protocol=protocol)
            for _ in range(size):
                factories.ActionFactory(operational_objective__strategic_objective__section=section)
        publish_edition(
            protocol,
            title="Texte adopté",
            deliberation_reference="",
            deliberation_date=None,
            by=None,
        )
        with django_assert_num_queries(2):
            assert client.get(edition_url(protocol, 1)).status_code == 200


class TestErrors:
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_read_only(self, client, grigny, method):
        edition = Edition.objects.for_protocol(grigny).get()
        for url in (editions_url(grigny), edition_url(grigny, 1)):
            response = getattr(client, method)(
                url, {"title": "Réécrit"}, content_type="application/json"
            )
            assert response.status_code == 405, url
        stored = Edition.objects.get(pk=edition.pk)
        assert (stored.title, stored.content_hash) == (edition.title, edition.content_hash)

    def test_unknown_edition_or_protocol(self, client, grigny):
        response = client.get(edition_url(grigny, 9))
        assert response.status_code == 404
        assert response.json() == {"detail": f"Le protocole {grigny.pk} n'a pas d'édition n° 9."}
        assert client.get(f"{API}protocoles/999999/editions/").status_code == 404
        assert client.get(f"{API}protocoles/abc/editions/1/").status_code == 404
        for bad in ("x", "null,null", "99999999999", "-1", "²"):
            response = client.get(f"{editions_url(grigny)}{bad}/")
            assert response.status_code == 404, bad
            assert "n'est pas un numéro d'édition" in response.json()["detail"]
        # Filters of the protocol list do not apply here (no 400 for a bad one).
        assert client.get(editions_url(grigny), {"territoire": "atlantide"}).status_code == 200


def test_url_names():
    assert reverse("v1:protocol-edition-list", kwargs={"pk": 3}) == "/api/v1/protocoles/3/editions/"
    assert (
        reverse("v1:protocol-edition-detail", kwargs={"pk": 3, "number": 2})
        == "/api/v1/protocoles/3/editions/2/"
    )


def test_schema_documents_the_editions(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/protocoles/{id}/editions/" in schema["paths"]
    detail = schema["paths"]["/api/v1/protocoles/{id}/editions/{number}/"]["get"]
    assert detail["summary"] == "Une édition d'un protocole, avec tout son texte"
    assert set(detail["responses"]) == {"200", "404", "429"}
