"""Completeness of the seeded protocols, checked against the source documents themselves.

The seed sources (`fixtures/sources/*.txt`, copies of `../shared/seeds/`: PDF→text conversions
of the deliberation
"Del 2019 0128") are parsed here independently of `fixtures/`: HTML tags, tabs (table cells),
line breaks and the bullets → ➔ ○ ✓ • - are statement boundaries, `**` and `*italics*` are
dropped. Every statement must then be found, in document order, among the text fields of its
territory's protocol in the database; and every text of the database must come from the source.

The only fuzziness allowed is for markup: the labels "Objectif stratégique :" and
"Objectif opérationnel :" may have been removed, as may the dash that opens a paragraph;
whitespace is normalised. Accents, quotes, œ, figures and punctuation must be identical.
"""

import re
from pathlib import Path

import pytest

from commitments.models import Action, Protocol
from tests.support.seed import DELIBERATION, SEEDS_DIR, SOURCE_FILES

TITLE = "Protocole d'Engagements Renforcés et Réciproques"
# How each territory is named in the title line that opens its protocol.
TERRITORY_NAMES = {
    "GRAND PARIS SUD": "grand-paris-sud",
    "CORBEIL-ESSONNES": "corbeil-essonnes",
    "GRIGNY": "grigny",
    "EVRY-COURCOURONNES": "evry-courcouronnes",
    "MOISSY - CRAMAYEL": "moissy-cramayel",
    "RIS - ORANGIS": "ris-orangis",
    "SAVIGNY-LE-TEMPLE": "savigny-le-temple",
}
SLUGS = list(TERRITORY_NAMES.values())
TITLE_RE = re.compile(
    re.escape(TITLE) + r"\s+(" + "|".join(re.escape(name) for name in TERRITORY_NAMES) + r")"
)
# Boundaries: a tag, a tab (table cell), a line break, a bullet. A hyphen is a bullet unless a
# letter, a digit or an apostrophe touches it on the left ("Co- construire", "1- Développer").
BOUNDARY_RE = re.compile(r"<[^>]*>|\t|\n|[→➔○✓•]|(?<![\w'’])- ")
# Labels of the documents that the data model holds as field names, not as text.
DROPPED_LABELS = {"Préambule"}
# Statements that the conversion displaced. The protocols are two-column tables (thematic
# framing on the left, objectives on the right); where a row continues on the next page, the
# text renders the left cell of the continuation row after the whole right cell of the first
# row. In Grand Paris Sud, the third "priorité" of the employment thematic comes out after the
# first strategic objective: its place in the protocol is with the other priorities.
KNOWN_MOVES = {
    "grand-paris-sud": {
        "– Favoriser le lien entre les publics les plus éloignés de l'emploi et les entreprises "
        "/ structures d'accompagnement / acteurs de l'insertion sociale et de la formation "
        "professionnelle."
    },
}
# Markup that may have been removed at the start of a statement.
OPTIONAL_PREFIXES = ("Objectif stratégique :", "Objectif opérationnel :", "–")


def norm(text):
    return " ".join(text.split())


def _clean(piece):
    return norm(piece.replace("**", "")).strip("*").strip()


def split_statements(chunk):
    statements = []
    for piece in BOUNDARY_RE.split(chunk):
        piece = _clean(piece)
        if not piece or re.fullmatch(r"[-–]+", piece) or piece in DROPPED_LABELS:
            continue
        statements.append(piece)
    return statements


def parse_sources(seeds_dir=None):
    """{slug: [statement, …]} in document order, and {slug: [title line, …]}.

    A territory starts at each "Protocole d'Engagements Renforcés et Réciproques <NAME>" line;
    what precedes the first one is the document heading ("Del 2019 0128", the agglomeration's
    name), checked separately. Ris-Orangis' title appears twice, around its preconditions.
    """
    seeds_dir = Path(seeds_dir or SEEDS_DIR)
    statements, titles = {}, {}
    for name in SOURCE_FILES:
        text = (seeds_dir / name).read_text(encoding="utf-8")
        matches = list(TITLE_RE.finditer(text))
        for index, match in enumerate(matches):
            slug = TERRITORY_NAMES[match.group(1)]
            end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
            statements.setdefault(slug, []).extend(split_statements(text[match.end() : end]))
            titles.setdefault(slug, []).append(norm(match.group(0)))
    return statements, titles


def document_heading(seeds_dir=None):
    """What precedes the first protocol: the reference, the agglomeration's name and subtitle
    (no bullets there: "Seine - Essonne - Yvelines" keeps its hyphens)."""
    text = (Path(seeds_dir or SEEDS_DIR) / SOURCE_FILES[0]).read_text(encoding="utf-8")
    pieces = re.split(r"<[^>]*>|\t|\n", text[: TITLE_RE.search(text).start()])
    return [norm(piece) for piece in pieces if piece.strip()]


