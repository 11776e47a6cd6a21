"""The public pages: home, territories, protocol pages, thematic comparison, glossary."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from commitments.enums import Status
from commitments.models import (
    Action,
    GlossaryTerm,
    OperationalObjective,
    Protocol,
    StrategicObjective,
    Thematic,
)
from commitments.rendering.glossary_markup import Glossary
from commitments.reporting.protocol_tree import iter_commitments, load_protocol_tree
from territories.models import Territory
from tests.factories import ActionFactory, GlossaryTermFactory, StrategicObjectiveFactory
from tests.portal_html import PageStructure

pytestmark = pytest.mark.django_db

# Positions are unique per parent (checked at the end of each test on PostgreSQL): nodes added
# under seeded parents take a position no seed uses.
UNUSED_POSITION = 9999

SLUGS = [
    "grand-paris-sud",
    "corbeil-essonnes",
    "grigny",
    "evry-courcouronnes",
    "moissy-cramayel",
    "ris-orangis",
    "savigny-le-temple",
]


def document_nodes(territory):
    """Every node of the territory's protocol in force, in document order."""
    protocol = load_protocol_tree(Protocol.objects.current_for(territory).pk)
    return [node for _, node, _ in iter_commitments(protocol)]


def html_of(response):
    return response.content.decode()


def assert_accessible_structure(html):
    page = PageStructure(html)
    assert page.html_lang == "fr"
    assert [level for level, _ in page.headings].count(1) == 1, page.headings
    assert page.heading_jumps() == []
    assert page.unlabelled_fields() == []
    assert page.duplicate_ids() == set()
    assert 'href="#contenu"' in html and 'id="contenu"' in html
    return page


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
        objective.status, objective.progress = Status.IN_PROGRESS, 40
        objective.save()

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

    @pytest.mark.parametrize(
        "url",
        ["/territoires/inconnu/", "/thematiques/inconnue/", "/territoires/%C3%A9vry/"],
    )
    def test_unknown_slugs_are_404(self, client, url):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page introuvable" in html_of(response)


class TestHome:
    def test_cards_in_display_order_with_counts_and_progress(self, client):
        grigny = Territory.objects.get(slug="grigny")
        actions = Action.objects.for_territory(grigny)
        first = actions.in_document_order().first()
        first.progress, first.status = 100, Status.DONE
        first.save()

        response = client.get(reverse("home"))

        assert response.status_code == 200
        cards = response.context["cards"]
        assert [card.territory for card in cards] == list(Territory.objects.in_display_order())
        assert cards[0].territory.kind == "agglomeration"
        card = next(card for card in cards if card.territory == grigny)
        assert card.rollup.strategic == StrategicObjective.objects.for_territory(grigny).count()
        assert card.rollup.operational == (
            OperationalObjective.objects.for_territory(grigny).count()
        )
        assert card.rollup.actions == actions.count()
        leaf_objectives = OperationalObjective.objects.for_territory(grigny).filter(
            actions__isnull=True
        )
        leaves = list(actions) + list(leaf_objectives)
        assert card.rollup.total == len(leaves)
        assert round(card.rollup.avg_progress) == round(
            sum(leaf.progress for leaf in leaves) / len(leaves)
        )
        assert card.rollup.done == sum(leaf.status == Status.DONE for leaf in leaves)
        html = html_of(response)
        for territory in Territory.objects.all():
            assert territory.get_absolute_url() in html
        for thematic in Thematic.objects.all():
            assert thematic.get_absolute_url() in html
        assert 'action="/engagements/"' in html
        assert_accessible_structure(html)

    def test_footer_links(self, client):
        html = html_of(client.get(reverse("home")))
        assert "Déclaration d'accessibilité" in html
        assert 'href="/accessibilite/"' in html
        assert 'href="/glossaire/"' in html
        assert 'href="/api/docs/"' in html


def test_territory_list(client):
    response = client.get(reverse("territory_list"))
    assert response.status_code == 200
    html = html_of(response)
    for territory in Territory.objects.all():
        assert territory.get_absolute_url() in html
    assert_accessible_structure(html)


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


def test_glossary_lists_every_term(client):
    response = client.get(reverse("glossary"))
    assert response.status_code == 200
    html = html_of(response)
    for term in GlossaryTerm.objects.all():
        assert f'id="{term.slug}"' in html
        assert Glossary([]).abbreviate(term.term) in html
    assert_accessible_structure(html)


def test_accessibility_statement(client):
    response = client.get(reverse("accessibility"))
    assert response.status_code == 200
    html = html_of(response)
    assert "non conforme" in html
    assert "Défenseur des droits" in html
    assert_accessible_structure(html)


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
