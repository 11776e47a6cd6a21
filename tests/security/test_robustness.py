"""Random paths and query strings thrown at every public URL: never a server error."""

from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

SLUGS = ["grand-paris-sud", "grigny", "savigny-le-temple"]
PAGES = [
    "/",
    "/territoires/",
    "/territoires/{slug}/",
    "/thematiques/{thematic}/",
    "/engagements/",
    "/glossaire/",
    "/accessibilite/",
    "/tableau-de-bord/",
    "/tableau-de-bord/{slug}/",
    "/engagements/action/{n}/",
    "/engagements/objectif/{n}/",
    "/flux/mises-a-jour.atom",
    "/api/v1/territories/",
    "/api/v1/actions/",
    "/api/v1/operational-objectives/",
    "/api/v1/strategic-objectives/",
    "/donnees/engagements.csv",
]
PARAMS = [
    "territoire",
    "thematique",
    "statut",
    "niveau",
    "partenaire",
    "axe",
    "q",
    "page",
    "format",
]

wild_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40
)
slug_like = st.one_of(st.sampled_from(SLUGS), wild_text)
number = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12).map(str), st.sampled_from(["0", "x", "1e9"])
)


def _fill(template, slug, thematic, n):
    return template.format(
        slug=quote(slug, safe=""), thematic=quote(thematic, safe=""), n=quote(n, safe="")
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    template=st.sampled_from(PAGES),
    slug=slug_like,
    thematic=st.one_of(st.sampled_from(["emploi", "education", "lien-social"]), wild_text),
    n=number,
    query=st.lists(
        st.tuples(st.one_of(st.sampled_from(PARAMS), wild_text), st.one_of(wild_text, number)),
        max_size=5,
    ),
)
def test_public_urls_never_fail(client, template, slug, thematic, n, query):
    url = _fill(template, slug, thematic, n)
    if query:
        url += "?" + urlencode(query)
    response = client.get(url)
    assert response.status_code < 500, url


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.lists(wild_text, min_size=1, max_size=4))
def test_random_paths_never_fail(client, path):
    url = "/" + "/".join(quote(part, safe="") for part in path)
    response = client.get(url)
    assert response.status_code < 500, url
