"""Flat exports of the commitments: one row per commitment, as CSV or JSON, streamed.

Columns and their types are documented in docs/tableschema-engagements.json; "chemin" is the
element's number in its protocol (selectors/numbering.py). Every text a spreadsheet could run
as a formula is neutralised in CSV (`spreadsheet_safe`), never in JSON.

"edition" says which edition of its protocol the row's text comes from: « édition n du
JJ/MM/AAAA » when the element's text (its text fields, partners and axes) is the one of the
protocol's last edition, « texte courant, modifié depuis l'édition n » (or « ajouté depuis »)
when it differs or did not exist there, « texte courant, aucune édition publiée » when the
protocol has none. The date is the one the edition is known by (selectors/edition_text.py).
Queries: the tree loader's, plus one for the protocols' last editions, whatever the size.
"""

import csv
import json

from django.db.models import Max

from commitments.enums import Level
from commitments.models import Edition, OperationalObjective, Protocol, StrategicObjective
from commitments.selectors.edition_snapshot import (
    KIND_OF_LEVEL,
    node_fields,
    paths_by_kind,
    snapshot_from_tree,
)
from commitments.selectors.edition_text import edition_name
from commitments.selectors.numbering import tree_paths
from commitments.selectors.protocol_tree import iter_commitments, protocol_tree_queryset

# Flat export: one row per commitment ------------------------------------------------------

# Column order of the CSV and key order of the JSON (docs/tableschema-engagements.json).
COLUMNS = (
    "territoire",
    "territoire_slug",
    "code_insee",
    "siren",
    "protocole",
    "reference_deliberation",
    "thematique",
    "thematique_slug",
    "section",
    "chemin",
    "niveau",
    "identifiant",
    "parent",
    "intitule",
    "precisions",
    "statut",
    "statut_libelle",
    "avancement",
    "pilote",
    "partenaires",
    "axes",
    "annee_debut",
    "annee_fin",
    "url",
    "edition",
)

# Separator of the list columns (partenaires, axes): never used in partner or axis names.
LIST_SEPARATOR = ";"


def export_protocols_queryset(territory=None):
    """Every protocol's whole tree, prefetched together: a constant number of queries."""
    protocols = protocol_tree_queryset().order_by("territory__position", "pk")
    if territory is not None:
        protocols = protocols.filter(territory=territory)
    return protocols


def edition_sources(protocol, paths, last):
    """{(level, pk): the "edition" column} for every element of a loaded protocol, given its
    last edition (or None). No query."""
    current = node_fields(snapshot_from_tree(protocol, paths_by_kind(paths)))
    if last is None:
        return dict.fromkeys(paths, "texte courant, aucune édition publiée")
    frozen = node_fields(last.snapshot)
    in_force = edition_name(last, day_format=lambda day: f"{day:%d/%m/%Y}")
    sources = {}
    for level, pk in paths:
        key = (KIND_OF_LEVEL[level], pk)
        if key not in frozen:
            sources[level, pk] = f"texte courant, ajouté depuis l'édition {last.number}"
        elif frozen[key] != current[key]:
            sources[level, pk] = f"texte courant, modifié depuis l'édition {last.number}"
        else:
            sources[level, pk] = in_force
    return sources


def iter_rows(protocols, base_url=""):
    """One dict per commitment (strategic, operational, action) in document order.

    Values are typed (int or None for numbers and missing values); `to_csv_row` flattens them.
    """
    base_url = base_url.rstrip("/")
    protocols = list(protocols)
    last_editions = {
        edition.protocol_id: edition
        for edition in Edition.objects.latest_per_protocol().filter(
            protocol__in=[protocol.pk for protocol in protocols]
        )
    }
    for protocol in protocols:
        territory = protocol.territory
        page_url = base_url + territory.get_absolute_url()
        paths = tree_paths(protocol)
        sources = edition_sources(protocol, paths, last_editions.get(protocol.pk))
        for level, node, section in iter_commitments(protocol):
            tracked = level != Level.STRATEGIC
            parent = None
            if level == Level.OPERATIONAL:
                parent = f"{StrategicObjective.anchor_prefix}-{node.strategic_objective_id}"
            elif level == Level.ACTION:
                parent = f"{OperationalObjective.anchor_prefix}-{node.operational_objective_id}"
            yield {
                "territoire": territory.name,
                "territoire_slug": territory.slug,
                "code_insee": territory.insee_code or None,
                "siren": territory.siren or None,
                "protocole": protocol.title,
                "reference_deliberation": protocol.deliberation_reference,
                "thematique": section.thematic.name,
                "thematique_slug": section.thematic.slug,
                "section": section.heading,
                "chemin": paths[level, node.pk],
                "niveau": str(level),
                "identifiant": node.anchor,
                "parent": parent,
                "intitule": node.text,
                "precisions": node.details or None,
                "statut": node.status if tracked else None,
                "statut_libelle": node.get_status_display() if tracked else None,
                "avancement": node.progress if tracked else None,
                "pilote": node.pilot.name if tracked and node.pilot else None,
                "partenaires": LIST_SEPARATOR.join(p.name for p in node.partners.all()) or None,
                "axes": LIST_SEPARATOR.join(a.name for a in node.axes.all()) or None,
                "annee_debut": node.start_year if tracked else None,
                "annee_fin": node.end_year if tracked else None,
                "url": f"{page_url}#{node.anchor}",
                "edition": sources[level, node.pk],
            }


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Neutralize a text a spreadsheet would run as a formula (CSV/formula injection, OWASP):
    prefix it with an apostrophe. Numbers and other texts are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_cell(value):
    """A typed value as its CSV cell: "" for None, "true" / "false" for a boolean (the Table
    Schema's spelling), a text neutralised against formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return spreadsheet_safe(value)


def to_csv_row(row, columns=COLUMNS):
    return [csv_cell(row[column]) for column in columns]


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


# UTF-8 with a byte order mark: Excel (what cities and staff open CSVs with) otherwise reads
# the file as Windows-1252 and mangles every accent; csv readers that know UTF-8 skip it.
CSV_BOM = "\ufeff"


def iter_csv(rows, columns=COLUMNS):
    """The CSV of `rows` (dicts) with a header of `columns`, streamed one line at a time."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield (CSV_BOM + writer.writerow(columns)).encode()
    for row in rows:
        yield writer.writerow(to_csv_row(row, columns)).encode()


def iter_json(rows):
    """A JSON array of row objects, streamed one row at a time."""
    yield b"["
    for index, row in enumerate(rows):
        yield (("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False)).encode()
    yield b"\n]\n"


def last_changed(territory=None):
    """When any exported protocol last changed (for Last-Modified), or None."""
    protocols = Protocol.objects.all()
    if territory is not None:
        protocols = protocols.for_territory(territory)
    return protocols.aggregate(last=Max("last_changed_at"))["last"]
