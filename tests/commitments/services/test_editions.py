"""Snapshots and publication of editions (commitments/services/editions.py): the agreed format,
constant queries, the hash, numbering, refusal of an unchanged text, staff only."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import Edition, Protocol
from commitments.services.editions import (
    canonical_json,
    content_hash,
    current_differs,
    publish_edition,
    snapshot_of,
)
from tests import factories
from tests.support.admin import make_user
from tests.support.progress import report_days_ago

pytestmark = pytest.mark.django_db

ADOPTED = datetime.date(2019, 3, 28)


def publish(protocol, title="Avenant", day=ADOPTED, by=None):
    return publish_edition(
        protocol, title=title, deliberation_reference="Del test", deliberation_date=day, by=by
    )


def build(sections, per_level):
    """A protocol of `sections` sections, each with `per_level` strategic objectives, each
    with `per_level` operational objectives, each with `per_level` actions (partners, axes)."""
    protocol = factories.ProtocolFactory()
    partner, axis = factories.PartnerFactory(), factories.AxisFactory()
    for _ in range(sections):
        section = factories.SectionFactory(protocol=protocol)
        for _ in range(per_level):
            so = factories.StrategicObjectiveFactory(section=section)
            so.partners.add(partner)
            for _ in range(per_level):
                oo = factories.OperationalObjectiveFactory(strategic_objective=so)
                oo.axes.add(axis)
                for _ in range(per_level):
                    action = factories.ActionFactory(operational_objective=oo)
                    action.partners.add(partner)
                    action.axes.add(axis)
    return protocol


@pytest.fixture
def action():
    action = factories.ActionFactory(text="Créer un « lieu »", details="Ex : un café.")
    action.partners.set(
        [factories.PartnerFactory(name="État test"), factories.PartnerFactory(name="CAF test")]
    )
    action.axes.set([factories.AxisFactory(name="Jeunesse test")])
    return action


def protocol_of(node):
    return node.operational_objective.strategic_objective.section.protocol


class TestSnapshot:
    def test_format(self, action):
        protocol = protocol_of(action)
        protocol.preamble = "Préambule."
        protocol.deliberation_date = ADOPTED
        protocol.save()
        snapshot = snapshot_of(protocol)
        assert snapshot["format"] == "perer-edition"
        assert snapshot["format_version"] == 1
        assert snapshot["protocol"] == {
            "id": protocol.pk,
            "territory": protocol.territory.slug,
            "title": protocol.title,
            "deliberation_reference": protocol.deliberation_reference,
            "deliberation_date": "2019-03-28",
            "start_year": 2019,
            "end_year": 2022,
            "preamble": "Préambule.",
            "preconditions_heading": "",
            "preconditions": "",
        }
        [section] = snapshot["sections"]
        assert section["kind"] == "section"
        assert section["number"] == "1"
        assert set(section["fields"]) == {
            "heading",
            "subtitle",
            "objective",
            "priorities_heading",
            "priorities",
            "intro",
            "thematic",
        }
        [so] = section["children"]
        [oo] = so["children"]
        [node] = oo["children"]
        assert (so["kind"], oo["kind"]) == ("strategic_objective", "operational_objective")
        assert set(so["fields"]) == {
            "text",
            "details",
            "subheading",
            "operational_heading",
            "partners",
            "axes",
        }
        assert node == {
            "kind": "action",
            "id": action.pk,
            "number": "1.1.1.1",
            "fields": {
                "text": "Créer un « lieu »",
                "details": "Ex : un café.",
                "partners": ["CAF test", "État test"],
                "axes": ["Jeunesse test"],
            },
            "children": [],
        }

    def test_tracking_is_not_in_the_snapshot(self, action):
        protocol = protocol_of(action)
        before = content_hash(snapshot_of(protocol))
        report_days_ago(action, 3, "en_cours", 40)
        action.refresh_from_db()
        action.lead = factories.PartnerFactory()
        action.start_year = 2020
        action.save()
        assert content_hash(snapshot_of(protocol)) == before

    def test_numbers_follow_document_order(self, action):
        oo = action.operational_objective
        second = factories.ActionFactory(operational_objective=oo, position=action.position + 5)
        [section] = snapshot_of(protocol_of(action))["sections"]
        numbers = [
            (a["id"], a["number"]) for a in section["children"][0]["children"][0]["children"]
        ]
        assert numbers == [(action.pk, "1.1.1.1"), (second.pk, "1.1.1.2")]

    def test_constant_queries(self, django_assert_num_queries):
        """The tree loader's queries (selectors/protocol_tree.py), whatever the size."""
        small, large = build(1, 1), build(3, 3)
        with CaptureQueriesContext(connection) as queries:
            snapshot_of(small)
        assert 0 < len(queries) <= 12
        with django_assert_num_queries(len(queries)):
            snapshot = snapshot_of(large)
        assert len(snapshot["sections"]) == 3

    def test_canonical_json_and_hash(self, action):
        snapshot = snapshot_of(protocol_of(action))
        text = canonical_json(snapshot)
        assert "« lieu »" in text  # UTF-8, not \\u escapes
        assert text.startswith('{"format":"perer-edition","format_version":1,"protocol":{')
        assert canonical_json(dict(reversed(list(snapshot.items())))) == text
        assert len(content_hash(snapshot)) == 64


