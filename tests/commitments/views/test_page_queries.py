"""Each public page runs a constant number of SQL queries, whatever the size of the data, and
at most 10 (issue #15), page cache version included: each page is counted with an empty cache,
then again after the data grew (the count may not grow)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.enums import Status
from commitments.models import Thematic
from commitments.services.content_changes import record_change
from tests.factories import (
    ActionFactory,
    AxisFactory,
    GlossaryTermFactory,
    OperationalObjectiveFactory,
    PartnerFactory,
    ProtocolFactory,
    SectionFactory,
    StrategicObjectiveFactory,
)
from tests.support.progress import report_today

pytestmark = pytest.mark.django_db

# Upper bounds, so that a page that grows a query per row or per section is caught even when
# the test data happen to be small. The measured counts are printed by `pytest -s`.
MAX_QUERIES = {
    "home": 8,
    "territory_list": 8,
    # views/protocol_page.py: protocol, tree (6), edition in force, glossary, page cache version;
    # with the section fragments cached, no tree nor edition (4).
    "territory": 10,
    "thematic": 10,
    "thematic_list": 6,
    "search": 10,  # views/search_page.py: facets (4), page with its count, levels (3), glossary
    "glossary": 2,
    # The body cached (rendering/dashboard_bodies.py): the content version and the last
    # closed campaign's stamp, and the territory; build_dashboard's on the first view after an edit.
    "dashboard": 2,
    "territory_dashboard": 3,
    "api_actions": 10,
}
# selectors/dashboard_data.build_dashboard with the thematics and territories, on a dashboard's
# first view after an edit.
DASHBOARD_BUILD_QUERIES = 10


class Tree:
    """A factory-built protocol that the tests can grow; every branch has leads, partners and
    axes so that every prefetch runs even on the small tree."""

    def __init__(self):
        self.protocol = ProtocolFactory()
        self.territory = self.protocol.territory
        self.thematic = Thematic.objects.get(slug="emploi")
        self.partner, self.axis = PartnerFactory(), AxisFactory()

    def grow(self, sections=1, objectives=1, operationals=1, actions=1):
        for _ in range(sections):
            section = SectionFactory(protocol=self.protocol, thematic=self.thematic)
            for _ in range(objectives):
                so = StrategicObjectiveFactory(section=section, details="Un.\n\nDeux.")
                self.tag(so)
                for _ in range(operationals):
                    oo = OperationalObjectiveFactory(strategic_objective=so, pilot=self.partner)
                    report_today(oo, Status.IN_PROGRESS, 0)
                    self.tag(oo)
                    for _ in range(actions):
                        self.tag(ActionFactory(operational_objective=oo, pilot=self.partner))

    def tag(self, node):
        node.partners.add(self.partner)
        node.axes.add(self.axis)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def assert_constant(client, url, grow, name, django_assert_max_num_queries):
    small = count_queries(client, url)
    grow()
    with django_assert_max_num_queries(small):
        client.get(url)
    print(f"{name}: {small} queries")
    assert small <= MAX_QUERIES[name]


@pytest.fixture
def tree():
    tree = Tree()
    tree.grow()
    return tree


def test_territory_page(client, tree, django_assert_max_num_queries):
    assert_constant(
        client,
        tree.territory.get_absolute_url(),
        lambda: tree.grow(sections=3, objectives=3, operationals=3, actions=4),
        "territory",
        django_assert_max_num_queries,
    )


def test_territory_page_cold_and_warm_at_two_sizes(client, tree, django_assert_max_num_queries):
    """Cold (every cache empty, after a deploy): the tree loaded, every section rendered; warm
    (the page cache bypassed by a new ignored parameter, the section fragments cached:
    rendering/protocol_fragments.py): no tree loaded — protocol, sections, glossary and the
    page cache's version. Both constant when the protocol grows."""
    url = tree.territory.get_absolute_url()
    cache.clear()
    cold = count_queries(client, f"{url}?_n=1")
    warm = count_queries(client, f"{url}?_n=2")
    assert warm <= 4 < cold <= MAX_QUERIES["territory"]
    tree.grow(sections=3, objectives=3, operationals=3, actions=4)
    record_change(tree.protocol)
    cache.clear()
    with django_assert_max_num_queries(cold):
        client.get(f"{url}?_n=3")
    with django_assert_max_num_queries(warm):
        client.get(f"{url}?_n=4")
    print(f"territory: cold {cold}, warm {warm} queries")


