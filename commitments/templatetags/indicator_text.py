"""Filters for the indicators' figures in French (rendering/indicator_figures.py): a value in its
unit, the baseline « 7 % (2015) », the target « au minimum 30 % à l'horizon 2030 »."""

from django import template

from commitments.rendering.indicator_figures import baseline_text, figure, target_text

register = template.Library()
register.filter("baseline_text", baseline_text)
register.filter("target_text", target_text)


@register.filter
def in_unit(value, indicator):
    """« 35 % »: `value` in the unit of `indicator`'s definition."""
    return figure(value, indicator.definition.unit)
