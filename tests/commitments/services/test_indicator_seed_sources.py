"""The seeded indicators against the sources themselves (fixtures/sources/*.txt, parsed by
tests/support/source_check.py independently of fixtures/, as the seed's completeness test does).

- Each indicator's sentence (`wording`) is found verbatim in its territory's part of the
  sources, and in the text of the commitment it is attached to.
- Every figure of the indicator — baseline, target, factor, years, values — appears in that
  sentence (as digits, or as a word: « quatre »), and its horizon is the sentence's own words.
- Every figure of a sentence is carried by the indicators quoting it: none dropped.
- Every figure of the whole sources is either inside an indicator's sentence or listed below
  (NOT_INDICATORS) with why it measures nothing; each listed fragment is in the sources.
So a figure added to the sources, or an indicator changed, fails here until it is accounted for.
"""

import re
from decimal import Decimal

import pytest

from commitments.models import Indicator
from tests.support.source_check import SLUGS, norm, parse_sources

# Numbers the sources write in words (they write no other).
NUMBER_WORDS = {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "dix": 10}
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)

# The figures of the sources that are not indicators, by territory: a fragment of the sentence
# around the figure, and why it measures nothing.
NOT_INDICATORS = {
    "grand-paris-sud": {
        "charte d'achats responsable pour la partie 77": "a département's number",
        "la dynamique portée dans le 91": "a département's number",
        "particulièrement dans le 2nd degré": "a level of schooling",
        "stages 3èmes": "a school year (troisième)",
    },
    "corbeil-essonnes": {
        "le public de 13 à 17 ans": "the ages of a public",
    },
    "grigny": {
        "feuille de route « Grigny 2030 »": "the name of a plan",
        "signé le 25 janvier 2019": "the date of a contract",
        "enfants de moins de 3 ans": "the ages of a public (the goal is an indicator)",
        "Contrat Local de Santé 2": "the name of a contract",
        "sur 15/20 ans": "the length of a plan: the horizon of the 50 % of social housing, "
        "which that indicator carries",
        "LLS sur Grigny 2": "the name of a neighbourhood",
        "copropriétaires de Grigny2": "the name of a neighbourhood",
        "aux droits sanitaires et sociaux (2019)": "the year of a study (an action's date)",
        "(Cf. : feuille de route Grigny2030)": "the name of a plan",
        "depuis la loi santé de 2016": "the date of a law",
        "encadrée depuis 2008": "the history of the health policy",
        "depuis 2014 par un contrat local de santé": "the history of the health policy",
        "pluri professionnelle en 2010": "the history of the health policy",
        "autour des 3 orientations prioritaires": "the count of a plan's headings",
        "1- Développer l'offre de soins": "the numbering of a list",
        "2- Consolider et développer la prévention": "the numbering of a list",
        "3- Bâtir une approche globale": "the numbering of a list",
        "du CLS 2018-2022 autour de 5 axes": "the period and headings of a contract",
    },
    "evry-courcouronnes": {
        "prioritaires jusqu'en 2022": "the protocol's period",
        "au travers de 5 axes prioritaires": "the count of a plan's headings",
    },
    "moissy-cramayel": {
        "aux jeunes de 2 à 16 ans": "the ages of a public",
        "la scolarisation des moins de 3 ans": "the ages of a public (no figure is set for it)",
        "(bailleur Habitat 77)": "the name of a landlord",
    },
    "ris-orangis": {
        "baisse des crédits constatée en 2019": "the year of a past event (no amount given)",
    },
    "savigny-le-temple": {},
}


def number_of(token):
    word = NUMBER_WORDS.get(token.lower())
    return Decimal(word) if word is not None else Decimal(token.replace(",", "."))


def numbers_in(text):
    return {number_of(match.group()) for match in NUMBER_RE.finditer(text)}


def indicator_numbers(indicator):
    """Every figure an indicator holds, as the text would write it."""
    figures = [
        indicator.baseline_value,
        indicator.baseline_year,
        indicator.target_value,
        indicator.target_factor,
        indicator.target_year,
    ]
    for year, value in indicator.yearly_values.values_list("year", "value"):
        figures += [year, value]
    return {Decimal(figure).normalize() for figure in figures if figure is not None}


def normalized(numbers):
    return {number.normalize() for number in numbers}


@pytest.fixture(scope="module")
def statements():
    return parse_sources()[0]


def indicator_problems(indicator, statements):
    """What does not match the sources in one indicator (empty: it is exact)."""
    problems = []
    quote = indicator.wording
    slug = indicator.territory.slug
    if not quote:
        return [f"{indicator}: no sentence quoted"]
    if not any(quote in norm(statement) for statement in statements[slug]):
        problems.append(f"{indicator}: sentence not found in the source of {slug}: {quote!r}")
    commitment = indicator.commitment
    if quote not in norm(f"{commitment.text} {commitment.details}"):
        problems.append(f"{indicator}: sentence not in the commitment's text")
    missing = indicator_numbers(indicator) - normalized(numbers_in(quote))
    if missing:
        shown = ", ".join(format(number, "f") for number in sorted(missing))
        problems.append(f"{indicator}: figures not in the sentence: {shown}")
    if indicator.target_horizon and indicator.target_horizon not in quote:
        problems.append(f"{indicator}: horizon not in the sentence")
    return problems