def test_seeded_protocol_pages_stay_within_bound(client, django_assert_max_num_queries):
    for slug in ("grand-paris-sud", "grigny", "ris-orangis"):
        with django_assert_max_num_queries(MAX_QUERIES["territory"]):
            client.get(f"/territoires/{slug}/")


def test_home_and_territory_list(client, tree, django_assert_max_num_queries):
    def grow():
        tree.grow(sections=2, objectives=3, operationals=3, actions=3)
        Tree().grow()  # one more territory with its protocol

    assert_constant(client, "/", grow, "home", django_assert_max_num_queries)
    assert_constant(
        client, "/territoires/", Tree().grow, "territory_list", django_assert_max_num_queries
    )


def test_thematic_page(client, tree, django_assert_max_num_queries):
    assert_constant(
        client,
        "/thematiques/emploi/",
        lambda: tree.grow(sections=2, objectives=3, operationals=3, actions=4),
        "thematic",
        django_assert_max_num_queries,
    )


def test_thematic_list(client, tree, django_assert_max_num_queries):
    def grow():
        tree.grow(sections=2, objectives=3, operationals=3, actions=4)
        Tree().grow()  # one more territory with its protocol

    assert_constant(client, "/thematiques/", grow, "thematic_list", django_assert_max_num_queries)


@pytest.mark.parametrize(
    "query",
    ["territoire={slug}", "territoire={slug}&q=Action", "partenaire={partner}&page=2"],
)
def test_search_page(client, tree, query, django_assert_max_num_queries):
    url = "/engagements/?" + query.format(slug=tree.territory.slug, partner=tree.partner.slug)
    assert_constant(
        client,
        url,
        lambda: tree.grow(sections=1, objectives=2, operationals=3, actions=15),
        "search",
        django_assert_max_num_queries,
    )


def test_glossary(client, django_assert_max_num_queries):
    assert_constant(
        client,
        "/glossaire/",
        lambda: GlossaryTermFactory.create_batch(30),
        "glossary",
        django_assert_max_num_queries,
    )


def count_warm(client, url, n):
    """Queries of `url` once what the page caches under the content version (the dashboards'
    bodies) is cached: a first request with another, ignored parameter."""
    client.get(f"{url}?chauffe={n}")
    return count_queries(client, f"{url}?mesure={n}")


@pytest.mark.parametrize("name", ["dashboard", "territory_dashboard"])
def test_dashboards(client, tree, name):
    url = "/tableau-de-bord/" + (f"{tree.territory.slug}/" if name != "dashboard" else "")
    # The first view after an edit builds the body (rendering/dashboard_bodies.py); the next
    # ones read it from the cache.
    cold = count_queries(client, url)
    small = count_warm(client, url, 1)
    assert small < cold
    tree.grow(sections=2, objectives=3, operationals=3, actions=4)
    Tree().grow()  # one more territory with its protocol
    assert count_queries(client, f"{url}?apres=1") == cold
    assert count_warm(client, url, 2) == small
    print(f"{name}: {small} queries ({cold} on the first view after an edit)")
    assert small <= MAX_QUERIES[name]
    assert cold <= MAX_QUERIES[name] + DASHBOARD_BUILD_QUERIES


def test_api_action_list(client, tree, django_assert_max_num_queries):
    assert_constant(
        client,
        "/api/v1/actions/",
        lambda: tree.grow(sections=2, objectives=3, operationals=3, actions=4),
        "api_actions",
        django_assert_max_num_queries,
    )


def test_out_of_range_search_page_stays_within_bound(client, tree, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES["search"]):
        assert client.get("/engagements/?page=999").status_code == 200
