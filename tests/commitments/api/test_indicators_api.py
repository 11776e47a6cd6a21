"""The indicators in the API (/api/v1/indicateurs/): values nested, filters, read-only for
everyone, queries constant at two sizes, documented in the schema."""

from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from commitments.models import Indicator, IndicatorValue
from commitments.selectors.filtersets import IndicatorFilter
from commitments.selectors.indicator_data import indicators_with_values
from tests import factories
from tests.support.admin import client_for, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/indicateurs/"


def get_all(client, params=None):
    results, page = [], 1
    while True:
        response = client.get(URL, {**(params or {}), "page": page})
        assert response.status_code == 200, response.content
        body = response.json()
        results += body["results"]
        if not body["next"]:
            return results
        page += 1


@pytest.fixture
def grigny_schooling():
    return Indicator.objects.get(
        territory__slug="grigny", definition__code="scolarisation-moins-3-ans"
    )


class TestContent:
    def test_list_holds_every_indicator_in_order(self, client):
        items = get_all(client)
        assert [item["id"] for item in items] == [i.pk for i in indicators_with_values()]

    def test_seeded_grigny_indicator_with_its_values(self, client, grigny_schooling):
        item = client.get(f"{URL}{grigny_schooling.pk}/").json()
        assert item["territory"] == "grigny" and item["code"] == "scolarisation-moins-3-ans"
        assert (item["unit"], item["direction"]) == ("pourcentage", "hausse")
        assert (item["baseline_value"], item["baseline_year"]) == (7, 2015)
        assert (item["target_value"], item["target_factor"]) == (50, None)
        assert [(v["year"], v["value"]) for v in item["values"]] == [(2015, 7), (2017, 35)]
        action = grigny_schooling.action
        assert item["commitment"]["id"] == action.pk
        assert item["commitment"]["level"] == "action"
        assert item["commitment"]["url"] == f"http://testserver/api/v1/actions/{action.pk}/"
        assert item["commitment"]["page_url"].endswith(f"/territoires/grigny/#action-{action.pk}")
        # The same path as the action's own entry in the API.
        measured = client.get(f"/api/v1/actions/{action.pk}/").json()
        assert item["commitment"]["path"] == measured["path"]
        assert item["thematic"] == measured["thematic"]

    def test_detail_equals_list_item(self, client):
        first = client.get(URL).json()["results"][0]
        assert client.get(f"{URL}{first['id']}/").json() == first

    def test_figures_are_numbers_and_authors_are_not_published(self, client):
        definition = factories.IndicatorDefinitionFactory(decimals=1)
        indicator = factories.IndicatorFactory(
            definition=definition, target_factor=Decimal("1.5"), target_is_minimum=True
        )
        author = factories.UserFactory(username="auteur-secret", first_name="Auteur")
        factories.IndicatorValueFactory(
            indicator=indicator, year=2019, value=Decimal("12.5"), author=author
        )
        item = client.get(f"{URL}{indicator.pk}/").json()
        assert item["target_factor"] == 1.5 and item["target_is_minimum"] is True
        assert item["values"][0]["value"] == 12.5
        assert set(item["values"][0]) == {"year", "value", "source", "comment", "recorded_at"}
        assert "auteur" not in str(item).lower()

    def test_unknown_indicator_is_404(self, client):
        for bad in ("999999", "abc", "1.5"):
            response = client.get(f"{URL}{bad}/")
            assert response.status_code == 404, bad
            assert "detail" in response.json()


class TestFilters:
    @pytest.mark.parametrize(
        "params",
        [
            {"territoire": "grigny"},
            {"territoire": ["grigny", "evry-courcouronnes"]},
            {"code": "maisons-de-quartier"},
            {"thematique": "education"},
            {"thematique": "emploi", "territoire": "evry-courcouronnes"},
        ],
    )
    def test_api_equals_filterset(self, client, params):
        query = QueryDict(mutable=True)
        for key, value in params.items():
            query.setlist(key, value if isinstance(value, list) else [value])
        expected = IndicatorFilter(query, queryset=indicators_with_values()).qs
        ids = [item["id"] for item in get_all(client, params)]
        assert ids == [i.pk for i in expected]
        assert ids  # the seed has some of each

    def test_filters_select_what_they_name(self, client):
        grigny = get_all(client, {"territoire": "grigny"})
        assert grigny and {item["territory"] for item in grigny} == {"grigny"}
        education = get_all(client, {"thematique": "education"})
        assert education and {item["thematic"] for item in education} == {"education"}
        coded = get_all(client, {"code": "maisons-de-quartier"})
        assert [item["code"] for item in coded] == ["maisons-de-quartier"]

    @pytest.mark.parametrize(
        ("params", "bad"),
        [
            ({"territoire": "atlantide"}, "territoire"),
            ({"code": "inconnu"}, "code"),
            ({"thematique": "inconnue"}, "thematique"),
        ],
    )
    def test_invalid_value_is_400_naming_the_parameter(self, client, params, bad):
        response = client.get(URL, params)
        assert response.status_code == 400
        body = response.json()
        assert list(body) == [bad]
        assert body[bad][0].startswith("Sélectionnez un choix valide")

    def test_page_out_of_range_is_404(self, client):
        assert client.get(URL, {"page": 9999}).status_code == 404


