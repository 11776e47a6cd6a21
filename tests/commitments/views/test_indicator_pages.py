"""The indicators' public pages: /indicateurs/ and its filters, a territory's indicators, one
indicator (chart, table, situation, the commitment it measures), the comparison across
territories; 404s, French messages, escaping, constant query counts, read-only."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import Indicator
from tests.factories import (
    ActionFactory,
    IndicatorDefinitionFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    OperationalObjectiveFactory,
    StrategicObjectiveFactory,
)

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr data-kind="(\w+)" data-year="(\d*)" data-value="([\d.]*)">')
POINT = re.compile(
    r'class="(?:point|level) (\w+)" data-kind="\w+" data-year="(\d*)" data-value="([\d.]*)"'
)


@pytest.fixture
def late():
    """An indicator behind its trajectory, with hostile texts: 10 % (2018) → 50 % (2028), 12 %
    in 2022 while the line stands at 26 %."""
    definition = IndicatorDefinitionFactory(
        code="taux-test", name="Taux <script>x</script>", definition="Part <i>de</i> tests"
    )
    indicator = IndicatorFactory(
        definition=definition,
        action=ActionFactory(text="Agir <em>vite</em>"),
        scope="Quartier <b>Nord</b>",
        source="INSEE <sup>",
        direction="hausse",
        baseline_value=10,
        baseline_year=2018,
        target_value=50,
        target_year=2028,
        wording="Porter à <u>50 %</u>",
    )
    IndicatorValueFactory(
        indicator=indicator, year=2020, value=20, source="CAF <s>", comment="Note <img src=x>"
    )
    IndicatorValueFactory(indicator=indicator, year=2022, value=12)
    return indicator


def test_every_page_is_public_and_read_only(client, late):
    grigny = Indicator.objects.get(
        territory__slug="grigny", definition__code="scolarisation-moins-3-ans"
    )
    for url in (
        "/indicateurs/",
        "/territoires/grigny/indicateurs/",
        f"/indicateurs/{grigny.pk}/",
        "/indicateurs/comparer/?code=scolarisation-moins-3-ans",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'aria-current="page">Indicateurs</a>' in response.content.decode()
        for method in ("post", "put", "delete"):
            assert getattr(client, method)(url).status_code == 405, (method, url)


def test_the_list_with_the_seeded_indicators(client):
    html = client.get("/indicateurs/").content.decode()
    assert f"{Indicator.objects.count()} indicateurs" in html
    assert "Taux de scolarisation des enfants de moins de 3 ans — Grigny" in html
    assert "Logements livrés — Moissy-Cramayel (écoquartier de Chanteloup)" in html
    assert "2\u00a0400 à l&#x27;horizon 2030" in html
    # Grigny's schooling: 35 % in 2017, a target of 50 % without a year: not reached yet.
    assert "35\u00a0% (2017)" in html
    assert "Objectif pas encore atteint" in html


def test_filters(client, late):
    html = client.get("/indicateurs/?territoire=grigny").content.decode()
    assert "— Grigny" in html and "— Moissy-Cramayel" not in html
    assert "5 indicateurs" in html
    html = client.get("/indicateurs/?thematique=education").content.decode()
    assert "Taux de scolarisation" in html and "Logements livrés" not in html
    html = client.get("/indicateurs/?trajectoire=en-retard").content.decode()
    assert "1 indicateur<" in html
    assert f'href="/indicateurs/{late.pk}/"' in html
    assert "En retard sur la trajectoire" in html
    html = client.get("/indicateurs/?trajectoire=en-retard&territoire=grigny").content.decode()
    assert "0 indicateur" in html and "Aucun indicateur ne correspond" in html


@pytest.mark.parametrize(
    "query",
    [
        "territoire=nulle-part",
        "thematique=zzz",
        "trajectoire=bientot",
        "territoire=%00",
        "territoire=a%00b",
    ],
)
def test_a_bad_filter_gets_a_french_message(client, query):
    response = client.get(f"/indicateurs/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Certains filtres ne sont pas valides" in html
    assert "Sélectionnez un choix valide" in html or "Le caractère nul n’est pas autorisé" in html


def test_a_territory_page(client, late):
    html = client.get("/territoires/grigny/indicateurs/").content.decode()
    assert "Indicateurs de Grigny" in html and "Maisons de quartier agréées par la CAF" in html
    assert "Logements livrés" not in html
    html = client.get("/territoires/ris-orangis/indicateurs/").content.decode()
    assert "n'énonce aucun objectif chiffré" in html


def test_the_indicator_page(client, late):
    response = client.get(f"/indicateurs/{late.pk}/")
    html = response.content.decode()
    assert "En retard sur la trajectoire" in html
    # The commitment it measures, linked to its page.
    assert f'href="{late.action.get_public_url()}"' in html
    assert "Agir &lt;em&gt;vite&lt;/em&gt;" in html
    # Source, definition, scope, the protocol's wording.
    for text in (
        "INSEE &lt;sup&gt;",
        "Part &lt;i&gt;de&lt;/i&gt; tests",
        "Quartier &lt;b&gt;Nord&lt;/b&gt;",
        "Porter à &lt;u&gt;50 %&lt;/u&gt;",
        "CAF &lt;s&gt;",
        "Note &lt;img src=x&gt;",
    ):
        assert text in html, text
    for tag in ("<script>x", "<i>de", "<b>Nord", "<u>50", "<img src=x", "<sup>", "<em>vite"):
        assert tag not in html, tag
    # The chart and its table show the same points; the trajectory column says where the line
    # stands (26 % in 2022).
    assert sorted(ROW.findall(html)) == sorted(POINT.findall(html))
    assert len(ROW.findall(html)) == 4
    assert "<td>26\u00a0%</td>" in html
    assert 'role="img"' in html and "12\u00a0% (2022)" in html
    assert "/indicateurs/comparer/?code=taux-test" in html


def test_a_strategic_objective_links_to_its_place_in_the_protocol(client):
    objective = StrategicObjectiveFactory()
    indicator = IndicatorFactory(action=None, strategic_objective=objective)
    html = client.get(f"/indicateurs/{indicator.pk}/").content.decode()
    assert f'href="{objective.get_absolute_url()}"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/indicateurs/999999999/",
        "/indicateurs/123456789012345678/",
        "/indicateurs/1234567890123456789/",
        "/indicateurs/abc/",
        "/territoires/nulle-part/indicateurs/",
        "/indicateurs/comparer/?code=inconnu",
        "/indicateurs/comparer/?code=a%00b",
        "/indicateurs/comparer/?code=" + "a" * 300,
    ],
)
def test_not_found_is_a_french_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_the_comparison(client, late):
    other = IndicatorFactory(definition=late.definition, target_value=40)
    html = client.get("/indicateurs/comparer/?code=taux-test").content.decode()
    assert f'href="/indicateurs/{late.pk}/"' in html and f'href="/indicateurs/{other.pk}/"' in html
    assert html.count('class="comparison-row"') == 2
    assert "Pas encore de valeur" in html and "12\u00a0% (2022)" in html
    assert "<script>x" not in html


def test_without_a_code_the_definitions_to_compare(client, late):
    for url in ("/indicateurs/comparer/", "/indicateurs/comparer/?code="):
        html = client.get(url).content.decode()
        assert 'href="/indicateurs/comparer/?code=scolarisation-moins-3-ans"' in html
        assert "Taux &lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html


def test_the_commitment_page_lists_its_indicators(client, late):
    html = client.get(late.action.get_public_url()).content.decode()
    assert f'href="/indicateurs/{late.pk}/"' in html
    assert "12\u00a0% (2022)" in html and "50\u00a0% en 2028" in html
    assert "En retard sur la trajectoire" in html
    objective = OperationalObjectiveFactory()
    assert 'id="indicateurs"' not in client.get(objective.get_public_url()).content.decode()


def grow(territory_action, count):
    """`count` more indicators (with values) in the territory of `territory_action`, and as many
    measuring that action."""
    for _ in range(count):
        indicator = IndicatorFactory(
            action=ActionFactory(operational_objective=territory_action.operational_objective),
            baseline_value=5,
            baseline_year=2018,
            target_value=60,
            target_year=2030,
        )
        for year in (2019, 2020, 2021):
            IndicatorValueFactory(indicator=indicator, year=year, value=year - 2000)
        on_action = IndicatorFactory(action=territory_action)
        IndicatorValueFactory(indicator=on_action, year=2021)


def test_constant_query_counts(client, late, django_assert_max_num_queries):
    slug = late.territory.slug
    urls = [
        "/indicateurs/",
        "/indicateurs/?trajectoire=en-retard&thematique=education",
        f"/territoires/{slug}/indicateurs/",
        f"/indicateurs/{late.pk}/",
        "/indicateurs/comparer/?code=taux-test",
        "/indicateurs/comparer/",
        late.action.get_public_url(),
    ]
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        counts[url] = len(context.captured_queries)
    grow(late.action, 6)
    for _ in range(4):
        IndicatorFactory(definition=late.definition)
    for url in urls:
        cache.clear()
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200
    assert counts["/indicateurs/"] <= 5 and counts[f"/indicateurs/{late.pk}/"] <= 3
