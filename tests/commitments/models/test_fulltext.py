"""Full-text search (models/fulltext.py): on PostgreSQL the commitments' stored documents
(migration 0009) answer, and follow every edit of the text and the details."""

import pytest
from django.db import connection

from commitments.models import Action, OperationalObjective, StrategicObjective
from tests.factories import ActionFactory, OperationalObjectiveFactory, StrategicObjectiveFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres_only(reason="the stored documents exist on PostgreSQL only"),
]

FACTORIES = [
    (StrategicObjective, StrategicObjectiveFactory),
    (OperationalObjective, OperationalObjectiveFactory),
    (Action, ActionFactory),
]


def found(model, terms):
    return set(model.objects.search(terms).values_list("pk", flat=True))


@pytest.mark.parametrize(("model", "factory"), FACTORIES)
def test_the_stored_document_follows_the_text_and_the_details(model, factory):
    node = factory(text="Zorglubification des équipements", details="")
    assert found(model, "zorglubification equipement") == {node.pk}  # stemmed, no accent
    node.text = "Autre chose"
    node.details = "Quelques mots sur la zorglubification"
    node.save()
    assert found(model, "zorglubification") == {node.pk}  # the details count
    node.details = ""
    node.save()
    assert found(model, "zorglubification") == set()
    model.objects.filter(pk=node.pk).update(text="Zorglubification encore")  # a bulk write too
    assert found(model, "zorglubification") == {node.pk}


@pytest.mark.parametrize(("model", "factory"), FACTORIES)
def test_the_search_reads_the_stored_column_not_a_computed_one(model, factory):
    sql, params = model.objects.search("emploi").query.sql_with_params()
    with connection.cursor() as cursor:
        statement = cursor.mogrify(sql, params).decode()
    assert '"search_document" @@' in statement
    assert "to_tsvector(" not in statement.split("commitments_transversalaxis")[0]
