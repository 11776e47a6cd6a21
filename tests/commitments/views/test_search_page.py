"""/engagements/: filters over the three levels, full-text search, pagination, bad input."""

import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from commitments.enums import Status
from commitments.models import (
    Action,
    OperationalObjective,
    StrategicObjective,
    Thematic,
)
from commitments.views.search_page import PER_PAGE
from territories.models import Territory
from tests.factories import ActionFactory, AxisFactory, PartnerFactory
from tests.support.html import PageStructure

pytestmark = pytest.mark.django_db

URL = reverse("commitment_search")
MODELS = (StrategicObjective, OperationalObjective, Action)


def search(client, params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content[:2000]
    return response


def all_results(client, params):
    """Every result of the search, page after page."""
    first = search(client, params)
    results = list(first.context["results"])
    for number in range(2, first.context["paginator"].num_pages + 1):
        results += search(client, {**params, "page": number}).context["results"]
    assert len(results) == first.context["paginator"].count
    return results


def fold(text):
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def test_no_filter_lists_every_commitment_in_document_order(client):
    response = search(client, {})

    total = sum(model.objects.count() for model in MODELS)
    assert response.context["paginator"].count == total
    results = response.context["results"]
    assert len(results) == PER_PAGE
    agglomeration = Territory.objects.in_display_order().first()
    first_so = StrategicObjective.objects.for_territory(agglomeration).in_document_order().first()
    assert results[0] == first_so
    # Document order: a strategic objective, then its first operational objective.
    first_oo = first_so.operational_objectives.order_by("position").first()
    assert results[1] == first_oo
    html = response.content.decode()
    assert f'href="{first_so.get_absolute_url()}"' in html
    assert first_so.get_absolute_url().endswith(
        f"/territoires/{agglomeration.slug}/#os-{first_so.pk}"
    )


def test_territories_thematic_and_level_combine(client):
    territories = list(Territory.objects.filter(slug__in=["grigny", "ris-orangis"]))
    thematic = Thematic.objects.get(slug="emploi")
    params = {"territoire": ["grigny", "ris-orangis"], "thematique": "emploi"}

    results = all_results(client, params)

    expected = {
        (type(node), node.pk)
        for model in MODELS
        for node in model.objects.for_territories(territories).for_thematic(thematic)
    }
    assert expected
    assert {(type(node), node.pk) for node in results} == expected

    actions_only = all_results(client, {**params, "niveau": "action"})
    assert {node.pk for node in actions_only} == {pk for model, pk in expected if model is Action}
    assert all(isinstance(node, Action) for node in actions_only)


def test_status_keeps_only_tracked_commitments_with_that_status(client):
    grigny = Territory.objects.get(slug="grigny")
    action = Action.objects.for_territory(grigny).first()
    objective = OperationalObjective.objects.for_territory(grigny).last()
    Action.objects.filter(pk=action.pk).update(status=Status.IN_PROGRESS)
    OperationalObjective.objects.filter(pk=objective.pk).update(status=Status.IN_PROGRESS)

    results = all_results(client, {"statut": "en_cours"})

    assert set(results) == {action, objective}
    assert all_results(client, {"statut": "en_cours", "niveau": "strategique"}) == []
    assert all_results(client, {"statut": "en_cours", "territoire": "ris-orangis"}) == []


def test_partner_and_axis(client):
    partner, axis = PartnerFactory(), AxisFactory()
    so = StrategicObjective.objects.for_territory(Territory.objects.get(slug="grigny")).first()
    action = Action.objects.for_territory(Territory.objects.get(slug="evry-courcouronnes")).first()
    so.partners.add(partner)
    action.partners.add(partner)
    so.axes.add(axis)

    assert set(all_results(client, {"partenaire": partner.slug})) == {so, action}
    assert all_results(client, {"partenaire": partner.slug, "niveau": "action"}) == [action]
    assert all_results(client, {"axe": axis.slug}) == [so]
    assert all_results(client, {"axe": axis.slug, "partenaire": partner.slug}) == [so]
    assert all_results(client, {"axe": axis.slug, "territoire": "evry-courcouronnes"}) == []


def test_illectronisme_found_in_at_least_four_territories(client):
    results = all_results(client, {"q": "illectronisme"})

    territories = {node.territory.slug for node in results}
    assert len(territories) >= 4, territories
    # Every commitment whose own text names it is among the results.
    named = {
        node
        for model in MODELS
        for node in model.objects.all()
        if "illectronisme" in fold(node.text + " " + node.details)
    }
    assert named and named <= set(results)


def test_text_search_within_a_territory(client):
    results = all_results(client, {"q": "emploi", "territoire": "grigny"})

    assert results
    assert {node.territory.slug for node in results} == {"grigny"}
    named = {
        node
        for model in MODELS
        for node in model.objects.for_territory(Territory.objects.get(slug="grigny"))
        if "emploi" in fold(node.text + " " + node.details)
    }
    assert named <= set(results)


@pytest.mark.postgres_only(reason="French stemming needs PostgreSQL")
def test_search_ignores_accents_and_stems_on_postgresql(client):
    results = all_results(client, {"q": "education"})

    accented_only = [
        node
        for node in results
        if "éducation" in (node.text + node.details).casefold()
        and "education" not in (node.text + node.details).casefold()
    ]
    assert accented_only
    # Stemming: the plural finds the singular.
    assert set(all_results(client, {"q": "éducations"})) == set(results)


def test_active_filters_removable_one_by_one(client):
    params = {"territoire": ["grigny", "ris-orangis"], "q": "emploi", "page": "2"}

    response = client.get(URL, params)

    active = dict(response.context["active_filters"])
    assert set(active) == {"Territoire : Grigny", "Territoire : Ris-Orangis", "Texte : « emploi »"}
    without_grigny = parse_qs(urlsplit(active["Territoire : Grigny"]).query)
    assert without_grigny == {"territoire": ["ris-orangis"], "q": ["emploi"]}
    without_text = parse_qs(urlsplit(active["Texte : « emploi »"]).query)
    assert without_text == {"territoire": ["grigny", "ris-orangis"]}
    assert active["Territoire : Grigny"].replace("&", "&amp;") in response.content.decode()


class TestPagination:
    def test_pages_partition_the_results(self, client):
        first = search(client, {"thematique": "education"})
        paginator = first.context["paginator"]
        assert paginator.num_pages >= 2
        second = search(client, {"thematique": "education", "page": 2})
        assert not set(first.context["results"]) & set(second.context["results"])
        html = first.content.decode()
        assert "thematique=education&amp;page=2" in html

    @pytest.mark.parametrize("page", ["999999", "10" * 40, "-3", "0"])
    def test_out_of_range_shows_the_last_page(self, client, page):
        response = search(client, {"page": page})
        assert response.context["page"].number == response.context["paginator"].num_pages

    @pytest.mark.parametrize("page", ["abc", "1e3", "2.5", "", "\x00"])
    def test_not_a_number_shows_the_first_page(self, client, page):
        assert search(client, {"page": page}).context["page"].number == 1


@pytest.mark.parametrize(
    "params",
    [
        {"territoire": "inconnu"},
        {"territoire": ["grigny", "nulle-part"]},
        {"thematique": "inconnue"},
        {"statut": "termine"},
        {"niveau": "ministere"},
        {"partenaire": "personne"},
        {"axe": "aucun"},
        {"q": "x" * 500},
        {"q": "emploi\x00"},
        {"territoire": "\x00"},
        {"thematique": "' OR 1=1 --"},
    ],
)
def test_invalid_filters_give_a_clear_400(client, params):
    response = client.get(URL, {**params, "page": "abc"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Certains filtres ne sont pas valides" in html
    assert PageStructure(html).unlabelled_fields() == []


@pytest.mark.parametrize("q", ['"""', "-", "OR", "!!! & | :*", "l'", "«»", "   "])
def test_odd_search_terms_never_fail(client, q):
    search(client, {"q": q})


def test_results_page_structure(client):
    ActionFactory(
        operational_objective=OperationalObjective.objects.for_territory(
            Territory.objects.get(slug="grigny")
        ).first(),
        position=9999,
    )
    html = search(client, {"q": "emploi"}).content.decode()
    page = PageStructure(html)
    assert [level for level, _ in page.headings].count(1) == 1
    assert page.heading_jumps() == []
    assert page.unlabelled_fields() == []


class TestOnAPhone:
    """The count and the results come first (the filters after them, reachable by a link);
    after filtering, the focus goes to the results' heading (autofocus, no script)."""

    def test_results_before_the_filters_with_a_link_to_them(self, client):
        html = search(client, {"q": "emploi"}).content.decode()
        main = html.split('id="contenu"', 1)[1]
        assert '<a class="skip-to-filters" href="#filtres">Filtres</a>' in main
        assert main.index('id="titre-resultats"') < main.index('id="filtres"')
        assert main.index('href="#filtres"') < main.index('id="titre-resultats"')

    def test_focus_on_the_results_heading_after_filtering_only(self, client):
        heading = '<h2 id="titre-resultats" class="results__count" tabindex="-1" autofocus>'
        assert heading in search(client, {"territoire": "grigny"}).content.decode()
        assert heading in search(client, {"q": "emploi", "page": 2}).content.decode()
        first_visit = search(client, {}).content.decode()
        assert 'id="titre-resultats"' in first_visit and "autofocus" not in first_visit
        errors = client.get(URL, {"statut": "termine"}).content.decode()
        assert 'tabindex="-1" autofocus' in errors.split("Certains filtres ne sont pas")[0]

    @pytest.mark.parametrize(
        ("params", "title"),
        [
            ({"q": "zzzzqqqq"}, "<title>0 résultat — Rechercher un engagement"),
            ({"q": "Zyxwvutsr"}, "<title>1 résultat — Rechercher un engagement"),
            ({"territoire": "grigny"}, " résultats — Rechercher un engagement"),
        ],
    )
    def test_the_count_in_the_title_even_when_zero(self, client, params, title):
        ActionFactory(text="Une action Zyxwvutsr")
        response = search(client, params)
        html = response.content.decode()
        assert title in html
        count = response.context["paginator"].count
        plural = "s" if count > 1 else ""
        assert f"<title>{count} résultat{plural} — " in html
        assert f">{count} engagement{plural} trouvé{plural}" in html

    def test_no_title_ends_with_a_colon_in_the_results(self, client):
        """Titles that introduce a list in the protocol end with ":": not in the results, where
        nothing follows. The protocol page keeps the exact text."""
        objective = OperationalObjective.objects.filter(text__endswith=":").first()
        assert objective is not None
        territory = objective.territory
        params = {"territoire": territory.slug, "niveau": "operationnel"}
        first = search(client, params)
        pages = range(1, first.context["paginator"].num_pages + 1)
        titles = []
        for number in pages:
            html = search(client, {**params, "page": number}).content.decode()
            titles += re.findall(r'class="result__title"><a [^>]*>(.*?)</a>', html, re.S)
        assert len(titles) == first.context["paginator"].count
        assert [title for title in titles if title.rstrip().endswith(":")] == []
        exact = client.get(territory.get_absolute_url()).content.decode()
        assert re.search(r"\s:</p>", exact)
