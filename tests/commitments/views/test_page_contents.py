"""What each public page must show, on the seed data: titles, the protocol's tree in document
order with its counts, statuses, links and numbers, the edition in force and its marks, the
territories and thematics linked from everywhere, the glossary, the dashboards' totals, the
search's results and the API's count. These replace the golden files of the speed work (issue
#15), which compared whole pages: a deliberate change of markup costs one assertion here.
The expected figures are read from the database, never from today's date."""

import html
import re

import pytest

from commitments.enums import Level
from commitments.models import (
    Action,
    GlossaryTerm,
    OperationalObjective,
    Protocol,
    StrategicObjective,
    Thematic,
    ThematicSection,
)
from commitments.selectors.numbering import tree_paths
from commitments.selectors.protocol_tree import iter_commitments, load_protocol_tree
from commitments.services.elements import save_element
from commitments.templatetags.node_markup import public_url
from territories.models import Territory

pytestmark = pytest.mark.django_db

SLUGS = [
    "grand-paris-sud",
    "corbeil-essonnes",
    "grigny",
    "evry-courcouronnes",
    "moissy-cramayel",
    "ris-orangis",
    "savigny-le-temple",
]


def text_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def plural(n, one, many):
    return f"<strong>{n}</strong> {one if n == 1 else many}"


@pytest.mark.parametrize("slug", SLUGS)
def test_a_protocol_page_shows_its_whole_tree_in_order(client, slug):
    protocol = Protocol.objects.in_force().get(territory__slug=slug)
    page = text_of(client, f"/territoires/{slug}/")
    territory = protocol.territory
    assert f"</span> {html.escape(territory.name)}</h1>" in page
    assert f"délibération « {protocol.deliberation_reference} »" in page
    # The counts of the header, from the database.
    strategic = StrategicObjective.objects.filter(section__protocol=protocol).count()
    operational = OperationalObjective.objects.filter(
        strategic_objective__section__protocol=protocol
    ).count()
    actions = Action.objects.filter(
        operational_objective__strategic_objective__section__protocol=protocol
    ).count()
    assert plural(strategic, "objectif stratégique", "objectifs stratégiques") in page
    assert plural(operational, "objectif opérationnel", "objectifs opérationnels") in page
    assert plural(actions, "action", "actions") in page
    assert "Avancement moyen du protocole : <strong>0 %</strong>" in page
    # Every section in the table of contents and in the page, in the document's order.
    sections = list(ThematicSection.objects.filter(protocol=protocol).order_by("position"))
    headings = [m.start() for s in sections for m in re.finditer(f'<h2 id="{s.anchor}">', page)]
    assert len(headings) == len(sections) and headings == sorted(headings)
    for section in sections:
        assert f'<li><a href="#{section.anchor}">' in page
        assert f'href="/thematiques/{section.thematic.slug}/">' in page
    # Every node once, in document order, with its status, its permanent link (numbered) and,
    # for a commitment, its page.
    tree = load_protocol_tree(protocol=protocol)
    paths = tree_paths(tree)
    positions = []
    for level, node, _section in iter_commitments(tree):
        anchor = f'id="{node.anchor}"'
        assert page.count(anchor) == 1, node.anchor
        positions.append(page.index(anchor))
        number = paths[level, node.pk]
        permalink = re.escape(f'href="#{node.anchor}"><span aria-hidden="true">#</span>')
        assert re.search(permalink + f"<span [^>]*>Lien permanent vers [^<]* {number} : ", page)
        if level != Level.STRATEGIC:
            assert f'<a class="detail-link" href="{public_url(node)}">Suivi' in page
    assert positions == sorted(positions)
    leaves = operational + actions
    assert page.count('<span class="badge badge--non_renseigne">') == leaves
    # The edition in force; the seed's text is edition 1's: nothing marked.
    assert f'<a href="/territoires/{slug}/editions/1/">édition 1' in page
    assert "modifications non encore publiées" not in page
    assert 'class="edition-mark"' not in page
    assert f'href="/territoires/{slug}/protocole.pdf"' in page


def test_a_protocol_page_marks_what_changed_since_its_edition(client):
    action = Action.objects.filter(
        operational_objective__strategic_objective__section__protocol__territory__slug="grigny"
    ).first()
    action.text = "Une action réécrite depuis l'adoption"
    save_element(action)
    page = text_of(client, "/territoires/grigny/")
    assert "Une action réécrite depuis l&#x27;adoption" in page
    assert page.count('class="edition-mark"') == 1
    assert (
        '<p class="edition-mark"><a href="/territoires/grigny/modifications/?de=1&amp;a=courant#'
        in page
    )
    assert "Modifié depuis l&#x27;édition 1" in page
    assert "(1 modification)" in page


