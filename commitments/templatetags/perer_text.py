"""Filters that turn stored text into safe HTML: paragraphs, and acronyms as <abbr>; and the
text without its final colon (a link's name)."""

from django import template

from commitments.rendering.glossary_markup import abbr
from perer.lib.text import paragraphs, without_final_colon

register = template.Library()
register.filter("paragraphs", paragraphs)
register.filter("abbr", abbr)
register.filter("without_final_colon", without_final_colon)