# --- the database side ---------------------------------------------------------------------


def protocol_of(slug):
    return (
        Protocol.objects.select_related("territory")
        .filter(territory__slug=slug, deliberation_reference=DELIBERATION)
        .first()
    )


def protocol_texts(protocol):
    """Every text field of the protocol tree, in document order, as (label, value) pairs."""
    yield "preconditions_heading", protocol.preconditions_heading
    yield "preconditions", protocol.preconditions
    yield "preamble", protocol.preamble
    for section in protocol.sections.order_by("position"):
        label = f"section {section.position}"
        for field in ("heading", "subtitle", "objective", "priorities_heading", "priorities"):
            yield f"{label} {field}", getattr(section, field)
        yield f"{label} intro", section.intro
        for so in section.strategic_objectives.order_by("position"):
            so_label = f"{label} › OS {so.position}"
            yield f"{so_label} subheading", so.subheading
            yield f"{so_label} text", so.text
            yield f"{so_label} details", so.details
            yield f"{so_label} operational_heading", so.operational_heading
            for oo in so.operational_objectives.order_by("position"):
                oo_label = f"{so_label} › OO {oo.position}"
                yield f"{oo_label} text", oo.text
                yield f"{oo_label} details", oo.details
                for action in oo.actions.order_by("position"):
                    yield f"{oo_label} › action {action.position} text", action.text
                    yield f"{oo_label} › action {action.position} details", action.details


def protocol_units(protocol):
    """The protocol's texts cut into lines (list fields hold one item a line, paragraph
    fields one paragraph a block), whitespace-normalised, in document order."""
    units = []
    for label, value in protocol_texts(protocol):
        for line in (value or "").splitlines():
            if line.strip():
                units.append((label, norm(line)))
    return units


class Document:
    """A protocol's units laid end to end, so that a statement can be looked up in order.

    A match must start at the start of a unit and end at the end of a unit (it may span
    several units: a source paragraph split into two fields is still found, a phrase found
    inside a longer text is not).
    """

    def __init__(self, units):
        self.units = units
        self.starts, self.ends = set(), set()
        parts, offset = [], 0
        for _, text in units:
            self.starts.add(offset)
            self.ends.add(offset + len(text))
            parts.append(text)
            offset += len(text) + 1
        self.flat = " ".join(parts)

    def find(self, statement, start=0):
        """Offset of the first match at or after `start`, else None."""
        best = None
        for candidate in variants(statement):
            position = self.flat.find(candidate, start)
            while position != -1:
                if position in self.starts and position + len(candidate) in self.ends:
                    if best is None or position < best[0]:
                        best = (position, position + len(candidate))
                    break
                position = self.flat.find(candidate, position + 1)
        return best

    def label_at(self, offset):
        for (label, text), start in zip(self.units, sorted(self.starts), strict=True):
            if start <= offset <= start + len(text):
                return label
        return "?"


def variants(statement):
    out = [statement]
    for prefix in OPTIONAL_PREFIXES:
        if statement.startswith(prefix) and len(statement) > len(prefix):
            out.append(statement[len(prefix) :].strip())
    return out


def check_statements(statements, document, moved=()):
    """(missing, out_of_order): statements absent from the document, and statements found
    only before the previous one (document order broken, or a repeated bullet merged).
    `moved` statements (KNOWN_MOVES) only need to be present."""
    missing, out_of_order = [], []
    cursor = 0
    previous = None
    for statement in statements:
        if statement in moved:
            if document.find(statement) is None:
                missing.append(statement)
            continue
        found = document.find(statement, cursor)
        if found is None:
            earlier = document.find(statement, 0)
            if earlier is None:
                missing.append(statement)
            else:
                out_of_order.append(
                    f"{statement!r} is at {document.label_at(earlier[0])}, before {previous!r}"
                )
            continue
        cursor = found[1]
        previous = statement
    return missing, out_of_order


def check_protocol(slug, sources=None):
    statements = (sources or parse_sources())[0][slug]
    document = Document(protocol_units(protocol_of(slug)))
    return check_statements(statements, document, KNOWN_MOVES.get(slug, ()))


def _format(items):
    return "\n".join(f"  - {item}" for item in items)


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
    missing, out_of_order = check_statements(
        sources[0][slug], Document(protocol_units(protocol)), KNOWN_MOVES.get(slug, ())
    )
    assert not missing, (
        f"{slug}: {len(missing)} statement(s) of the source missing or altered:\n"
        + _format(missing)
    )
    assert not out_of_order, f"{slug}: document order broken:\n" + _format(out_of_order)


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_every_database_text_comes_from_the_source(slug, sources):
    source = " ".join(sources[0][slug])
    extra = [
        f"{label}: {text!r}"
        for label, text in protocol_units(protocol_of(slug))
        if text not in source
    ]
    assert not extra, f"{slug}: text in the database that the source does not have:\n" + _format(
        extra
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
