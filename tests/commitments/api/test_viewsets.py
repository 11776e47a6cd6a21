"""The public API (v1) through its viewsets and serializers: resources, filters shared with the
HTML search (selectors/filtersets.py), errors, throttling (the cache is emptied before each test,
which resets the throttle: tests/conftest.py)."""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments import models
from commitments.enums import Level, Status
from commitments.selectors.filtersets import (
    ActionFilter,
    OperationalObjectiveFilter,
    StrategicObjectiveFilter,
)
from commitments.selectors.protocol_tree import iter_commitments, load_protocol_tree
from territories.models import Territory
from tests import factories
from tests.support.progress import report_today

pytestmark = pytest.mark.django_db

API = "/api/v1/"


def get_all(client, url, params=None):
    """Every result of a paginated list, following `next`."""
    results, page = [], 1
    while True:
        response = client.get(url, {**(params or {}), "page": page})
        assert response.status_code == 200, response.content
        body = response.json()
        results += body["results"]
        if not body["next"]:
            return results
        page += 1


class TestIndex:
    def test_api_root_lists_version_schema_docs_and_exports(self, client):
        body = client.get("/api/").json()
        assert body["v1"].endswith("/api/v1/")
        assert body["schema"].endswith("/api/schema/")
        assert body["docs"].endswith("/api/docs/")
        assert body["exports"]["csv"].endswith("/donnees/engagements.csv")

    def test_v1_root_lists_every_resource(self, client):
        body = client.get(API).json()
        assert set(body) == {
            "territoires",
            "thematiques",
            "protocoles",
            "objectifs-strategiques",
            "objectifs-operationnels",
            "actions",
            "partenaires",
            "glossaire",
            "axes",
            "indicateurs",
        }

    def test_docs_are_served_by_the_app_without_cdn(self, client):
        page = client.get("/api/docs/").content.decode()
        script = client.get("/api/docs/", {"script": ""}).content.decode()
        assert "/static/drf_spectacular_sidecar/" in page
        assert "<style>" not in page and "<script>" not in page  # CSP: files only
        assert "http://" not in page and "https://" not in page
        assert '"validatorUrl": null' in script

    def test_schema_is_openapi_3(self, client):
        response = client.get("/api/schema/", {"format": "json"})
        assert response.status_code == 200
        schema = response.json()
        assert schema["openapi"].startswith("3.")
        assert "/api/v1/protocoles/{id}/" in schema["paths"]


class TestReferenceLists:
    @pytest.mark.parametrize(
        ("resource", "model", "key"),
        [
            ("territoires", Territory, "slug"),
            ("thematiques", models.Thematic, "slug"),
            ("partenaires", models.Partner, "slug"),
            ("glossaire", models.GlossaryTerm, "slug"),
            ("axes", models.TransversalAxis, "slug"),
        ],
    )
    def test_list_holds_every_row_and_detail_by_slug(self, client, resource, model, key):
        factories.PartnerFactory(name="Partenaire <b>gras</b>")
        factories.AxisFactory()
        results = get_all(client, API + f"{resource}/")
        assert sorted(r[key] for r in results) == sorted(model.objects.values_list(key, flat=True))
        first = results[0]
        detail = client.get(API + f"{resource}/{first[key]}/")
        assert detail.status_code == 200
        assert detail.json() == first

    def test_territories_agglomeration_first_with_codes(self, client):
        results = get_all(client, API + "territoires/")
        assert results[0]["kind"] == "agglomeration"
        grigny = next(r for r in results if r["slug"] == "grigny")
        assert grigny["insee_code"] == Territory.objects.get(slug="grigny").insee_code
        assert grigny["parent"] == results[0]["slug"]
        assert grigny["page_url"].endswith("/territoires/grigny/")

    def test_text_is_returned_as_typed_not_as_html(self, client):
        partner = factories.PartnerFactory(name="Partenaire <script>x</script> & co")
        body = client.get(API + f"partenaires/{partner.slug}/").json()
        assert body["name"] == "Partenaire <script>x</script> & co"
        response = client.get(API + f"partenaires/{partner.slug}/")
        assert response["Content-Type"] == "application/json"

    @pytest.mark.parametrize("resource", ["territoires", "thematiques", "partenaires", "axes"])
    def test_unknown_slug_is_404(self, client, resource):
        response = client.get(API + f"{resource}/nexiste-pas/")
        assert response.status_code == 404
        assert "detail" in response.json()


