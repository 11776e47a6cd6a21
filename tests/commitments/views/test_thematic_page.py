"""A thematic's page: every territory's objectives side by side, agglomeration first."""

import pytest
from django.utils.html import escape

from commitments.models import StrategicObjective, Thematic
from commitments.rendering.glossary_markup import Glossary
from territories.models import Territory
from tests.support.html import assert_accessible_structure, html_of

pytestmark = pytest.mark.django_db


class TestThematicPage:
    def test_every_territory_side_by_side_agglomeration_first(self, client):
        thematic = Thematic.objects.get(slug="emploi")

        response = client.get(thematic.get_absolute_url())

        assert response.status_code == 200
        html = html_of(response)
        territories = list(Territory.objects.in_display_order())
        positions = [html.index(f'id="colonne-{t.slug}"') for t in territories]
        assert positions == sorted(positions)
        assert territories[0].kind == "agglomeration"
        glossary = Glossary()
        for territory in territories:
            first = (
                StrategicObjective.objects.for_territory(territory)
                .for_thematic(thematic)
                .in_document_order()
                .first()
            )
            if first is not None:
                assert glossary.abbreviate(first.text) in html
                assert f"{territory.get_absolute_url()}#{first.anchor}" in html
        assert_accessible_structure(html)

    def test_every_thematic_page(self, client):
        for thematic in Thematic.objects.all():
            response = client.get(thematic.get_absolute_url())
            assert response.status_code == 200, thematic.slug
            assert escape(thematic.name) in html_of(response)

    def test_compare_chosen_territories(self, client):
        response = client.get("/thematiques/emploi/", {"territoire": ["grigny", "ris-orangis"]})
        assert response.status_code == 200
        html = html_of(response)
        assert 'id="colonne-grigny"' in html and 'id="colonne-ris-orangis"' in html
        assert 'id="colonne-grand-paris-sud"' not in html

    @pytest.mark.parametrize("value", ["inconnu", "\x00", "' OR 1=1 --"])
    def test_invalid_territory_is_a_clear_400(self, client, value):
        response = client.get("/thematiques/emploi/", {"territoire": value})
        assert response.status_code == 400
        assert "La sélection des territoires n'est pas valide" in html_of(response)
