"""Open data of the indicators: one row per yearly value, as CSV or JSON, streamed.

Each row repeats its indicator's fields (territory, definition, scope, direction, baseline,
target, the commitment it measures), so that a reuser reads one value per line without a join;
an indicator without any value yet has one row with empty `annee` and `valeur`, so that every
indicator and its target are there. Columns and types: docs/tableschema-indicateurs.json.

Same conventions as the commitments' export (rendering/flat_export.py): the CSV dialect (UTF-8
with BOM, comma, CRLF), texts neutralised against formulas in CSV only, JSON an array of
objects with the same keys, null for a missing value. Figures are numbers with a decimal point
and no trailing zeros (« 35 », « 12.5 »); `valeur_enregistree_le` is in UTC (ISO 8601). The
values' authors are not published (personal data).

Queries: selectors/indicator_data.py's, six at most whatever the size.
"""

import datetime
from decimal import Decimal

from commitments.selectors.indicator_data import (
    commitment_path,
    commitment_url,
    indicator_paths,
    indicators_with_values,
)

# Column order of the CSV and key order of the JSON (docs/tableschema-indicateurs.json).
COLUMNS = (
    "identifiant",
    "territoire",
    "territoire_slug",
    "indicateur_id",
    "code",
    "nom",
    "unite",
    "decimales",
    "definition",
    "perimetre",
    "sens",
    "source",
    "valeur_reference",
    "annee_reference",
    "valeur_cible",
    "cible_multiplicateur",
    "cible_minimum",
    "annee_cible",
    "echeance",
    "formulation",
    "thematique",
    "thematique_slug",
    "engagement_identifiant",
    "engagement_niveau",
    "engagement_chemin",
    "engagement_intitule",
    "engagement_url",
    "annee",
    "valeur",
    "valeur_source",
    "valeur_commentaire",
    "valeur_enregistree_le",
)


def number(value):
    """A stored figure (Decimal('35.0000')) as the exports give it: an int when whole (35),
    a float otherwise (12.5; at most 14 significant digits, exact as a float); None stays."""
    if value is None:
        return None
    value = Decimal(value).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def utc_timestamp(moment):
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def indicator_fields(indicator, paths, base_url):
    """The columns every row of an indicator repeats (no query once loaded)."""
    definition = indicator.definition
    territory = indicator.territory
    commitment = indicator.commitment
    thematic = commitment.section.thematic
    return {
        "territoire": territory.name,
        "territoire_slug": territory.slug,
        "indicateur_id": indicator.pk,
        "code": definition.code,
        "nom": definition.name,
        "unite": definition.unit,
        "decimales": definition.decimals,
        "definition": definition.definition or None,
        "perimetre": indicator.scope or None,
        "sens": indicator.direction or None,
        "source": indicator.source or None,
        "valeur_reference": number(indicator.baseline_value),
        "annee_reference": indicator.baseline_year,
        "valeur_cible": number(indicator.target_value),
        "cible_multiplicateur": number(indicator.target_factor),
        "cible_minimum": indicator.target_is_minimum,
        "annee_cible": indicator.target_year,
        "echeance": indicator.target_horizon or None,
        "formulation": indicator.wording or None,
        "thematique": thematic.name,
        "thematique_slug": thematic.slug,
        "engagement_identifiant": commitment.anchor,
        "engagement_niveau": str(commitment.level),
        "engagement_chemin": commitment_path(indicator, paths),
        "engagement_intitule": commitment.text,
        "engagement_url": base_url + commitment_url(indicator),
    }


NO_VALUE = {
    "annee": None,
    "valeur": None,
    "valeur_source": None,
    "valeur_commentaire": None,
    "valeur_enregistree_le": None,
}


def iter_rows(indicators, base_url=""):
    """One dict per value (an indicator's values by year), or per indicator without a value,
    in the indicators' order, keys in COLUMNS order. Values are typed (int, float, bool or
    None); flat_export.to_csv_row flattens them."""
    base_url = base_url.rstrip("/")
    indicators = list(indicators)
    paths = indicator_paths(indicators)
    for indicator in indicators:
        common = indicator_fields(indicator, paths, base_url)
        values = list(indicator.yearly_values.all())
        if not values:
            yield {"identifiant": f"indicateur-{indicator.pk}", **common, **NO_VALUE}
        for row in values:
            yield {
                "identifiant": f"indicateur-{indicator.pk}-{row.year}",
                **common,
                "annee": row.year,
                "valeur": number(row.value),
                "valeur_source": row.source or None,
                "valeur_commentaire": row.comment or None,
                "valeur_enregistree_le": utc_timestamp(row.recorded_at),
            }


def export_indicators_queryset(territory=None):
    return indicators_with_values(territory)