class TestPublish:
    def test_first_edition_then_refusal_of_the_same_text(self, action):
        protocol = protocol_of(action)
        staff = make_user("agglomeration")
        first = publish(protocol, title="Texte adopté", by=staff)
        assert (first.number, first.title, first.published_by) == (1, "Texte adopté", staff)
        assert first.snapshot == snapshot_of(protocol)
        assert Edition.objects.get(pk=first.pk).snapshot == first.snapshot
        assert first.content_hash == content_hash(snapshot_of(protocol))
        with pytest.raises(ValidationError, match="identique à celui de l'édition 1"):
            publish(protocol, title="Avenant n° 1", by=staff)
        assert Edition.objects.for_protocol(protocol).count() == 1

    def test_numbering_follows_the_last_edition(self, action):
        protocol = protocol_of(action)
        assert current_differs(protocol)
        publish(protocol)
        assert not current_differs(protocol)
        action.text = "Créer deux lieux"
        action.save()
        assert current_differs(protocol)
        second = publish(protocol, title="Avenant n° 1", day=datetime.date(2021, 1, 5))
        assert second.number == 2
        assert not current_differs(protocol)
        factories.ActionFactory(operational_objective=action.operational_objective)
        assert publish(protocol, day=datetime.date(2022, 1, 5)).number == 3
        other = protocol_of(factories.ActionFactory())
        assert publish(other).number == 1

    def test_each_text_change_counts(self, action):
        protocol = protocol_of(action)
        publish(protocol)
        action.partners.remove(action.partners.first())
        assert current_differs(protocol)
        publish(protocol, day=ADOPTED)
        Protocol.objects.filter(pk=protocol.pk).update(preamble="Nouveau préambule")
        assert current_differs(protocol)

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"title": "  "}, "Donnez un titre"),
            ({"title": "x" * 201}, "trop long"),
            ({"deliberation_reference": "x" * 81}, "trop longue"),
            ({"deliberation_date": datetime.date(2999, 1, 1)}, "dans le futur"),
        ],
    )
    def test_bad_input_is_refused_in_french(self, action, fields, message):
        values = {
            "title": "Avenant",
            "deliberation_reference": "Del",
            "deliberation_date": ADOPTED,
            **fields,
        }
        with pytest.raises(ValidationError, match=message):
            publish_edition(protocol_of(action), by=None, **values)
        assert not Edition.objects.for_protocol(protocol_of(action)).exists()

    def test_date_before_the_last_edition_is_refused(self, action):
        protocol = protocol_of(action)
        publish(protocol, day=datetime.date(2020, 6, 1))
        action.text = "Autre"
        action.save()
        with pytest.raises(ValidationError, match="ne peut pas précéder celle de l'édition 1"):
            publish(protocol, day=datetime.date(2020, 5, 1))

    @pytest.mark.parametrize("role", ["grigny_lead"])
    def test_leads_cannot_publish(self, action, role):
        with pytest.raises(PermissionDenied, match="Seule l'équipe de l'agglomération"):
            publish(protocol_of(action), by=make_user(role))
        assert not Edition.objects.for_protocol(protocol_of(action)).exists()

    def test_superuser_publishes(self, action):
        assert publish(protocol_of(action), by=make_user("superuser")).number == 1
