"""perer/lib/text.py: the fast `truncatewords` of the links' names (templatetags/node_markup.py)
prints what Django's filter does."""

from django.template.defaultfilters import truncatewords
from hypothesis import given
from hypothesis import strategies as st

from perer.lib.text import truncated_words

WORDS = st.lists(
    st.sampled_from(["l'action", "…", "Emploi", "", " ", "\u00a0", "\n", "a:", "QPV", "é"]),
    max_size=20,
)


@given(pieces=WORDS, count=st.integers(min_value=0, max_value=12))
def test_the_same_as_django_s_filter(pieces, count):
    text = " ".join(pieces)
    assert truncated_words(text, count) == truncatewords(text, count)


def test_examples():
    text = "Développer l'offre  d'insertion\tpar l'activité économique dans les quartiers"
    assert truncated_words(text, 3) == truncatewords(text, 3) == "Développer l'offre d'insertion …"
    assert truncated_words("Deux mots", 8) == truncatewords("Deux mots", 8) == "Deux mots"
    assert truncated_words(None, 8) == truncatewords(None, 8)
