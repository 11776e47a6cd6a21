"""The indicators as the open data and the API give them: each with its definition, its
territory, the commitment it measures (its section and thematic) and its yearly values.

`indicators_with_values()` loads them in two queries whatever their number (the indicators with
everything above them in one, the values in another); `commitment_path()` gives the number of
the measured commitment in its protocol (« 2.1.3 », selectors/numbering.py) from the paths of
`indicator_paths()`, four queries for any set of indicators.
"""

from django.db.models import Prefetch
from django.utils import timezone

from commitments.models import COMMITMENT_FIELDS, Indicator, IndicatorValue
from commitments.selectors.numbering import commitment_paths

# The indicators' order everywhere they are listed: territories in their order, then the
# definition's name and the scope (as the model orders them), the id settling ties.
INDICATOR_ORDER = ("territory__position", "definition__name", "scope", "pk")


def indicators_with_values(territory=None):
    """Every indicator (of `territory`, if given) with its definition, territory, commitment,
    the commitment's section and thematic, and its values by year: two queries."""
    above = [f"{field}__{model.tree.thematic}" for model, field in COMMITMENT_FIELDS.items()]
    indicators = (
        Indicator.objects.select_related("definition", "territory", *above)
        .prefetch_related(
            Prefetch("yearly_values", queryset=IndicatorValue.objects.order_by("year", "pk"))
        )
        .order_by(*INDICATOR_ORDER)
    )
    if territory is not None:
        indicators = indicators.for_territory(territory)
    return indicators


def indicator_paths(indicators):
    """The paths of every commitment of the protocols the indicators' commitments belong to
    (loaded by `indicators_with_values`): four queries, none without indicators."""
    protocol_ids = {indicator.commitment.section.protocol_id for indicator in indicators}
    return commitment_paths(protocol_ids) if protocol_ids else {}


def commitment_path(indicator, paths):
    commitment = indicator.commitment
    return paths.get((commitment.level, commitment.pk), "")


def commitment_url(indicator):
    """The measured commitment's anchor on its protocol's page (as the commitments' export
    gives it): no query once loaded."""
    return f"{indicator.territory.get_absolute_url()}#{indicator.commitment.anchor}"


def recent_indicator_values(territory=None, limit=10):
    """The values recorded last (of `territory`, if given), newest first, each with its
    indicator, definition, territory and commitment up to its thematic: one query. A value
    stamped in the future (a clock gone wrong) is left out: it would stay first for ever."""
    above = [
        f"indicator__{field}__{model.tree.thematic}" for model, field in COMMITMENT_FIELDS.items()
    ]
    values = IndicatorValue.objects.filter(recorded_at__lte=timezone.now()).select_related(
        "indicator__definition", "indicator__territory", *above
    )
    if territory is not None:
        values = values.for_territory(territory)
    return values.order_by("-recorded_at", "-pk")[:limit]
