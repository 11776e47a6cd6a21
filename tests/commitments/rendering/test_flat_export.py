"""Flat exports (rendering/flat_export.py: one row per commitment), CSV and JSON, checked
against the Table Schema."""

import csv
import io
import json

import pytest

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, StrategicObjective
from commitments.rendering import flat_export as exports
from commitments.selectors import numbering
from territories.models import Territory
from tests import factories
from tests.support import tableschema
from tests.support.exports import download, read_csv
from tests.support.progress import report_today

pytestmark = pytest.mark.django_db

SCHEMA = tableschema.load_schema("engagements")


def validate(rows, header):
    return tableschema.validate(SCHEMA, rows, header)


def all_commitments_count():
    return (
        StrategicObjective.objects.count()
        + OperationalObjective.objects.count()
        + Action.objects.count()
    )


@pytest.fixture
def tracked_action():
    """An action with every tracking field set, a partner and an axis."""
    action = Action.objects.with_tree().in_document_order().first()
    lead = factories.PartnerFactory(name="Mission locale test")
    other = factories.PartnerFactory(name="CAF test")
    axis = factories.AxisFactory(name="Jeunesse test")
    action.pilot, action.start_year, action.end_year = lead, 2020, 2022
    action.save()
    report_today(action, Status.IN_PROGRESS, 40)
    action.partners.set([lead, other])
    action.axes.set([axis])
    return action


class TestCsv:
    def test_every_commitment_once_in_document_order(self, client):
        response, body = download(client, "/donnees/engagements.csv")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]
        rows = read_csv(body)
        assert len(rows) == all_commitments_count()
        assert len({row["identifiant"] for row in rows}) == len(rows)
        # Document order: territories in their order, and a parent always before its children.
        slugs = list(dict.fromkeys(row["territoire_slug"] for row in rows))
        assert slugs == list(
            Territory.objects.filter(protocols__isnull=False)
            .order_by("position")
            .values_list("slug", flat=True)
            .distinct()
        )
        seen = set()
        for row in rows:
            assert not row["parent"] or row["parent"] in seen
            seen.add(row["identifiant"])

    def test_validates_against_the_table_schema(self, client, tracked_action):
        factories.ActionFactory(
            operational_objective=tracked_action.operational_objective,
            text='Texte « guillemets », virgule, "doubles"\nsur deux lignes',
        )
        _, body = download(client, "/donnees/engagements.csv")
        reader = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
        header = next(reader)
        rows = read_csv(body)
        assert validate(rows, header) == []
        assert any(row["intitule"].endswith("sur deux lignes") for row in rows)

    def test_validator_catches_a_wrong_file(self, client):
        """The hand-written validator is not a rubber stamp."""
        _, body = download(client, "/donnees/engagements.csv")
        rows = read_csv(body)
        header = list(rows[0])
        broken = [dict(row) for row in rows[:3]]
        broken[0]["niveau"] = "sous-action"
        broken[1]["avancement"] = "150"
        broken[2]["identifiant"] = broken[1]["identifiant"]
        problems = validate(broken, header)
        assert len(problems) == 3
        assert validate(rows[:3], header[::-1]) != []

    def test_row_content(self, client, tracked_action):
        _, body = download(client, "/donnees/engagements.csv")
        rows = {row["identifiant"]: row for row in read_csv(body)}
        row = rows[f"action-{tracked_action.pk}"]
        oo = tracked_action.operational_objective
        section = oo.strategic_objective.section
        territory = section.protocol.territory
        assert row["territoire"] == territory.name
        assert row["code_insee"] == territory.insee_code
        assert row["siren"] == territory.siren
        assert row["thematique_slug"] == section.thematic.slug
        assert row["niveau"] == "action"
        assert row["parent"] == f"oo-{oo.pk}"
        assert row["intitule"] == tracked_action.text
        assert row["statut"] == "en_cours" and row["statut_libelle"] == "En cours"
        assert row["avancement"] == "40"
        assert row["pilote"] == "Mission locale test"
        assert sorted(row["partenaires"].split(";")) == ["CAF test", "Mission locale test"]
        assert row["axes"] == "Jeunesse test"
        assert (row["annee_debut"], row["annee_fin"]) == ("2020", "2022")
        assert (
            row["url"]
            == f"http://testserver/territoires/{territory.slug}/#action-{tracked_action.pk}"
        )
        # The path is the 1-based ranks: the parent's path plus one more rank.
        assert row["chemin"].startswith(rows[f"oo-{oo.pk}"]["chemin"] + ".")
        strategic = rows[f"os-{oo.strategic_objective_id}"]
        assert strategic["statut"] == strategic["avancement"] == strategic["pilote"] == ""

    def test_paths_are_ranks_not_raw_positions(self, client):
        section = factories.SectionFactory(position=500)
        first = factories.StrategicObjectiveFactory(section=section, position=70)
        second = factories.StrategicObjectiveFactory(section=section, position=90)
        oo = factories.OperationalObjectiveFactory(strategic_objective=second, position=12)
        _, body = download(client, "/donnees/engagements.csv")
        rows = {row["identifiant"]: row for row in read_csv(body)}
        assert rows[f"os-{first.pk}"]["chemin"] == "1.1"
        assert rows[f"os-{second.pk}"]["chemin"] == "1.2"
        assert rows[f"oo-{oo.pk}"]["chemin"] == "1.2.1"
        paths = numbering.commitment_paths([section.protocol_id])
        assert paths["operationnel", oo.pk] == "1.2.1"

    def test_formulas_are_neutralized_in_csv_not_in_json(self, client):
        action = factories.ActionFactory(text='=HYPERLINK("http://evil.example","clic")')
        slug = action.territory.slug
        _, body = download(client, f"/territoires/{slug}/engagements.csv")
        row = next(r for r in read_csv(body) if r["identifiant"] == f"action-{action.pk}")
        assert row["intitule"] == "'" + action.text
        _, body = download(client, f"/territoires/{slug}/engagements.json")
        item = next(r for r in json.loads(body) if r["identifiant"] == f"action-{action.pk}")
        assert item["intitule"] == action.text


class TestJson:
    def test_same_rows_as_csv_with_types(self, client, tracked_action):
        _, csv_body = download(client, "/donnees/engagements.csv")
        response, json_body = download(client, "/donnees/engagements.json")
        assert response["Content-Type"] == "application/json"
        items = json.loads(json_body.decode("utf-8"))
        rows = read_csv(csv_body)
        assert len(items) == len(rows)
        assert [list(item) for item in items[:1]] == [list(exports.COLUMNS)]
        for item, row in zip(items, rows, strict=True):
            assert {k: "" if v is None else str(v) for k, v in item.items()} == row
        action = next(i for i in items if i["identifiant"] == f"action-{tracked_action.pk}")
        assert action["avancement"] == 40 and action["annee_debut"] == 2020
        strategic = next(i for i in items if i["niveau"] == "strategique")
        assert strategic["statut"] is None and strategic["avancement"] is None
