"""Filters that turn stored text into safe HTML: paragraphs, and acronyms as <abbr>."""

import re

from django import template
from django.utils.html import conditional_escape

register = template.Library()

BLANK_LINE = re.compile(r"\n\s*\n")


@register.filter
def paragraphs(text):
    """The paragraphs of a text field: blocks separated by a blank line."""
    return [block.strip() for block in BLANK_LINE.split(text or "") if block.strip()]


@register.filter
def abbr(text, glossary=None):
    """The text escaped, with the glossary's acronyms marked up as <abbr title="…">.

    Pass the page's Glossary (loaded once per page): `{{ node.text|abbr:glossary }}`. Without
    one (the PDF, whose glossary is an appendix), the text is only escaped.
    """
    if not glossary:
        return conditional_escape(text or "")
    return glossary.abbreviate(text)


FINAL_COLON = re.compile(r"[\s\u00a0\u202f]*:[\s\u00a0\u202f]*$")


@register.filter
def without_final_colon(text):
    """The text without the colon that ends it: in the protocol it introduces the items below,
    in a list of results or a link's name nothing follows. The page and the PDF of the protocol
    keep the exact text."""
    return FINAL_COLON.sub("", str(text or ""))
