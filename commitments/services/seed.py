"""Load the protocols of `fixtures/` into the database.

Idempotent and respectful of edits: reference rows (thematics, partners, glossary, axes) and
territories are created when missing and otherwise left as staff edited them; a protocol that
already exists (same territory and deliberation reference) is left untouched. Each protocol
created gets its edition 1, « Texte adopté », made from the text just loaded (so a second run
creates no edition either). `reset()` wipes the protocols and their editions (the one bypass
of the editions' immutability, `EditionQuerySet.discard_for_rebuild`) and rebuilds everything
from the files, edition 1 included. The indicators of `indicators.yaml` follow the same rules
(services/indicator_seed.py). Anything created (or reset) is one change of content, recorded
once at the end (content_changes.record_change).
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from commitments import models
from commitments.enums import PartnerKind
from commitments.services.content_changes import record_change
from commitments.services.editions import publish_adopted_text
from commitments.services.indicator_seed import INDICATORS_FILE, FixtureError, seed_indicators
from perer.lib.text import fold_accents
from territories.enums import TerritoryKind
from territories.models import Territory

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
REFERENCE_FILES = {"thematics.yaml", "glossary.yaml", "partners.yaml", "axes.yaml"}
# Files that are not a territory's protocol.
OTHER_FILES = REFERENCE_FILES | {INDICATORS_FILE}


class SeedError(Exception):
    pass


# What a malformed fixture raises while loading (a missing key, a value the database refuses,
# an unknown parent); always reported as a SeedError. Shapes (a list where a mapping is
# expected…) are checked by `_mapping` and `_items`, so that a programming error (TypeError,
# AttributeError) is never reported as a malformed fixture.
MALFORMED = (KeyError, ValueError, IntegrityError, ValidationError, Territory.DoesNotExist)


def _mapping(value, where):
    if not isinstance(value, dict):
        raise SeedError(f"{where} : un ensemble « clé: valeur » est attendu.")
    return value


def _items(value, where):
    """A list of mappings (None for an empty list)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise SeedError(f"{where} : une liste est attendue.")
    return [_mapping(item, where) for item in value]


@dataclass
class SeedReport:
    created: dict = field(default_factory=dict)
    skipped_protocols: list = field(default_factory=list)
    skipped_indicators: list = field(default_factory=list)

    def add(self, label, count=1):
        self.created[label] = self.created.get(label, 0) + count

    @property
    def changed(self):
        return any(self.created.values())


def _load(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle) or []
    except yaml.YAMLError as exc:
        raise SeedError(f"{path.name} : YAML invalide ({exc})") from exc


def _joined(value, separator):
    """A fixture's text, written as one string or as a list of items."""
    if not value:
        return ""
    if isinstance(value, str):
        return value.strip()
    return separator.join(str(item).strip() for item in value)


def _paragraphs(value):
    """Paragraphs are separated by a blank line (the templates' `paragraphs` filter)."""
    return _joined(value, "\n\n")


def _lines(value):
    """One item per line (priorities, preconditions, aliases)."""
    return _joined(value, "\n")


class Matcher:
    """Finds the partners and axes that a text names."""

    def __init__(self):
        self.partners = []
        for partner in models.Partner.objects.all():
            for wording in [partner.name, partner.acronym, *partner.alias_list]:
                if wording:
                    pattern = re.compile(r"(?<![\w-])" + re.escape(wording) + r"(?![\w-])")
                    self.partners.append((pattern, partner))
        self.axes = []
        for axis_data in _items(_load_optional("axes.yaml"), "axes.yaml"):
            axis = models.TransversalAxis.objects.filter(slug=axis_data["slug"]).first()
            if axis:
                for keyword in axis_data.get("keywords", []):
                    self.axes.append((re.compile(r"\b" + re.escape(fold_accents(keyword))), axis))

    def partners_in(self, text):
        return {partner for pattern, partner in self.partners if pattern.search(text)}

    def axes_in(self, text):
        folded = fold_accents(text)
        return {axis for pattern, axis in self.axes if pattern.search(folded)}

    def link(self, node):
        text = f"{node.text}\n{node.details}"
        partners = self.partners_in(text)
        if partners:
            node.partners.add(*partners)
        axes = self.axes_in(text)
        if axes:
            node.axes.add(*axes)


