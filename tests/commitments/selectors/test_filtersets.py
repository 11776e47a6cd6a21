"""The search's reference filters rendered and validated from cached lists
(selectors/filtersets.py): the same options and messages as from their querysets, no query, and
a change of a reference list shows at once (the cache key is the content version)."""

import pytest

from commitments.selectors.filtersets import ActionFilter, facet_lists, use_facets
from commitments.services.elements import save_element
from commitments.views.page_cache import content_version
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

DATA = {"territoire": ["grigny", "ris-orangis"], "thematique": "emploi"}


def forms_for(data):
    plain = ActionFilter(data).form
    listed = ActionFilter(data).form
    use_facets(listed, facet_lists())
    return plain, listed


def test_same_options_as_the_querysets():
    plain, listed = forms_for(DATA)
    for name in ("territoire", "thematique", "partenaire", "axe"):
        assert str(listed[name]) == str(plain[name])


def test_same_cleaned_values(django_assert_num_queries):
    plain, listed = forms_for(DATA)
    assert plain.is_valid()
    with django_assert_num_queries(0):
        assert listed.is_valid()
    assert list(listed.cleaned_data["territoire"]) == list(plain.cleaned_data["territoire"])
    assert listed.cleaned_data["thematique"] == plain.cleaned_data["thematique"]


@pytest.mark.parametrize(
    "data", [{"territoire": ["nulle-part"]}, {"thematique": "rien"}, {"axe": "x\x00"}]
)
def test_same_errors(data):
    plain, listed = forms_for(data)
    assert not plain.is_valid()
    assert not listed.is_valid()
    assert listed.errors == plain.errors


def test_a_new_partner_shows_on_the_search_page_at_once(client):
    assert client.get("/engagements/").status_code == 200
    assert facet_lists(content_version())  # cached under the current version
    partner = save_element(PartnerFactory.build(name="Partenaire tout neuf"))
    page = client.get("/engagements/").content.decode()
    assert "Partenaire tout neuf" in page
    assert client.get(f"/engagements/?partenaire={partner.slug}").status_code == 200
