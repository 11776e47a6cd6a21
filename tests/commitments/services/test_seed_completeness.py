"""Completeness of the seeded protocols, checked against the source documents themselves.

The check (tests/support/source_check.py, shared with edition 1's test) parses the seed
sources (`fixtures/sources/*.txt`, PDF→text conversions of the deliberation "Del 2019 0128")
independently of `fixtures/`: every statement must be found, in document order, among the text
fields of its territory's protocol in the database; and every text of the database must come
from the source.

The only fuzziness allowed is for markup: the labels "Objectif stratégique :" and
"Objectif opérationnel :" may have been removed, as may the dash that opens a paragraph;
whitespace is normalised. Accents, quotes, œ, figures and punctuation must be identical.
"""

import re

import pytest

from commitments.models import Action
from tests.support.seed import DELIBERATION, SEEDS_DIR, SOURCE_FILES
from tests.support.source_check import (
    SLUGS,
    Document,
    bullet_list,
    check_protocol,
    check_statements,
    check_texts,
    document_heading,
    parse_sources,
    protocol_of,
    protocol_texts,
    texts_not_in_source,
)

# --- the tests ----------------------------------------------------------------------------


def test_sources_are_present():
    # Never skip silently: the sources ship with the repository (fixtures/sources/).
    assert all((SEEDS_DIR / name).exists() for name in SOURCE_FILES), SEEDS_DIR


@pytest.fixture(scope="module")
def sources():
    return parse_sources()


class TestSourceParser:
    """The parser itself: if it broke, the database checks would prove nothing."""

    def test_finds_the_seven_territories_in_order(self, sources):
        statements, titles = sources
        assert list(statements) == SLUGS
        assert len(titles["ris-orangis"]) == 2  # before and after the preconditions
        assert all(len(titles[slug]) == 1 for slug in SLUGS if slug != "ris-orangis")

    def test_statement_counts(self, sources):
        counts = {slug: len(items) for slug, items in sources[0].items()}
        assert counts == {
            "grand-paris-sud": 91,
            "corbeil-essonnes": 37,
            "grigny": 122,
            "evry-courcouronnes": 124,
            "moissy-cramayel": 82,
            "ris-orangis": 80,
            "savigny-le-temple": 50,
        }

    def test_markup_is_gone(self, sources):
        for items in sources[0].values():
            for statement in items:
                assert not re.search(r"</?[a-z]|[→➔○✓•\t]|\*\*|^- |^\*|\*$", statement), statement

    def test_boundaries(self, sources):
        statements = sources[0]
        gps = statements["grand-paris-sud"]
        assert gps[:4] == [
            "THEMATIQUE EMPLOI ET DEVELOPPEMENT ECONOMIQUE",
            "Objectif stratégique : Le soutien à l'employabilité des publics les plus éloignés "
            "de l'emploi et de la formation",
            "Les priorités pour le territoire :",
            "Renforcer l'accès à l'emploi des populations les plus éloignées des marchés du "
            "travail",
        ]
        assert gps[-1] == (
            "Lutte contre les marchands de sommeil et travailler sur la question de "
            "l'encadrement des loyers"
        )
        assert any(s.startswith("Co- construire la suite") for s in gps)
        ris = statements["ris-orangis"]
        assert ris[0] == (
            "Conditions de réussite préalables à l'application du Protocole d'Engagements "
            "Renforcés et Réciproques"
        )
        assert "Emploi :" in ris
        assert statements["savigny-le-temple"][-1] == (
            "Poursuivre et renforcer les actions de prévention et de sensibilisation"
        )
        assert document_heading() == [
            DELIBERATION,
            "Grand Paris Sud",
            "Seine - Essonne - Yvelines",
        ]


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_every_statement_is_in_the_database_in_document_order(slug, sources):
    protocol = protocol_of(slug)
    assert protocol is not None, f"{slug}: no protocol {DELIBERATION!r} in the database"
    missing, out_of_order = check_texts(slug, protocol_texts(protocol), sources)
    assert not missing, (
        f"{slug}: {len(missing)} statement(s) of the source missing or altered:\n"
        + bullet_list(missing)
    )
    assert not out_of_order, f"{slug}: document order broken:\n" + bullet_list(out_of_order)


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_every_database_text_comes_from_the_source(slug, sources):
    extra = texts_not_in_source(slug, protocol_texts(protocol_of(slug)), sources)
    assert not extra, (
        f"{slug}: text in the database that the source does not have:\n" + bullet_list(extra)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_title_and_reference(slug, sources):
    protocol = protocol_of(slug)
    (title, *_) = sources[1][slug]
    # The source spaces some hyphens of the names ("MOISSY - CRAMAYEL"): either way is accepted.
    accepted = {title, re.sub(r"\s*-\s*", "-", title)}
    assert protocol.title in accepted
    assert protocol.deliberation_reference == DELIBERATION


@pytest.mark.django_db
def test_document_heading_is_kept():
    _, name, subtitle = document_heading()
    gps = protocol_of("grand-paris-sud").territory
    assert gps.name == name
    assert subtitle in (gps.subtitle, gps.name)


@pytest.mark.django_db
class TestTheCheckCanFail:
    """The checks above must catch a dropped, altered, duplicated-away or moved item."""

    def test_a_dropped_action_is_reported(self, sources):
        action = Action.objects.filter(text__startswith="Mieux outiller les MOUS logement").get()
        action.delete()
        missing, _ = check_protocol("grand-paris-sud", sources)
        assert missing == ["Mieux outiller les MOUS logement"]

    def test_an_altered_text_is_reported(self, sources):
        action = Action.objects.filter(
            text__contains="œuvre",
            operational_objective__strategic_objective__section__protocol__territory__slug="grigny",
        ).first()
        action.text = action.text.replace("œ", "oe")
        action.save()
        missing, _ = check_protocol("grigny", sources)
        assert len(missing) == 1 and "œuvre" in missing[0]

    def test_a_short_item_is_not_found_inside_a_longer_text(self):
        document = Document([("a", "Favoriser la mobilité des habitants"), ("b", "Autre")])
        assert document.find("Favoriser la mobilité") is None
        assert document.find("Favoriser la mobilité des habitants Autre") == (0, 41)

    def test_swapped_items_are_reported(self):
        document = Document([("a", "Un"), ("b", "Deux"), ("c", "Trois")])
        missing, out_of_order = check_statements(["Un", "Trois", "Deux"], document)
        assert missing == [] and len(out_of_order) == 1

    def test_a_merged_repeat_is_reported(self):
        document = Document([("a", "Un"), ("b", "Deux")])
        _, out_of_order = check_statements(["Un", "Deux", "Un"], document)
        assert len(out_of_order) == 1
