"""The completeness check of the seeded text against the source documents, shared by the
seed's test (tests/commitments/services/test_seed_completeness.py: the rows in the database)
and the editions' test (tests/commitments/services/test_editions_seed.py: edition 1's snapshot).

The seed sources (`fixtures/sources/*.txt`, copies of `../shared/seeds/`: PDF→text conversions
of the deliberation "Del 2019 0128") are parsed here independently of `fixtures/`: HTML tags,
tabs (table cells), line breaks and the bullets → ➔ ○ ✓ • - are statement boundaries, `**` and
`*italics*` are dropped. Every statement must then be found, in document order, among the text
fields of its territory's protocol; and every text of the protocol must come from the source.
A protocol's texts are (label, value) pairs in document order, read from the database
(`protocol_texts`) or from an edition's snapshot (`snapshot_texts`): the same check reads both.
"""

import re
from pathlib import Path

from commitments.models import Protocol
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


def protocol_of(slug):
    return (
        Protocol.objects.select_related("territory")
        .filter(territory__slug=slug, deliberation_reference=DELIBERATION)
        .first()
    )


# The order in which each level's text fields are read (the documents' order).
SECTION_FIELDS = ("heading", "subtitle", "objective", "priorities_heading", "priorities", "intro")
STRATEGIC_FIELDS = ("subheading", "text", "details", "operational_heading")


def protocol_texts(protocol):
    """Every text field of the protocol tree, in document order, as (label, value) pairs."""
    yield "preconditions_heading", protocol.preconditions_heading
    yield "preconditions", protocol.preconditions
    yield "preamble", protocol.preamble
    for section_rank, section in enumerate(protocol.sections.order_by("position"), 1):
        label = f"section {section_rank}"
        for field in SECTION_FIELDS:
            yield f"{label} {field}", getattr(section, field)
        for so_rank, so in enumerate(section.strategic_objectives.order_by("position"), 1):
            so_label = f"{label} › OS {so_rank}"
            for field in STRATEGIC_FIELDS:
                yield f"{so_label} {field}", getattr(so, field)
            for oo_rank, oo in enumerate(so.operational_objectives.order_by("position"), 1):
                oo_label = f"{so_label} › OO {oo_rank}"
                yield f"{oo_label} text", oo.text
                yield f"{oo_label} details", oo.details
                for rank, action in enumerate(oo.actions.order_by("position"), 1):
                    yield f"{oo_label} › action {rank} text", action.text
                    yield f"{oo_label} › action {rank} details", action.details


def snapshot_texts(snapshot):
    """The same (label, value) pairs as `protocol_texts`, read from an edition's snapshot
    (format "perer-edition", commitments/services/editions.py) instead of the database."""
    head = snapshot["protocol"]
    yield "preconditions_heading", head["preconditions_heading"]
    yield "preconditions", head["preconditions"]
    yield "preamble", head["preamble"]
    for position, section in enumerate(snapshot["sections"], 1):
        label, fields = f"section {position}", section["fields"]
        for field in SECTION_FIELDS:
            yield f"{label} {field}", fields[field]
        for so_position, so in enumerate(section["children"], 1):
            so_label = f"{label} › OS {so_position}"
            for field in STRATEGIC_FIELDS:
                yield f"{so_label} {field}", so["fields"][field]
            for oo_position, oo in enumerate(so["children"], 1):
                oo_label = f"{so_label} › OO {oo_position}"
                yield f"{oo_label} text", oo["fields"]["text"]
                yield f"{oo_label} details", oo["fields"]["details"]
                for position_, action in enumerate(oo["children"], 1):
                    yield f"{oo_label} › action {position_} text", action["fields"]["text"]
                    yield f"{oo_label} › action {position_} details", action["fields"]["details"]


def text_units(texts):
    """(label, value) pairs cut into lines (list fields hold one item a line, paragraph
    fields one paragraph a block), whitespace-normalised, in document order."""
    units = []
    for label, value in texts:
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


def protocol_units(protocol):
    """The database's texts of the protocol, as `text_units`."""
    return text_units(protocol_texts(protocol))


def check_texts(slug, texts, sources):
    """(missing, out_of_order) of the source's statements in `texts` (see check_statements)."""
    document = Document(text_units(texts))
    return check_statements(sources[0][slug], document, KNOWN_MOVES.get(slug, ()))


def texts_not_in_source(slug, texts, sources):
    """The texts that the source does not have, as "label: 'text'"."""
    source = " ".join(sources[0][slug])
    return [f"{label}: {text!r}" for label, text in text_units(texts) if text not in source]


def check_protocol(slug, sources=None):
    return check_texts(slug, protocol_texts(protocol_of(slug)), sources or parse_sources())


def bullet_list(items):
    return "\n".join(f"  - {item}" for item in items)
