"""Hostile text typed in the admin, and hostile search terms, come out escaped in the public
pages (protocol, thematic and search pages)."""

import pytest

from commitments.models import StrategicObjective, Thematic
from territories.models import Territory
from tests.factories import ActionFactory
from tests.support.html import html_of
from tests.support.seed import UNUSED_POSITION

pytestmark = pytest.mark.django_db


class TestEscaping:
    PAYLOAD = '<script>alert("perer")</script><img src=x onerror=alert(1)>'

    @pytest.fixture
    def hostile(self):
        grigny = Territory.objects.get(slug="grigny")
        so = (
            StrategicObjective.objects.for_territory(grigny)
            .for_thematic(Thematic.objects.get(slug="emploi"))
            .first()
        )
        section = so.section
        section.heading = "Volet " + self.PAYLOAD
        section.save()
        return ActionFactory(
            operational_objective__strategic_objective=so,
            operational_objective__position=UNUSED_POSITION,
            position=UNUSED_POSITION,
            text="Hostile perer " + self.PAYLOAD,
            details="Détail " + self.PAYLOAD,
        )

    @pytest.mark.parametrize(
        "url",
        [
            "/territoires/grigny/",
            "/thematiques/emploi/",
            "/engagements/?territoire=grigny&q=hostile",
            "/engagements/?territoire=grigny&niveau=action&q=perer",
        ],
    )
    def test_texts_are_escaped(self, client, hostile, url):
        response = client.get(url)

        assert response.status_code == 200
        html = html_of(response)
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert" in html

    def test_search_terms_are_escaped_when_echoed(self, client):
        response = client.get("/engagements/", {"q": self.PAYLOAD})

        assert response.status_code == 200
        html = html_of(response)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert" in html
