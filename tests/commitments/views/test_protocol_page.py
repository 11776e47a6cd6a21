"""A territory's protocol page: the whole protocol in document order, with its anchors."""

import pytest
from django.urls import reverse

from commitments.enums import Level, Status
from commitments.models import OperationalObjective, Protocol, StrategicObjective
from commitments.rendering.glossary_markup import Glossary
from commitments.selectors.numbering import tree_paths
from commitments.selectors.protocol_tree import iter_commitments, load_protocol_tree
from territories.models import Territory
from tests.factories import ActionFactory, GlossaryTermFactory, StrategicObjectiveFactory
from tests.support.html import PageStructure, assert_accessible_structure, html_of
from tests.support.progress import report_today
from tests.support.seed import SLUGS, UNUSED_POSITION

pytestmark = pytest.mark.django_db


def document_nodes(territory):
    """Every node of the territory's protocol in force, in document order."""
    protocol = load_protocol_tree(Protocol.objects.current_for(territory).pk)
    return [node for _, node, _ in iter_commitments(protocol)]


class TestTerritoryPage:
    @pytest.mark.parametrize("slug", SLUGS)
    def test_shows_whole_protocol_from_first_to_last_commitment(self, client, slug):
        territory = Territory.objects.get(slug=slug)
        nodes = document_nodes(territory)
        assert nodes, f"{slug} has no commitment in the seed"
        glossary = Glossary()

        response = client.get(reverse("territory_detail", kwargs={"slug": slug}))

        assert response.status_code == 200
        html = html_of(response)
        for node in (nodes[0], nodes[-1]):
            assert glossary.abbreviate(node.text) in html
        # A permalink anchor on every objective and action, in document order.
        positions = [html.index(f'id="{node.anchor}"') for node in nodes]
        assert positions == sorted(positions)
        assert_accessible_structure(html)

    def test_sections_preamble_and_table_of_contents(self, client):
        territory = Territory.objects.get(slug="grigny")
        protocol = Protocol.objects.current_for(territory)

        html = html_of(client.get(territory.get_absolute_url()))

        for section in protocol.sections.all():
            assert f'href="#{section.anchor}"' in html
            assert f'id="{section.anchor}"' in html
        first_paragraph = protocol.preamble.split("\n\n")[0]
        assert Glossary().abbreviate(first_paragraph) in html
        assert reverse("territory_pdf", kwargs={"slug": "grigny"}) in html
        assert 'aria-label="Fil d\'Ariane"' in html

    def test_details_are_paragraphs(self, client):
        so = StrategicObjective.objects.for_territory(Territory.objects.get(slug="grigny")).first()
        action = ActionFactory(
            operational_objective__strategic_objective=so,
            operational_objective__position=UNUSED_POSITION,
            position=UNUSED_POSITION,
            details="Premier paragraphe.\n\nSecond paragraphe.",
        )

        html = html_of(client.get(reverse("territory_detail", kwargs={"slug": "grigny"})))

        assert f'id="{action.anchor}"' in html
        assert '<p class="details">Premier paragraphe.</p>' in html
        assert '<p class="details">Second paragraphe.</p>' in html

    def test_status_badges_are_text(self, client):
        territory = Territory.objects.get(slug="ris-orangis")
        objective = OperationalObjective.objects.for_territory(territory).first()
        report_today(objective, Status.IN_PROGRESS, 40)

        html = html_of(client.get(territory.get_absolute_url()))

        assert "badge--en_cours" in html
        assert "Statut : </span>En cours · 40 %" in html

    def test_acronyms_marked_up(self, client):
        term = GlossaryTermFactory(term="ZZQPV", expansion="Quartier test")
        StrategicObjectiveFactory(
            section=Protocol.objects.current_for(
                Territory.objects.get(slug="grigny")
            ).sections.first(),
            text="Agir dans chaque ZZQPV du territoire",
            position=UNUSED_POSITION,
        )

        html = html_of(client.get(reverse("territory_detail", kwargs={"slug": "grigny"})))

        assert f'<abbr title="{term.expansion}">ZZQPV</abbr>' in html

    @pytest.mark.parametrize("slug", ["grigny", "moissy-cramayel"])
    def test_every_link_has_a_name_of_its_own(self, client, slug):
        """No two links to different places share one accessible name (RGAA 6.1): the "Suivi"
        links and the "#" permalinks name their commitment by its number ("2.1.3", as the
        exports give it) and the beginning of its text. Moissy repeats bullets word for word."""
        territory = Territory.objects.get(slug=slug)
        protocol = load_protocol_tree(Protocol.objects.current_for(territory).pk)
        paths = tree_paths(protocol)

        html = html_of(client.get(territory.get_absolute_url()))

        targets = {}
        for href, text in PageStructure(html).links:
            targets.setdefault(text, set()).add(href)
        shared = {text: hrefs for text, hrefs in targets.items() if len(hrefs) > 1}
        assert shared == {}
        # The "#" is hidden from assistive technologies (aria-hidden).
        names = {href: text.removeprefix("#") for href, text in PageStructure(html).links}
        for _, node, _ in iter_commitments(protocol):
            number = paths[node.level, node.pk]
            assert names[f"#{node.anchor}"].startswith("Lien permanent vers "), node
            assert f" {number} " in names[f"#{node.anchor}"]
            if node.level != Level.STRATEGIC:
                assert names[node.get_public_url()].startswith("Suivi de "), node
                assert f" {number} " in names[node.get_public_url()]

    @pytest.mark.parametrize(
        "url",
        ["/territoires/inconnu/", "/thematiques/inconnue/", "/territoires/%C3%A9vry/"],
    )
    def test_unknown_slugs_are_404(self, client, url):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page introuvable" in html_of(response)