class TestProtocols:
    def test_list_filtered_by_territory(self, client):
        results = get_all(client, API + "protocoles/", {"territoire": "grigny"})
        assert [r["id"] for r in results] == list(
            models.Protocol.objects.filter(territory__slug="grigny").values_list("pk", flat=True)
        )
        assert client.get(API + "protocoles/", {"territoire": "nulle-part"}).status_code == 400

    @pytest.mark.parametrize("slug", ["grand-paris-sud", "ris-orangis", "moissy-cramayel"])
    def test_nested_tree_equals_the_protocol_content_in_document_order(self, client, slug):
        protocol = models.Protocol.objects.filter(territory__slug=slug).first()
        body = client.get(API + f"protocoles/{protocol.pk}/").json()
        tree = load_protocol_tree(protocol.pk)

        assert body["title"] == protocol.title
        assert body["preamble"] == protocol.preamble
        assert body["preconditions"] == protocol.precondition_list
        assert [s["heading"] for s in body["sections"]] == [s.heading for s in tree.sections.all()]

        flattened = []
        for section in body["sections"]:
            for so in section["strategic_objectives"]:
                flattened.append((so["level"], so["id"], so["text"], so["details"], so["path"]))
                for oo in so["operational_objectives"]:
                    flattened.append((oo["level"], oo["id"], oo["text"], oo["details"], oo["path"]))
                    for action in oo["actions"]:
                        flattened.append(
                            (
                                action["level"],
                                action["id"],
                                action["text"],
                                action["details"],
                                action["path"],
                            )
                        )
        expected = [
            (str(level), node.pk, node.text, node.details)
            for level, node, _section in iter_commitments(tree)
        ]
        assert [row[:4] for row in flattened] == expected
        # Paths are the 1-based ranks of the nodes and their ancestors.
        assert flattened[0][4] == "1.1"
        depth = {"strategique": 1, "operationnel": 2, "action": 3}
        assert all(row[4].count(".") == depth[row[0]] for row in flattened)

    def test_tree_carries_tracking_and_links(self, client):
        action = models.Action.objects.with_tree().first()
        lead = factories.PartnerFactory()
        action.pilot = lead
        action.save()
        report_today(action, Status.IN_PROGRESS, 40)
        action.partners.add(lead)
        protocol = action.operational_objective.strategic_objective.section.protocol
        body = client.get(API + f"protocoles/{protocol.pk}/").json()
        found = [
            a
            for s in body["sections"]
            for so in s["strategic_objectives"]
            for oo in so["operational_objectives"]
            for a in oo["actions"]
            if a["id"] == action.pk
        ]
        assert found == [
            {
                **found[0],
                "status": "en_cours",
                "status_label": "En cours",
                "progress": 40,
                "lead": lead.slug,
                "partners": [lead.slug],
            }
        ]
        assert found[0]["page_url"].endswith(
            f"/territoires/{protocol.territory.slug}/#action-{action.pk}"
        )

    def test_unknown_protocol_is_404(self, client):
        assert client.get(API + "protocoles/999999/").status_code == 404
        assert client.get(API + "protocoles/abc/").status_code == 404


FILTER_CASES = [
    {},
    {"territoire": "grigny"},
    {"territoire": ["grigny", "ris-orangis"]},
    {"thematique": "emploi"},
    {"territoire": "corbeil-essonnes", "thematique": "emploi"},
    {"q": "emploi"},
    {"q": "jeunes insertion"},
]

LEVELS = [
    (
        "objectifs-strategiques",
        models.StrategicObjective,
        StrategicObjectiveFilter,
        Level.STRATEGIC,
    ),
    (
        "objectifs-operationnels",
        models.OperationalObjective,
        OperationalObjectiveFilter,
        Level.OPERATIONAL,
    ),
    ("actions", models.Action, ActionFilter, Level.ACTION),
]


