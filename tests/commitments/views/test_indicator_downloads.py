"""The indicators' open data (views/data_downloads.py, rendering/indicator_export.py):
/donnees/indicateurs.csv and .json, one row per value, checked against their Table Schema
(docs/tableschema-indicateurs.json); escaping, HTTP, queries that do not grow with the data."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import http_date

from commitments.models import Indicator, IndicatorValue, Protocol
from commitments.rendering import indicator_export
from commitments.services.indicator_writes import record_indicator_value
from tests import factories
from tests.support import tableschema
from tests.support.exports import download, read_csv

pytestmark = pytest.mark.django_db

CSV_URL = "/donnees/indicateurs.csv"
JSON_URL = "/donnees/indicateurs.json"
SCHEMA = tableschema.load_schema("indicateurs")


def csv_rows(client):
    return read_csv(download(client, CSV_URL)[1])


def header_of(body):
    return next(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def grigny_schooling():
    """The seeded Grigny indicator: 7 % in 2015, 35 % in 2017, target 50 %."""
    return Indicator.objects.get(
        territory__slug="grigny", definition__code="scolarisation-moins-3-ans"
    )


@pytest.fixture
def detailed():
    """An indicator with every field set, one decimal, a minimum target, a scope, and two
    values with a source and a comment."""
    definition = factories.IndicatorDefinitionFactory(
        code="taux-test", name="Taux de test", decimals=1, definition="Ce qui est mesuré."
    )
    indicator = factories.IndicatorFactory(
        definition=definition,
        scope="Grande Borne",
        direction="baisse",
        source="INSEE",
        baseline_value=Decimal("20.5"),
        baseline_year=2016,
        target_value=Decimal("12"),
        target_is_minimum=True,
        target_year=2024,
        target_horizon="à l'horizon 2024",
        wording='Réduire à 12 %, « au moins », "doubles"\nsur deux lignes',
    )
    factories.IndicatorValueFactory(indicator=indicator, year=2018, value=Decimal("18.5"))
    factories.IndicatorValueFactory(
        indicator=indicator, year=2017, value=Decimal("19"), source="CAF", comment="Estimation"
    )
    return indicator


class TestRows:
    def test_one_row_per_value_and_one_per_indicator_without_value(self, client, detailed):
        rows = csv_rows(client)
        expected = sum(max(1, i.yearly_values.count()) for i in Indicator.objects.all())
        assert len(rows) == expected
        assert {int(row["indicateur_id"]) for row in rows} == set(
            Indicator.objects.values_list("pk", flat=True)
        )
        without = [r for r in rows if not r["annee"]]
        assert {int(r["indicateur_id"]) for r in without} == set(
            Indicator.objects.filter(yearly_values__isnull=True).values_list("pk", flat=True)
        )
        assert all(r["valeur"] == "" and r["valeur_enregistree_le"] == "" for r in without)
        # An indicator's rows are together, by year.
        mine = [r["annee"] for r in rows if r["indicateur_id"] == str(detailed.pk)]
        assert mine == ["2017", "2018"]

    def test_territories_in_their_order(self, client):
        slugs = list(dict.fromkeys(row["territoire_slug"] for row in csv_rows(client)))
        positions = dict(
            Indicator.objects.values_list("territory__slug", "territory__position").distinct()
        )
        assert slugs == sorted(positions, key=positions.get)

    def test_seeded_grigny_row_as_the_text_states_it(self, client, grigny_schooling):
        rows = {row["identifiant"]: row for row in csv_rows(client)}
        first = rows[f"indicateur-{grigny_schooling.pk}-2015"]
        later = rows[f"indicateur-{grigny_schooling.pk}-2017"]
        assert (first["valeur"], later["valeur"]) == ("7", "35")
        assert (later["valeur_reference"], later["annee_reference"]) == ("7", "2015")
        assert later["valeur_cible"] == "50" and later["cible_minimum"] == "false"
        assert later["unite"] == "pourcentage" and later["sens"] == "hausse"
        assert later["code"] == "scolarisation-moins-3-ans"
        assert later["territoire"] == "Grigny" and later["territoire_slug"] == "grigny"
        # The commitment measured, as the commitments' export numbers and links it.
        commitments = {
            row["identifiant"]: row
            for row in read_csv(download(client, "/territoires/grigny/engagements.csv")[1])
        }
        measured = commitments[later["engagement_identifiant"]]
        assert later["engagement_chemin"] == measured["chemin"]
        assert later["engagement_url"] == measured["url"]
        assert later["engagement_niveau"] == measured["niveau"]
        assert later["engagement_intitule"] == measured["intitule"]
        assert later["thematique_slug"] == measured["thematique_slug"]

    def test_every_field_of_a_detailed_indicator(self, client, detailed):
        rows = {row["identifiant"]: row for row in csv_rows(client)}
        row = rows[f"indicateur-{detailed.pk}-2017"]
        action = detailed.action
        assert row["nom"] == "Taux de test" and row["decimales"] == "1"
        assert row["definition"] == "Ce qui est mesuré."
        assert (row["perimetre"], row["sens"], row["source"]) == ("Grande Borne", "baisse", "INSEE")
        assert (row["valeur_reference"], row["annee_reference"]) == ("20.5", "2016")
        assert (row["valeur_cible"], row["cible_multiplicateur"]) == ("12", "")
        assert (row["cible_minimum"], row["annee_cible"]) == ("true", "2024")
        assert row["echeance"] == "à l'horizon 2024"
        assert row["formulation"] == detailed.wording
        assert (row["valeur"], row["valeur_source"], row["valeur_commentaire"]) == (
            "19",
            "CAF",
            "Estimation",
        )
        assert rows[f"indicateur-{detailed.pk}-2018"]["valeur"] == "18.5"
        assert row["engagement_identifiant"] == f"action-{action.pk}"
        assert row["engagement_url"] == (
            f"http://testserver/territoires/{action.territory.slug}/#action-{action.pk}"
        )
        recorded = IndicatorValue.objects.get(indicator=detailed, year=2017).recorded_at
        assert row["valeur_enregistree_le"] == recorded.astimezone(datetime.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )

    def test_relative_target(self, client):
        indicator = Indicator.objects.get(definition__code="contrats-apprentissage-jeunes-qpv")
        row = next(r for r in csv_rows(client) if r["identifiant"] == f"indicateur-{indicator.pk}")
        assert (row["valeur_cible"], row["cible_multiplicateur"]) == ("", "2")


class TestTableSchema:
    def test_validates_against_the_table_schema(self, client, detailed):
        factories.IndicatorFactory(
            operational_objective=factories.OperationalObjectiveFactory(),
            action=None,
            target_factor=Decimal("1.5"),
            baseline_value=Decimal("1234567890.5"),
        )
        _, body = download(client, CSV_URL)
        rows = read_csv(body)
        assert tableschema.validate(SCHEMA, rows, header_of(body)) == []
        assert header_of(body) == list(indicator_export.COLUMNS)
        assert any(row["formulation"].endswith("sur deux lignes") for row in rows)
        assert {row["engagement_niveau"] for row in rows} >= {"operationnel", "action"}

    def test_validator_catches_a_wrong_file(self, client, detailed):
        _, body = download(client, CSV_URL)
        rows = read_csv(body)
        header = header_of(body)
        broken = [dict(row) for row in rows[:6]]
        broken[0]["valeur_reference"] = "12,5"  # a decimal comma
        broken[1]["cible_minimum"] = "oui"
        broken[2]["unite"] = "kilogrammes"
        broken[3]["identifiant"] = broken[2]["identifiant"]
        broken[4]["valeur"] = "-3"
        broken[5]["valeur_enregistree_le"] = "30/11/2026"
        assert len(tableschema.validate(SCHEMA, broken, header)) == 6
        assert tableschema.validate(SCHEMA, rows[:6], header[::-1]) != []

    def test_schema_names_the_same_columns_as_the_export(self):
        assert [field["name"] for field in SCHEMA["fields"]] == list(indicator_export.COLUMNS)
        assert SCHEMA["primaryKey"] == "identifiant"
        assert [r["path"] for r in SCHEMA["resources"]] == [CSV_URL, JSON_URL]


class TestEscaping:
    def test_formulas_are_neutralized_in_csv_not_in_json(self, client):
        indicator = factories.IndicatorFactory(
            wording='=HYPERLINK("http://evil.example","clic")', scope="+33 quartier"
        )
        factories.IndicatorValueFactory(
            indicator=indicator, year=2020, value=40, source="@source", comment="-1 sinon"
        )
        identifier = f"indicateur-{indicator.pk}-2020"
        row = next(r for r in csv_rows(client) if r["identifiant"] == identifier)
        assert row["formulation"] == "'" + indicator.wording
        assert row["perimetre"] == "'+33 quartier"
        assert (row["valeur_source"], row["valeur_commentaire"]) == ("'@source", "'-1 sinon")
        _, body = download(client, JSON_URL)
        item = next(i for i in json.loads(body) if i["identifiant"] == identifier)
        assert item["formulation"] == indicator.wording
        assert (item["perimetre"], item["valeur_source"]) == ("+33 quartier", "@source")


class TestJson:
    def test_same_rows_as_csv_with_types(self, client, detailed):
        csv_body = download(client, CSV_URL)[1]
        response, json_body = download(client, JSON_URL)
        assert response["Content-Type"] == "application/json"
        assert "inline" in response["Content-Disposition"]
        items = json.loads(json_body.decode("utf-8"))
        rows = read_csv(csv_body)
        assert [list(item) for item in items[:1]] == [list(indicator_export.COLUMNS)]

        def as_csv(value):
            if value is None:
                return ""
            return ("true" if value else "false") if isinstance(value, bool) else str(value)

        for item, row in zip(items, rows, strict=True):
            assert {k: as_csv(v) for k, v in item.items()} == row
        mine = [i for i in items if i["indicateur_id"] == detailed.pk]
        assert [(i["annee"], i["valeur"]) for i in mine] == [(2017, 19), (2018, 18.5)]
        assert mine[0]["valeur_reference"] == 20.5 and mine[0]["cible_minimum"] is True
        empty = next(i for i in items if i["annee"] is None)
        assert empty["valeur"] is None and empty["valeur_source"] is None


class TestHttp:
    def test_csv_headers(self, client):
        response, _ = download(client, CSV_URL)
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="indicateurs-perer.csv"'
        assert response["Access-Control-Allow-Origin"] == "*"

    def test_last_modified_follows_a_new_value(self, client, grigny_schooling):
        response, _ = download(client, CSV_URL)
        last_modified = response["Last-Modified"]
        again = client.get(CSV_URL, headers={"if-modified-since": last_modified})
        assert again.status_code == 304
        record_indicator_value(grigny_schooling, year=2019, value=Decimal("40"))
        changed = Protocol.objects.get(territory__slug="grigny").last_changed_at
        response, body = download(client, JSON_URL)
        assert response["Last-Modified"] == http_date(changed.timestamp())
        assert f'"indicateur-{grigny_schooling.pk}-2019"'.encode() in body

    @pytest.mark.parametrize("method", ["post", "put", "delete"])
    def test_writes_are_refused(self, client, method):
        assert getattr(client, method)(CSV_URL).status_code == 405

    @pytest.mark.parametrize(
        "url", ["/donnees/indicateurs.xlsx", "/donnees/indicateurs.csv/", "/donnees/indicateurs"]
    )
    def test_unknown_format_is_404(self, client, url):
        assert client.get(url).status_code == 404

    def test_named_url(self):
        assert reverse("export_indicators", kwargs={"format": "csv"}) == CSV_URL

    @pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
    def test_queries_do_not_grow_with_data(self, client, url, django_assert_max_num_queries):
        with CaptureQueriesContext(connection) as before:
            download(client, url)
        # Read now: the next request empties the connection's query log.
        expected = len(before)
        count = len(csv_rows(client))
        protocol = factories.ProtocolFactory()
        for level in range(15):
            section = factories.SectionFactory(protocol=protocol)
            if level % 3 == 0:
                measured = {
                    "strategic_objective": factories.StrategicObjectiveFactory(section=section),
                    "action": None,
                }
            elif level % 3 == 1:
                measured = {
                    "operational_objective": factories.OperationalObjectiveFactory(
                        strategic_objective__section=section
                    ),
                    "action": None,
                }
            else:
                measured = {
                    "action": factories.ActionFactory(
                        operational_objective__strategic_objective__section=section
                    )
                }
            indicator = factories.IndicatorFactory(**measured)
            for year in (2018, 2019, 2020):
                factories.IndicatorValueFactory(indicator=indicator, year=year)
        with django_assert_max_num_queries(expected):
            download(client, url)
        assert len(csv_rows(client)) == count + 45


def test_home_links_to_both_files(client):
    page = client.get("/").content.decode()
    assert f'href="{CSV_URL}"' in page and f'href="{JSON_URL}"' in page
