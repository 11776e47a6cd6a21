"""Load the indicators of `fixtures/indicators.yaml` (called by seed_protocols, services/seed.py).

The file holds the shared definitions, then each territory's indicators: the commitment it
measures, named by the beginning of its text as the protocol adopted it, the sentence of the
protocol it comes from (`quote`), its baseline, target and values (fixtures/README.md).

Same rules as the rest of the seed: idempotent, and an edit is never overwritten.
- A definition is created when its code is missing, otherwise left as staff edited it
  (`reset=True` puts it back as the file writes it).
- An indicator (a definition, a territory, a scope) is created, with its values, only if the
  database never had it: one that exists, or that existed and was deleted (its history says
  so), is left alone — a second run changes nothing, and a deletion made in the admin is not
  undone. `reset=True` (seed_protocols --reset, which rebuilt the protocols) loads them all.
- The commitment is found in the text the protocol adopted — its edition 1 (models/edition.py),
  whose items keep their ids — so that a commitment whose text staff corrected since is still
  found; one deleted since has nothing to attach to: the indicator is skipped and reported.
Every write goes through services/indicator_writes.py, hence through the models' validation:
a value the rules refuse (a percentage above 100, a year in the future) stops the seed.

A malformed entry raises FixtureError (French, naming the entry), which the seed reports.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from commitments.models import (
    COMMITMENT_FIELDS,
    Action,
    Edition,
    Indicator,
    IndicatorDefinition,
    OperationalObjective,
    Protocol,
    StrategicObjective,
)
from commitments.selectors.edition_snapshot import node_fields
from commitments.services.indicator_writes import (
    record_indicator_value,
    save_definition,
    save_indicator,
)

INDICATORS_FILE = "indicators.yaml"
# The models of the kinds of an edition's snapshot.
KINDS = {
    "strategic_objective": StrategicObjective,
    "operational_objective": OperationalObjective,
    "action": Action,
}


class FixtureError(ValueError):
    """An entry of indicators.yaml that cannot be loaded."""


def _norm(text):
    return " ".join(str(text).split())


def _entries(data, key):
    items = data.get(key) or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise FixtureError(f"« {key} » : une liste d'ensembles « clé: valeur » est attendue.")
    return items


def _required(item, key, where):
    value = item.get(key)
    if value is None or str(value).strip() == "":
        raise FixtureError(f"{where} : « {key} » manque.")
    return value


def _figure(value, where):
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise FixtureError(f"{where} : « {value} » n'est pas un nombre.") from None
    if not number.is_finite():
        raise FixtureError(f"{where} : « {value} » n'est pas un nombre.")
    return number


def _part(item, key, where):
    part = item.get(key) or {}
    if not isinstance(part, dict):
        raise FixtureError(f"{where} › {key} : un ensemble « clé: valeur » est attendu.")
    return part


def _validated(where, write, *args, **kwargs):
    try:
        return write(*args, **kwargs)
    except ValidationError as error:
        raise FixtureError(f"{where} : {' '.join(error.messages)}") from error


def _seed_definitions(data, report, reset):
    """Create the missing definitions; with `reset`, put the others back as the file writes
    them (as the seed does for the reference lists)."""
    for item in _entries(data, "definitions"):
        code = _required(item, "code", "définition")
        definition = IndicatorDefinition.objects.filter(code=code).first()
        if definition is not None and not reset:
            continue
        created = definition is None
        definition = definition or IndicatorDefinition(code=code)
        definition.name = _required(item, "name", code)
        definition.unit = _required(item, "unit", code)
        definition.decimals = item.get("decimals", 0)
        definition.definition = _norm(item.get("definition") or "")
        _validated(f"définition {code}", save_definition, definition)
        if created:
            report.add("définitions d'indicateurs")


def adopted_commitment(protocol, beginning, quote, where):
    """The commitment of `protocol`'s edition 1 whose text begins with `beginning` and holds
    `quote`, as the live row (None when it was deleted since)."""
    edition = Edition.objects.filter(protocol=protocol, number=1).first()
    if edition is None:
        raise FixtureError(f"{where} : le protocole n'a pas d'édition 1 (texte adopté).")
    found = [
        (kind, pk, fields)
        for (kind, pk), fields in node_fields(edition.snapshot).items()
        if kind in KINDS and _norm(fields["text"]).startswith(_norm(beginning))
    ]
    if len(found) != 1:
        raise FixtureError(
            f"{where} : {len(found)} engagements du texte adopté commencent par "
            f"« {beginning} » (il en faut exactement un)."
        )
    kind, pk, fields = found[0]
    if _norm(quote) not in _norm(f"{fields['text']} {fields['details']}"):
        raise FixtureError(f"{where} : la citation n'est pas dans le texte de l'engagement.")
    return KINDS[kind].objects.filter(pk=pk).first()


def _ever_loaded(definition, territory, scope):
    """Does the database hold this indicator, or did it (deleted since)?"""
    lookup = {"definition_id": definition.pk, "territory_id": territory.pk, "scope": scope}
    return (
        Indicator.objects.filter(**lookup).exists() or Indicator.history.filter(**lookup).exists()
    )


def _seed_indicator(item, protocols, report, reset):
    code = _required(item, "definition", "indicateur")
    slug = _required(item, "territory", code)
    where = f"indicateur {code} ({slug})"
    definition = IndicatorDefinition.objects.filter(code=code).first()
    if definition is None:
        raise FixtureError(f"{where} : définition inconnue.")
    protocol = protocols.get(slug)
    if protocol is None:
        raise FixtureError(f"{where} : territoire sans protocole adopté par cette délibération.")
    scope = _norm(item.get("scope") or "")
    if not reset and _ever_loaded(definition, protocol.territory, scope):
        return
    quote = _norm(_required(item, "quote", where))
    commitment = adopted_commitment(protocol, _required(item, "commitment", where), quote, where)
    if commitment is None:
        report.skipped_indicators.append(f"{where} : engagement supprimé depuis l'adoption.")
        return
    baseline, target = _part(item, "baseline", where), _part(item, "target", where)
    indicator = Indicator(
        definition=definition,
        territory=protocol.territory,
        scope=scope,
        direction=item.get("direction") or "",
        source=item.get("source") or "",
        baseline_value=_figure(baseline.get("value"), where),
        baseline_year=baseline.get("year"),
        target_value=_figure(target.get("value"), where),
        target_factor=_figure(target.get("factor"), where),
        target_is_minimum=bool(target.get("minimum", False)),
        target_year=target.get("year"),
        target_horizon=target.get("horizon") or "",
        wording=quote,
        **{COMMITMENT_FIELDS[type(commitment)]: commitment},
    )
    _validated(where, save_indicator, indicator)
    report.add("indicateurs")
    default_source = f"{protocol.title} ({protocol.deliberation_reference})"
    for value in _entries(item, "values"):
        year = _required(value, "year", where)
        _validated(
            f"{where}, valeur de {year}",
            record_indicator_value,
            indicator,
            year=year,
            value=_figure(_required(value, "value", where), where),
            source=value.get("source") or default_source,
            comment=value.get("comment") or "",
        )
        report.add("valeurs d'indicateurs")


def seed_indicators(data, report, reset=False):
    """Load the definitions and indicators of `data` (indicators.yaml, parsed): see the module
    docstring. `report` is the seed's SeedReport."""
    if not data:
        return
    if not isinstance(data, dict):
        raise FixtureError("un ensemble « clé: valeur » est attendu.")
    _seed_definitions(data, report, reset)
    reference = _required(data, "deliberation_reference", INDICATORS_FILE)
    protocols = {
        protocol.territory.slug: protocol
        for protocol in Protocol.objects.filter(deliberation_reference=reference).select_related(
            "territory"
        )
    }
    for item in _entries(data, "indicators"):
        _seed_indicator(item, protocols, report, reset)