def seed_reference(report, update=False):
    def upsert(model, lookup, defaults, label):
        if update:
            _, created = model.objects.update_or_create(**lookup, defaults=defaults)
        else:
            _, created = model.objects.get_or_create(**lookup, defaults=defaults)
        if created:
            report.add(label)

    for position, item in enumerate(
        _items(_load(FIXTURES_DIR / "thematics.yaml"), "thematics.yaml"), start=1
    ):
        upsert(
            models.Thematic,
            {"slug": item["slug"]},
            {
                "name": item["name"],
                "short_name": item.get("short_name", ""),
                "description": item.get("description", ""),
                "position": position,
            },
            "thématiques",
        )
    for position, item in enumerate(_items(_load_optional("axes.yaml"), "axes.yaml"), start=1):
        upsert(
            models.TransversalAxis,
            {"slug": item["slug"]},
            {
                "name": item["name"],
                "description": item.get("description", ""),
                "position": position,
            },
            "axes transversaux",
        )
    for item in _items(_load_optional("partners.yaml"), "partners.yaml"):
        upsert(
            models.Partner,
            {"slug": item.get("slug") or slugify(item["name"])},
            {
                "name": item["name"],
                "acronym": item.get("acronym", ""),
                "kind": item.get("kind", PartnerKind.OTHER),
                "aliases": _lines(item.get("aliases")),
                "website": item.get("website", ""),
            },
            "partenaires",
        )
    for item in _items(_load_optional("glossary.yaml"), "glossary.yaml"):
        term = str(item["term"])
        upsert(
            models.GlossaryTerm,
            {"term": term},
            {
                "slug": item.get("slug") or slugify(term.replace("+", "-plus")),
                "expansion": item.get("expansion") or "",
                "definition": item.get("definition") or "",
            },
            "termes du glossaire",
        )


def _load_optional(name):
    path = FIXTURES_DIR / name
    return _load(path) if path.exists() else []


def territory_files():
    return sorted(path for path in FIXTURES_DIR.glob("*.yaml") if path.name not in OTHER_FILES)


def seed_territory(data, report, update=False):
    fields = dict(data)
    slug = fields.pop("slug")
    parent_slug = fields.pop("parent", None)
    fields["parent"] = Territory.objects.get(slug=parent_slug) if parent_slug else None
    for key in ("insee_code", "siren", "subtitle"):
        fields[key] = str(fields.get(key) or "")
    if update:
        territory, created = Territory.objects.update_or_create(slug=slug, defaults=fields)
    else:
        territory, created = Territory.objects.get_or_create(slug=slug, defaults=fields)
    if created:
        report.add("territoires")
    return territory


def _no_fields(data):
    return {}


# The levels below a section as the fixtures write them: model, foreign key to the parent,
# key of the list in the parent's mapping, counter label, fields of its own.
NODE_LEVELS = (
    (
        models.StrategicObjective,
        "section",
        "strategic_objectives",
        "objectifs stratégiques",
        lambda data: {
            "subheading": data.get("subheading", ""),
            "operational_heading": _paragraphs(data.get("operational_heading")),
        },
    ),
    (
        models.OperationalObjective,
        "strategic_objective",
        "operational_objectives",
        "objectifs opérationnels",
        _no_fields,
    ),
    (models.Action, "operational_objective", "actions", "actions", _no_fields),
)


