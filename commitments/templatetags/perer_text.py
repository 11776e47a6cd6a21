"""Filters that turn stored text into safe HTML: paragraphs, and acronyms as <abbr>.

The same functions are the filters of the Jinja2 templates (rendering/jinja_env.py)."""

from django import template

from commitments.rendering.glossary_markup import abbr
from perer.lib.text import paragraphs, without_final_colon

register = template.Library()
register.filter("paragraphs", paragraphs)
register.filter("abbr", abbr)
register.filter("without_final_colon", without_final_colon)
