"""Filters that turn stored text into safe HTML: paragraphs, and acronyms as <abbr>; the text
without its final colon (a link's name); a person's name as perer/lib/user_names.py writes it."""

from django import template

from commitments.rendering.glossary_markup import abbr
from perer.lib.text import paragraphs, without_final_colon
from perer.lib.user_names import display_name, full_name

register = template.Library()
register.filter("paragraphs", paragraphs)
register.filter("abbr", abbr)
register.filter("without_final_colon", without_final_colon)
register.filter("display_name", display_name)
register.filter("full_name", full_name)