@pytest.fixture
def indicators():
    return list(Indicator.objects.with_commitment().prefetch_related("yearly_values"))


@pytest.mark.django_db
def test_every_indicator_matches_its_sentence(indicators, statements):
    assert len(indicators) == 11
    problems = [p for indicator in indicators for p in indicator_problems(indicator, statements)]
    assert problems == []


@pytest.mark.django_db
def test_no_figure_of_a_sentence_is_dropped(indicators):
    by_sentence = {}
    for indicator in indicators:
        carried = by_sentence.setdefault((indicator.territory.slug, indicator.wording), set())
        carried |= indicator_numbers(indicator) | normalized(numbers_in(indicator.target_horizon))
    dropped = {
        sentence: sorted(normalized(numbers_in(sentence)) - carried)
        for (_, sentence), carried in by_sentence.items()
        if normalized(numbers_in(sentence)) - carried
    }
    assert dropped == {}


def unexplained_figures(statements, quotes):
    """The figures of the sources neither inside a quoted sentence ({slug: [sentence]}) nor in
    a fragment of NOT_INDICATORS, as "slug: 'figure' in 'statement…'"."""
    unexplained = []
    for slug in SLUGS:
        for statement in statements[slug]:
            text = norm(statement)
            covered = [
                (match.start(), match.end())
                for fragment in [*quotes.get(slug, []), *NOT_INDICATORS[slug]]
                for match in re.finditer(re.escape(fragment), text)
            ]
            for number in NUMBER_RE.finditer(text):
                if not any(start <= number.start() < end for start, end in covered):
                    unexplained.append(f"{slug}: {number.group()!r} in {text[:60]!r}")
    return unexplained


def quotes_of(indicators):
    quotes = {}
    for indicator in indicators:
        quotes.setdefault(indicator.territory.slug, []).append(indicator.wording)
    return quotes


@pytest.mark.django_db
def test_every_figure_of_the_sources_is_an_indicator_or_explained(indicators, statements):
    assert unexplained_figures(statements, quotes_of(indicators)) == []


def test_every_explanation_is_in_the_sources(statements):
    stale = [
        f"{slug}: {fragment!r}"
        for slug, fragments in NOT_INDICATORS.items()
        for fragment in fragments
        if not any(fragment in norm(statement) for statement in statements[slug])
    ]
    assert stale == []


@pytest.mark.django_db
class TestTheCheckCanFail:
    def grigny(self, indicators):
        return next(i for i in indicators if i.definition.code == "scolarisation-moins-3-ans")

    def test_a_changed_target_is_reported(self, indicators, statements):
        indicator = self.grigny(indicators)
        indicator.target_value = Decimal(55)
        assert indicator_problems(indicator, statements) == [
            f"{indicator}: figures not in the sentence: 55"
        ]

    def test_an_invented_value_is_reported(self, indicators, statements):
        indicator = self.grigny(indicators)
        indicator.yearly_values.create(year=2019, value=40)
        problems = indicator_problems(indicator, statements)
        assert problems == [f"{indicator}: figures not in the sentence: 40, 2019"]

    def test_an_altered_sentence_is_reported(self, indicators, statements):
        indicator = self.grigny(indicators)
        indicator.wording = indicator.wording.replace("50%", "50 %")
        assert "sentence not found in the source" in indicator_problems(indicator, statements)[0]

    def test_a_sentence_of_another_commitment_is_reported(self, indicators, statements):
        indicator = self.grigny(indicators)
        other = next(i for i in indicators if i.definition.code == "part-logements-sociaux")
        indicator.action = None
        indicator.strategic_objective = other.strategic_objective
        assert indicator_problems(indicator, statements) == [
            f"{indicator}: sentence not in the commitment's text"
        ]

    def test_a_figure_neither_quoted_nor_explained_is_reported(self, indicators, statements):
        assert numbers_in("pour les quatre QPV et 12,5 % des jeunes") == {4, Decimal("12.5")}
        added = {**statements, "ris-orangis": [*statements["ris-orangis"], "Atteindre 12 %"]}
        assert unexplained_figures(added, quotes_of(indicators)) == [
            "ris-orangis: '12' in 'Atteindre 12 %'"
        ]
        forgotten = [i for i in indicators if i.definition.code != "qpv-convention-gusp"]
        assert unexplained_figures(statements, quotes_of(forgotten)) == [
            "corbeil-essonnes: 'quatre' in 'Mettre en place une convention de gestion urbaine et "
            "sociale'"
        ]