def _seed_nodes(parent, parent_data, depth, matcher, report, where):
    model, parent_field, key, label, own_fields = NODE_LEVELS[depth]
    for position, data in enumerate(_items(parent_data.get(key), f"{where} › {key}"), start=1):
        node = model.objects.create(
            **{parent_field: parent},
            position=position,
            text=str(data["text"]).strip(),
            details=_paragraphs(data.get("details")),
            **own_fields(data),
        )
        matcher.link(node)
        report.add(label)
        if depth + 1 < len(NODE_LEVELS):
            _seed_nodes(node, data, depth + 1, matcher, report, where)


def seed_protocol(territory, data, matcher, report):
    data = _mapping(data, f"{territory.slug} › protocol")
    reference = data["deliberation_reference"]
    if models.Protocol.objects.filter(
        territory=territory, deliberation_reference=reference
    ).exists():
        report.skipped_protocols.append(territory.slug)
        return None
    protocol = models.Protocol.objects.create(
        territory=territory,
        title=data["title"],
        deliberation_reference=reference,
        start_year=data.get("start_year"),
        end_year=data.get("end_year"),
        preamble=_paragraphs(data.get("preamble")),
        preconditions_heading=data.get("preconditions_heading", ""),
        preconditions=_lines(data.get("preconditions")),
    )
    report.add("protocoles")
    thematics = {t.slug: t for t in models.Thematic.objects.all()}
    sections = _items(data.get("sections"), f"{territory.slug} › sections")
    for position, section_data in enumerate(sections, start=1):
        thematic = thematics.get(section_data.get("thematic"))
        if thematic is None:
            raise SeedError(
                f"{territory.slug} : thématique inconnue {section_data.get('thematic')!r}"
            )
        section = models.ThematicSection.objects.create(
            protocol=protocol,
            thematic=thematic,
            position=position,
            heading=section_data["heading"],
            subtitle=_paragraphs(section_data.get("subtitle")),
            objective=_paragraphs(section_data.get("objective")),
            priorities_heading=section_data.get("priorities_heading", ""),
            priorities=_lines(section_data.get("priorities")),
            intro=_paragraphs(section_data.get("intro")),
        )
        report.add("sections")
        _seed_nodes(
            section, section_data, 0, matcher, report, f"{territory.slug} › {thematic.slug}"
        )
    publish_adopted_text(protocol)
    report.add("éditions")
    return protocol


def seed(reset=False):
    """Load every fixture file. Returns a SeedReport. All or nothing (one transaction)."""
    report = SeedReport()
    files = territory_files()
    documents = [(path, _mapping(_load(path), path.name)) for path in files]
    for path, document in documents:
        _mapping(document.get("territory"), f"{path.name} › territory")
    # Agglomeration first: communes name it as their parent.
    documents.sort(
        key=lambda item: (
            item[1]["territory"].get("kind") != TerritoryKind.AGGLOMERATION,
            item[0].name,
        )
    )
    with transaction.atomic():
        if reset:
            protocols = models.Protocol.objects.all()
            models.Edition.objects.discard_for_rebuild(protocols)
            protocols.delete()
        try:
            seed_reference(report, update=reset)
        except MALFORMED as exc:
            raise SeedError(f"listes de référence : champ manquant ou mal formé ({exc!r})") from exc
        matcher = Matcher()
        for path, document in documents:
            try:
                territory = seed_territory(document["territory"], report, update=reset)
                seed_protocol(territory, document["protocol"], matcher, report)
            except MALFORMED as exc:
                raise SeedError(f"{path.name} : champ manquant ou mal formé ({exc!r})") from exc
        try:
            seed_indicators(_load_optional(INDICATORS_FILE), report, reset=reset)
        except FixtureError as exc:
            raise SeedError(f"{INDICATORS_FILE} : {exc}") from exc
        except MALFORMED as exc:
            raise SeedError(f"{INDICATORS_FILE} : champ mal formé ({exc!r})") from exc
        if report.changed:
            record_change(models.Protocol.objects.all())
    return report