class TestReadOnly:
    """Nobody writes through the API: anonymous, a lead of the indicator's territory, staff,
    a superuser (the API ignores sessions: every client is anonymous)."""

    @pytest.mark.parametrize("role", ["anonymous", "grigny_lead", "agglomeration", "superuser"])
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_writes_are_refused(self, fast_password_hasher, grigny_schooling, role, method):
        client = client_for(make_user(role))
        payload = {"year": 2020, "value": 99, "target_value": 1}
        for url in (URL, f"{URL}{grigny_schooling.pk}/"):
            response = getattr(client, method)(url, payload, content_type="application/json")
            assert response.status_code == 405, (url, response.status_code)
        stored = Indicator.objects.get(pk=grigny_schooling.pk)
        assert stored.target_value == grigny_schooling.target_value
        assert IndicatorValue.objects.filter(indicator=stored).count() == 2

    @pytest.mark.parametrize("role", ["anonymous", "grigny_lead", "agglomeration"])
    def test_everyone_reads(self, fast_password_hasher, grigny_schooling, role):
        client = client_for(make_user(role))
        assert client.get(URL).status_code == 200
        assert client.get(f"{URL}{grigny_schooling.pk}/").status_code == 200


def _bulk_indicators(n):
    """n indicators on each level of a new protocol, each with three values."""
    protocol = factories.ProtocolFactory()
    section = factories.SectionFactory(protocol=protocol)
    indicators = []
    for _ in range(n):
        so = factories.StrategicObjectiveFactory(section=section)
        oo = factories.OperationalObjectiveFactory(strategic_objective=so)
        action = factories.ActionFactory(operational_objective=oo)
        indicators += [
            factories.IndicatorFactory(strategic_objective=so, action=None),
            factories.IndicatorFactory(operational_objective=oo, action=None),
            factories.IndicatorFactory(action=action),
        ]
    for indicator in indicators:
        for year in (2018, 2019, 2020):
            factories.IndicatorValueFactory(indicator=indicator, year=year)
    return protocol


ENDPOINTS = [
    URL,
    f"{URL}?territoire=grigny&territoire=evry-courcouronnes",
    f"{URL}?thematique=education&code=maisons-de-quartier",
]


class TestQueryCounts:
    def test_list_queries_do_not_grow_with_data(self, client, django_assert_max_num_queries):
        before = {}
        for endpoint in ENDPOINTS:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(endpoint).status_code == 200
            before[endpoint] = len(queries)
        protocol = _bulk_indicators(12)
        assert Indicator.objects.count() > 36
        for endpoint in ENDPOINTS:
            with django_assert_max_num_queries(before[endpoint]):
                assert client.get(endpoint).status_code == 200
        slug = protocol.territory.slug
        with django_assert_max_num_queries(before[URL] + 1):  # + validating the filter
            body = client.get(URL, {"territoire": slug}).json()
        assert body["count"] == 36 and len(body["results"][0]["values"]) == 3

    def test_detail_queries_are_constant(self, client, django_assert_max_num_queries):
        small = factories.IndicatorFactory()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{URL}{small.pk}/").status_code == 200
        expected = len(queries)
        _bulk_indicators(5)
        big = Indicator.objects.order_by("-pk").first()
        with django_assert_max_num_queries(expected):
            assert len(client.get(f"{URL}{big.pk}/").json()["values"]) == 3


class TestSchema:
    def test_documented_in_the_schema_and_the_index(self, client):
        schema = client.get("/api/schema/", {"format": "json"}).json()
        operation = schema["paths"]["/api/v1/indicateurs/"]["get"]
        assert {p["name"] for p in operation["parameters"]} >= {"territoire", "code", "thematique"}
        assert set(operation["responses"]) == {"200", "400", "404", "429"}
        assert "/api/v1/indicateurs/{id}/" in schema["paths"]
        assert "post" not in schema["paths"]["/api/v1/indicateurs/"]
        index = client.get("/api/").json()
        assert index["indicator_exports"]["csv"].endswith("/donnees/indicateurs.csv")
        assert "indicateurs" in client.get("/api/v1/").json()
