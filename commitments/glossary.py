"""Acronyms of the glossary marked up as <abbr> in text, escaped first so that nothing typed in
the admin can inject markup."""

import re
from functools import cached_property

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from commitments.models import GlossaryTerm


class Glossary:
    """The glossary loaded once (one query), then used to mark up any number of texts."""

    def __init__(self, terms=None):
        self.terms = list(terms if terms is not None else GlossaryTerm.objects.all())
        self.by_term = {term.term: term for term in self.terms}

    @cached_property
    def pattern(self):
        if not self.terms:
            return None
        # Longest first, so that "CA GPS" wins over "GPS"; whole words only.
        alternatives = sorted(
            (re.escape(escape(t.term)) for t in self.terms), key=len, reverse=True
        )
        return re.compile(r"(?<![\w-])(" + "|".join(alternatives) + r")(?![\w-])")

    def abbreviate(self, text) -> SafeString:
        escaped = escape(text or "")
        if self.pattern is None:
            return mark_safe(escaped)  # noqa: S308 - escaped above
        by_escaped = {escape(term.term): term for term in self.terms}

        def replace(match):
            term = by_escaped[match.group(1)]
            if not term.expansion:
                return match.group(1)
            return format_html('<abbr title="{}">{}</abbr>', term.expansion, term.term)

        return mark_safe(self.pattern.sub(replace, escaped))  # noqa: S308 - parts escaped

    def terms_in(self, texts):
        """The glossary terms that occur in any of `texts`, in alphabetical order."""
        if self.pattern is None:
            return []
        found = set()
        for text in texts:
            found.update(self.pattern.findall(escape(text or "")))
        by_escaped = {escape(term.term): term for term in self.terms}
        return sorted((by_escaped[t] for t in found), key=lambda term: term.term.casefold())
