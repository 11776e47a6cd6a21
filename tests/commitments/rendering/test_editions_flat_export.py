"""The "edition" column of the flat exports (commitments/rendering/flat_export.py): which
edition each row's text comes from, per element; one more query whatever the size; the Table
Schema's pattern (docs/tableschema-engagements.json) holds every value."""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import Action, Edition, Protocol
from commitments.services.editions import publish_edition
from tests import factories
from tests.support.exports import download, read_csv

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(
    (Path(settings.BASE_DIR) / "docs" / "tableschema-engagements.json").read_text(encoding="utf-8")
)
PATTERN = next(f for f in SCHEMA["fields"] if f["name"] == "edition")["constraints"]["pattern"]
GRIGNY = "/territoires/grigny/engagements.csv"


def rows(client, url=GRIGNY):
    return read_csv(download(client, url)[1])


def by_id(found):
    return {row["identifiant"]: row["edition"] for row in found}


@pytest.fixture
def grigny():
    return Protocol.objects.get(territory__slug="grigny")


def first_actions(protocol, count=2):
    return list(
        Action.objects.filter(
            operational_objective__strategic_objective__section__protocol=protocol
        ).in_document_order()[:count]
    )


def test_unchanged_seed_every_row_comes_from_edition_1(client, grigny):
    Edition.objects.for_protocol(grigny).get()
    # The sources do not date the deliberation: edition 1 is named by its reference.
    expected = "édition 1, délibération « Del 2019 0128 »"
    found = rows(client)
    assert found and {row["edition"] for row in found} == {expected}
    assert all(re.fullmatch(PATTERN, row["edition"]) for row in found)


def test_changed_and_added_rows_say_so_then_edition_2(client, grigny):
    reworded, other = first_actions(grigny)
    reworded.text = "Texte réécrit"
    reworded.save()
    other.partners.add(factories.PartnerFactory(name="Partenaire ajouté"))
    added = Action.objects.create(
        operational_objective=other.operational_objective, position=9999, text="Nouvelle action"
    )
    found = by_id(rows(client))
    assert found[reworded.anchor] == "texte courant, modifié depuis l'édition 1"
    assert found[other.anchor] == "texte courant, modifié depuis l'édition 1"
    assert found[added.anchor] == "texte courant, ajouté depuis l'édition 1"
    unchanged = {
        value
        for key, value in found.items()
        if key not in {reworded.anchor, other.anchor, added.anchor}
    }
    assert len(unchanged) == 1 and unchanged.pop() == "édition 1, délibération « Del 2019 0128 »"
    assert all(re.fullmatch(PATTERN, value) for value in found.values())

    publish_edition(
        grigny,
        title="Avenant n° 1",
        deliberation_reference="Del 2024 0042",
        deliberation_date=datetime.date(2024, 3, 14),
        by=None,
    )
    assert set(by_id(rows(client)).values()) == {"édition 2 du 14/03/2024"}


def test_json_has_the_same_column(client, grigny):
    _, body = download(client, "/territoires/grigny/engagements.json")
    items = json.loads(body)
    assert items and all(item["edition"].startswith("édition 1, délibération") for item in items)


def test_a_protocol_without_edition(client):
    action = factories.ActionFactory()
    slug = action.operational_objective.strategic_objective.section.protocol.territory.slug
    found = rows(client, f"/territoires/{slug}/engagements.csv")
    assert {row["edition"] for row in found} == {"texte courant, aucune édition publiée"}
    assert re.fullmatch(PATTERN, "texte courant, aucune édition publiée")


def test_queries_do_not_grow_with_editions(client, django_assert_max_num_queries):
    url = "/donnees/engagements.csv"
    with CaptureQueriesContext(connection) as before:
        download(client, url)
    for protocol in Protocol.objects.all():
        action = first_actions(protocol, 1)
        if action:
            action[0].text = "Texte changé"
            action[0].save()
            publish_edition(
                protocol,
                title="Avenant",
                deliberation_reference="",
                deliberation_date=None,
                by=None,
            )
    for _ in range(3):
        factories.ActionFactory()
    with django_assert_max_num_queries(len(before)):
        _, body = download(client, url)
    assert "édition 2 publiée le ".encode() in body