class TestFilters:
    """The API and the HTML search share their FilterSets: same parameters, same results."""

    @pytest.fixture
    def tracked(self):
        """Some statuses, a partner and an axis, so that every filter selects something."""
        partner = factories.PartnerFactory(slug="caf-test")
        axis = factories.AxisFactory(slug="jeunesse-test")
        oos = list(
            models.OperationalObjective.objects.order_by("pk").values_list("pk", flat=True)[:40]
        )
        actions = list(models.Action.objects.order_by("pk").values_list("pk", flat=True)[:20])
        sos = list(
            models.StrategicObjective.objects.order_by("pk").values_list("pk", flat=True)[:10]
        )
        # Test setup through update() and bulk_create(): fast, and filters read the same rows.
        for offset, status in enumerate([Status.IN_PROGRESS, Status.DONE, Status.PLANNED]):
            models.OperationalObjective.objects.filter(pk__in=oos[offset::3]).update(status=status)
        models.Action.objects.filter(pk__in=actions[::2]).update(status=Status.DONE)
        models.Action.objects.filter(pk__in=actions[1::2]).update(status=Status.IN_PROGRESS)
        models.OperationalObjective.partners.through.objects.bulk_create(
            models.OperationalObjective.partners.through(
                operationalobjective_id=pk, partner=partner
            )
            for pk in oos[1::2]
        )
        models.OperationalObjective.axes.through.objects.bulk_create(
            models.OperationalObjective.axes.through(
                operationalobjective_id=pk, transversalaxis=axis
            )
            for pk in oos[1::2]
        )
        models.Action.partners.through.objects.bulk_create(
            models.Action.partners.through(action_id=pk, partner=partner) for pk in actions
        )
        models.StrategicObjective.axes.through.objects.bulk_create(
            models.StrategicObjective.axes.through(strategicobjective_id=pk, transversalaxis=axis)
            for pk in sos
        )

    @pytest.mark.parametrize(("resource", "model", "filterset", "level"), LEVELS)
    def test_api_equals_filterset(self, client, tracked, resource, model, filterset, level):
        cases = [
            *FILTER_CASES,
            {"partenaire": "caf-test"},
            {"axe": "jeunesse-test"},
            {"statut": "en_cours"},
            {"statut": "realise", "territoire": "grand-paris-sud"},
        ]
        selected = 0
        for params in cases:
            if "statut" in params and model is models.StrategicObjective:
                continue  # strategic objectives have no status
            # As the search page receives them: a QueryDict, several values per parameter.
            data = QueryDict(urlencode(params, doseq=True))
            bound = filterset(data, queryset=model.objects.in_document_order())
            assert bound.is_valid(), bound.errors
            expected = list(bound.qs.values_list("pk", flat=True))
            results = get_all(client, API + f"{resource}/", params)
            assert [r["id"] for r in results] == expected, params
            assert {r["level"] for r in results} <= {level}
            selected += bool(expected) and len(expected) < model.objects.count()
        # Most cases select some rows but not all: the comparisons mean something.
        assert selected >= len(cases) // 2

    @pytest.mark.parametrize(("resource", "model", "filterset", "level"), LEVELS)
    @pytest.mark.parametrize("params", FILTER_CASES[1:5])
    def test_api_equals_search_page(self, client, resource, model, filterset, level, params):
        """Same ids as /engagements/ restricted to the same level (the portal's own page)."""
        search_url = reverse("commitment_search")
        page_ids, page = [], 1
        while True:
            response = client.get(search_url, {**params, "niveau": level, "page": page})
            assert response.status_code == 200
            page_ids += [obj.pk for obj in response.context["results"]]
            if not response.context["page"].has_next():
                break
            page += 1
        got = [r["id"] for r in get_all(client, API + f"{resource}/", params)]
        assert sorted(got) == sorted(page_ids)

    @pytest.mark.parametrize(
        ("params", "bad"),
        [
            ({"territoire": "atlantide"}, "territoire"),
            ({"thematique": "cuisine"}, "thematique"),
            ({"statut": "termine"}, "statut"),
            ({"partenaire": "inconnu"}, "partenaire"),
            ({"axe": "inconnu"}, "axe"),
            ({"q": "x" * 201}, "q"),
        ],
    )
    def test_invalid_value_is_400_naming_the_parameter(self, client, params, bad):
        response = client.get(API + "actions/", params)
        assert response.status_code == 400
        body = response.json()
        assert list(body) == [bad]
        assert body[bad][0]  # a message in French, e.g. "Sélectionnez un choix valide."

    def test_page_out_of_range_is_404(self, client):
        response = client.get(API + "actions/", {"page": 9999})
        assert response.status_code == 404
        assert client.get(API + "actions/", {"page": "abc"}).status_code == 404


