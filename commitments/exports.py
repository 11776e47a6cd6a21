"""Flat exports of the commitments (CSV, JSON) and their paths in the hierarchy.

Paths in the hierarchy ("2.1.3"): section rank . strategic rank . operational rank . action rank.

Ranks are 1-based and follow the documents' order. They are computed from the siblings' order,
not read from `position`, which may have gaps after reordering in the admin.
"""

import csv
import json

from django.db.models import Max
from django.urls import NoReverseMatch, reverse

from commitments.enums import Level
from commitments.models import (
    Action,
    OperationalObjective,
    Protocol,
    StrategicObjective,
    ThematicSection,
)
from commitments.tree import iter_commitments, protocol_tree_queryset


def _ranks(rows, parent_key):
    """{pk: 1-based rank among its siblings} for rows already sorted in document order."""
    ranks, counters = {}, {}
    for row in rows:
        parent = row[parent_key]
        counters[parent] = counters.get(parent, 0) + 1
        ranks[row["pk"]] = (parent, counters[parent])
    return ranks


def commitment_paths(protocol_ids):
    """{(level, pk): "2.1.3"} for every node of the given protocols, in four queries."""
    protocol_ids = list(protocol_ids)
    sections = _ranks(
        ThematicSection.objects.filter(protocol_id__in=protocol_ids)
        .order_by("protocol_id", "position", "pk")
        .values("pk", "protocol_id"),
        "protocol_id",
    )
    strategic = _ranks(
        StrategicObjective.objects.filter(section__protocol_id__in=protocol_ids)
        .order_by("section_id", "position", "pk")
        .values("pk", "section_id"),
        "section_id",
    )
    operational = _ranks(
        OperationalObjective.objects.filter(
            strategic_objective__section__protocol_id__in=protocol_ids
        )
        .order_by("strategic_objective_id", "position", "pk")
        .values("pk", "strategic_objective_id"),
        "strategic_objective_id",
    )
    actions = _ranks(
        Action.objects.filter(
            operational_objective__strategic_objective__section__protocol_id__in=protocol_ids
        )
        .order_by("operational_objective_id", "position", "pk")
        .values("pk", "operational_objective_id"),
        "operational_objective_id",
    )

    section_paths = {pk: str(rank) for pk, (_, rank) in sections.items()}
    paths = {}
    for pk, (section_id, rank) in strategic.items():
        paths[Level.STRATEGIC, pk] = f"{section_paths[section_id]}.{rank}"
    for pk, (so_id, rank) in operational.items():
        paths[Level.OPERATIONAL, pk] = f"{paths[Level.STRATEGIC, so_id]}.{rank}"
    for pk, (oo_id, rank) in actions.items():
        paths[Level.ACTION, pk] = f"{paths[Level.OPERATIONAL, oo_id]}.{rank}"
    return paths


def tree_paths(protocol):
    """The same paths for a tree loaded by `load_protocol_tree` (no query)."""
    paths = {}
    for s_rank, section in enumerate(protocol.sections.all(), 1):
        paths["section", section.pk] = str(s_rank)
        for so_rank, so in enumerate(section.strategic_objectives.all(), 1):
            so_path = f"{s_rank}.{so_rank}"
            paths[Level.STRATEGIC, so.pk] = so_path
            for oo_rank, oo in enumerate(so.operational_objectives.all(), 1):
                oo_path = f"{so_path}.{oo_rank}"
                paths[Level.OPERATIONAL, oo.pk] = oo_path
                for a_rank, action in enumerate(oo.actions.all(), 1):
                    paths[Level.ACTION, action.pk] = f"{oo_path}.{a_rank}"
    return paths


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
)

# Separator of the list columns (partenaires, axes): never used in partner or axis names.
LIST_SEPARATOR = ";"


def territory_page_url(slug):
    """The territory's protocol page (public contract: /territoires/<slug>/)."""
    try:
        return reverse("territory_detail", kwargs={"slug": slug})
    except NoReverseMatch:
        # The portal's URLconf is not loaded (tests of this module alone): same contract.
        return f"/territoires/{slug}/"


def export_protocols_queryset(territory=None):
    """Every protocol's whole tree, prefetched together: a constant number of queries."""
    protocols = protocol_tree_queryset().order_by("territory__position", "pk")
    if territory is not None:
        protocols = protocols.filter(territory=territory)
    return protocols


def iter_rows(protocols, base_url=""):
    """One dict per commitment (strategic, operational, action) in document order.

    Values are typed (int or None for numbers and missing values); `to_csv_row` flattens them.
    """
    base_url = base_url.rstrip("/")
    for protocol in protocols:
        territory = protocol.territory
        page_url = base_url + territory_page_url(territory.slug)
        paths = tree_paths(protocol)
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
                "pilote": node.lead.name if tracked and node.lead else None,
                "partenaires": LIST_SEPARATOR.join(p.name for p in node.partners.all()) or None,
                "axes": LIST_SEPARATOR.join(a.name for a in node.axes.all()) or None,
                "annee_debut": node.start_year if tracked else None,
                "annee_fin": node.end_year if tracked else None,
                "url": f"{page_url}#{node.anchor}",
            }


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Neutralize a text a spreadsheet would run as a formula (CSV/formula injection, OWASP):
    prefix it with an apostrophe. Numbers and other texts are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv_row(row):
    return ["" if row[column] is None else spreadsheet_safe(row[column]) for column in COLUMNS]


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


# UTF-8 with a byte order mark: Excel (what cities and staff open CSVs with) otherwise reads
# the file as Windows-1252 and mangles every accent; csv readers that know UTF-8 skip it.
CSV_BOM = "\ufeff"


def iter_csv(rows):
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield (CSV_BOM + writer.writerow(COLUMNS)).encode()
    for row in rows:
        yield writer.writerow(to_csv_row(row)).encode()


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
