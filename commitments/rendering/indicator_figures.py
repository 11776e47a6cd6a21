"""An indicator's figures as French text: « 35 % », « 2 400 », the baseline « 7 % (2015) », the
target « au minimum 30 % », « 2 400 à l'horizon 2030 », « valeur de référence × 2 ».

Plain strings, no query: the indicator's definition comes with it (`with_commitment()`). The
admin shows them now; the indicators' pages and exports will.
"""

from decimal import Decimal

from commitments.enums import Unit
from commitments.models.indicators import french_number

NBSP = "\u00a0"


def figure(value, unit):
    """« 35 % », « 2 400 », « 1 250,5 € »: thousands grouped by a no-break space, decimal
    comma, no trailing zero, the unit's symbol after a no-break space. « — » for None."""
    if value is None:
        return "—"
    whole, _, decimals = french_number(value).partition(",")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    text = sign + NBSP.join(groups) + (f",{decimals}" if decimals else "")
    symbol = Unit(unit).symbol
    return f"{text}{NBSP}{symbol}" if symbol else text


def baseline_text(indicator):
    """« 7 % (2015) », « 4 » (no year given), or "" without a baseline."""
    if indicator.baseline_value is None:
        return ""
    shown = figure(indicator.baseline_value, indicator.definition.unit)
    return f"{shown} ({indicator.baseline_year})" if indicator.baseline_year else shown


def target_text(indicator):
    """« 50 % », « au minimum 30 % », « valeur de référence × 2 », followed by the horizon as
    the text writes it (« à l'horizon 2030 ») or the year (« en 2030 »); "" without a target."""
    if indicator.target_value is not None:
        text = figure(indicator.target_value, indicator.definition.unit)
    elif indicator.target_factor is not None:
        factor = french_number(Decimal(indicator.target_factor))
        text = f"valeur de référence{NBSP}×{NBSP}{factor}"
    else:
        return ""
    if indicator.target_is_minimum:
        text = f"au minimum {text}"
    if indicator.target_horizon:
        return f"{text} {indicator.target_horizon}"
    if indicator.target_year:
        return f"{text} en {indicator.target_year}"
    return text