def test_the_home_page_and_the_lists_link_every_territory_and_thematic(client):
    home = text_of(client, "/")
    assert "Les engagements des Protocoles renforcés et réciproques de Grand Paris Sud" in home
    territories = text_of(client, "/territoires/")
    assert "<h1>Les territoires et leurs protocoles</h1>" in territories
    names = [territory.name for territory in Territory.objects.order_by("position")]
    at = [territories.index(f'href="/territoires/{slug}/"') for slug in SLUGS]
    assert at == sorted(at) and len(names) == len(SLUGS)
    for slug in SLUGS:
        assert f'href="/territoires/{slug}/"' in home
    thematics = text_of(client, "/thematiques/")
    for thematic in Thematic.objects.all():
        assert f'href="/thematiques/{thematic.slug}/"' in thematics
        assert f'href="/thematiques/{thematic.slug}/"' in home


@pytest.mark.parametrize("slug", ["emploi", "logement"])
def test_a_thematic_page_shows_every_territory_side_by_side(client, slug):
    thematic = Thematic.objects.get(slug=slug)
    page = text_of(client, f"/thematiques/{slug}/")
    assert f'<span class="eyebrow">Thématique</span> {html.escape(thematic.name)}</h1>' in page
    columns = [page.index(f'<h2 id="colonne-{s}">') for s in SLUGS if f"colonne-{s}" in page]
    with_section = ThematicSection.objects.filter(thematic=thematic).values("protocol__territory")
    assert len(columns) == Territory.objects.filter(pk__in=with_section).count()
    assert columns == sorted(columns)


def test_the_glossary_lists_every_term_with_its_expansion(client):
    page = text_of(client, "/glossaire/")
    assert "<h1>Glossaire</h1>" in page
    for term in GlossaryTerm.objects.all():
        assert html.escape(term.term) in page
        if term.expansion:
            assert html.escape(term.expansion) in page


def test_the_dashboards_count_the_tracked_commitments(client):
    page = text_of(client, "/tableau-de-bord/")
    assert "<h1>Tableau de bord des engagements</h1>" in page
    leaves = Action.objects.count() + OperationalObjective.objects.filter(actions=None).count()
    assert f'<span class="key-figures__value">{leaves}</span> engagements suivis' in page
    assert f"Sur {leaves} engagements suivis" in page
    grigny = text_of(client, "/tableau-de-bord/grigny/")
    assert "<h1>Tableau de bord — Grigny</h1>" in grigny
    protocol = Protocol.objects.in_force().get(territory__slug="grigny")
    in_grigny = (
        Action.objects.filter(
            operational_objective__strategic_objective__section__protocol=protocol
        ).count()
        + OperationalObjective.objects.filter(
            strategic_objective__section__protocol=protocol, actions=None
        ).count()
    )
    assert f"{in_grigny}</span> engagements suivis" in grigny


def test_the_search_shows_its_results_and_says_when_there_is_none(client):
    page = text_of(client, "/engagements/?q=illectronisme")
    found = re.search(r"<title>(\d+) résultats? — Rechercher un engagement", page)
    assert found and int(found[1]) > 0
    assert 'href="/engagements/action/' in page or 'href="/engagements/objectif/' in page
    nothing = text_of(client, "/engagements/?q=introuvablezzz")
    assert "Aucun engagement ne correspond à ces critères." in nothing
    for page_number in ("999", "0", "abc"):
        assert "Rechercher un engagement" in text_of(client, f"/engagements/?page={page_number}")
    grigny = text_of(client, "/engagements/?territoire=grigny&q=emploi")
    assert "Corbeil-Essonnes</a>" not in grigny.split("<main", 1)[1].split("</form>", 1)[1]


def test_the_api_lists_every_action(client):
    data = client.get("/api/v1/actions/").json()
    assert data["count"] == Action.objects.count()
    assert data["next"].endswith("/api/v1/actions/?page=2")
    assert data["results"][0]["path"] == "1.1.1.1"
    grigny = client.get("/api/v1/actions/?territoire=grigny").json()
    assert (
        grigny["count"]
        == Action.objects.filter(
            operational_objective__strategic_objective__section__protocol__territory__slug="grigny"
        ).count()
    )
