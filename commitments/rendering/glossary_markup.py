"""Acronyms of the glossary marked up as <abbr>; every piece of text is escaped, so that nothing
typed in the admin can inject markup."""

import hashlib
import html
import re
from functools import cached_property

from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe

from commitments.models import GlossaryTerm


class Glossary:
    """The glossary loaded once (one query), then used to mark up any number of texts."""

    def __init__(self, terms=None):
        self.terms = list(terms if terms is not None else GlossaryTerm.objects.all())
        self.by_term = {term.term: term for term in self.terms}

    @cached_property
    def version(self):
        """A digest of what the markup depends on (each term and its expansion): part of the
        keys of the fragments cached with this glossary's markup (rendering/protocol_fragments)."""
        digest = hashlib.sha256()
        for term in sorted(self.terms, key=lambda term: term.term):
            digest.update(f"{term.term}\x00{term.expansion}\x00".encode())
        return digest.hexdigest()[:12]

    @cached_property
    def pattern(self):
        if not self.terms:
            return None
        # Longest first, so that "CA GPS" wins over "GPS"; whole words only.
        alternatives = sorted((re.escape(t.term) for t in self.terms), key=len, reverse=True)
        return re.compile(r"(?<![\w-])(" + "|".join(alternatives) + r")(?![\w-])")

    def abbreviate(self, text) -> SafeString:
        """`text` escaped, with each known acronym wrapped in <abbr title="expansion">.

        Matching runs on the raw text and each piece is escaped on its own, so a term can never
        match inside an HTML entity. Pieces are escaped by `html.escape`, what Django's `escape`
        calls (without its lazy-string wrapper: pages mark up thousands of texts)."""
        text = str(text or "")
        if self.pattern is None:
            return escape(text)
        markup = self._terms_markup
        pieces, last = [], 0
        for match in self.pattern.finditer(text):
            pieces.append(html.escape(text[last : match.start()]))
            pieces.append(markup[match.group(1)])
            last = match.end()
        pieces.append(html.escape(text[last:]))
        return mark_safe("".join(pieces))  # noqa: S308 - every piece escaped above

    @cached_property
    def _terms_markup(self):
        """Each term's markup: <abbr title="expansion">, or the term escaped."""
        return {
            term.term: format_html('<abbr title="{}">{}</abbr>', term.expansion, term.term)
            if term.expansion
            else escape(term.term)
            for term in self.terms
        }

    def terms_in(self, texts):
        """The glossary terms that occur in any of `texts`, in alphabetical order."""
        if self.pattern is None:
            return []
        found = set()
        for text in texts:
            found.update(self.pattern.findall(text or ""))
        return sorted((self.by_term[t] for t in found), key=lambda term: term.term.casefold())


def abbr(text, glossary=None):
    """The text escaped, with the glossary's acronyms marked up as <abbr title="…">.

    `glossary` is the page's Glossary (loaded once per page). Without one (the PDF, whose
    glossary is an appendix), the text is only escaped. The `abbr` filter of the templates
    (templatetags/perer_text.py)."""
    if not glossary:
        return conditional_escape(text or "")
    return glossary.abbreviate(text)