class TestFlatLists:
    @pytest.mark.parametrize(("resource", "model", "filterset", "level"), LEVELS)
    def test_detail_equals_list_item(self, client, resource, model, filterset, level):
        first = client.get(API + f"{resource}/").json()["results"][0]
        assert client.get(API + f"{resource}/{first['id']}/").json() == first
        assert first["path"].startswith("1.")

    def test_action_item_places_it_in_its_protocol(self, client):
        action = models.Action.objects.with_tree().in_document_order().first()
        item = client.get(API + f"actions/{action.pk}/").json()
        section = action.operational_objective.strategic_objective.section
        assert item["territory"] == section.protocol.territory.slug
        assert item["protocol"] == section.protocol_id
        assert item["thematic"] == section.thematic.slug
        assert item["operational_objective"] == action.operational_objective_id


def _bulk_protocol(n):
    """A protocol with n of everything, each linked to partners and axes."""
    protocol = factories.ProtocolFactory()
    partners = [factories.PartnerFactory() for _ in range(3)]
    axes = [factories.AxisFactory() for _ in range(2)]
    factories.GlossaryTermFactory.create_batch(n)
    factories.ThematicFactory.create_batch(2)
    for _ in range(2):
        section = factories.SectionFactory(protocol=protocol)
        for _ in range(n):
            so = factories.StrategicObjectiveFactory(section=section)
            so.partners.set(partners)
            so.axes.set(axes)
            oo = factories.OperationalObjectiveFactory(strategic_objective=so, pilot=partners[0])
            oo.partners.set(partners)
            action = factories.ActionFactory(operational_objective=oo, pilot=partners[1])
            action.partners.set(partners)
            action.axes.set(axes)
    return protocol


ENDPOINTS = [
    "territoires/",
    "thematiques/",
    "partenaires/",
    "glossaire/",
    "axes/",
    "protocoles/",
    "objectifs-strategiques/",
    "objectifs-operationnels/",
    "actions/",
    "objectifs-operationnels/?territoire=grigny&territoire=grand-paris-sud&statut=non_renseigne",
    "actions/?q=action&thematique=emploi",
]


class TestQueryCounts:
    def test_list_queries_do_not_grow_with_data(self, client, django_assert_max_num_queries):
        before = {}
        for endpoint in ENDPOINTS:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(API + endpoint).status_code == 200
            before[endpoint] = len(queries)
        # Any per-row query would add at least 15 queries.
        _bulk_protocol(15)
        for endpoint in ENDPOINTS:
            with django_assert_max_num_queries(before[endpoint]):
                assert client.get(API + endpoint).status_code == 200

    def test_protocol_tree_queries_do_not_grow_with_its_size(
        self, client, django_assert_max_num_queries
    ):
        small = _bulk_protocol(1)
        with CaptureQueriesContext(connection) as before:
            assert client.get(API + f"protocoles/{small.pk}/").status_code == 200
        big = _bulk_protocol(15)
        with django_assert_max_num_queries(len(before)):
            body = client.get(API + f"protocoles/{big.pk}/").json()
        assert sum(len(s["strategic_objectives"]) for s in body["sections"]) == 30

    @pytest.mark.parametrize("resource", ["objectifs-strategiques", "actions"])
    def test_detail_queries_are_constant(self, client, resource, django_assert_max_num_queries):
        item = client.get(API + f"{resource}/").json()["results"][0]
        with django_assert_max_num_queries(10):
            assert client.get(API + f"{resource}/{item['id']}/").status_code == 200


class TestThrottling:
    def test_anonymous_clients_get_a_clear_429_in_french(self, client, settings):
        rest = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"}}
        with override_settings(REST_FRAMEWORK=rest):
            statuses = [client.get(API + "thematiques/").status_code for _ in range(4)]
            response = client.get(API + "thematiques/")
        assert statuses == [200, 200, 200, 429]
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        detail = response.json()["detail"]
        assert detail.startswith("Trop de requêtes")
        assert "Réessayez dans" in detail
