"""Text helpers shared by every app."""

import re
import unicodedata

BLANK_LINE = re.compile(r"\n\s*\n")
FINAL_COLON = re.compile(r"[\s\u00a0\u202f]*:[\s\u00a0\u202f]*$")


def fold_accents(text):
    """Case-folded, without accents: "Évry", "EVRY" and "evry" fold to "evry"."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def alphanumeric_key(text):
    """Letters and digits only, folded: "Évry-Courcouronnes" and "EVRY - COURCOURONNES" match."""
    return "".join(char for char in fold_accents(text) if char.isalnum())


def paragraphs(text):
    """The paragraphs of a text field: blocks separated by a blank line."""
    return [block.strip() for block in BLANK_LINE.split(text or "") if block.strip()]


def without_final_colon(text):
    """The text without the colon that ends it: in the protocol it introduces the items below,
    in a list of results or a link's name nothing follows. The page and the PDF of the protocol
    keep the exact text."""
    return FINAL_COLON.sub("", str(text or ""))


TRUNCATION = " …"


def truncated_words(text, count):
    """What Django's `truncatewords` filter gives (the words joined by single spaces, " …" after
    the `count` first when there are more), without its lazy Truncator: the protocol page
    names hundreds of links with it. Checked against Django's filter in the tests."""
    if count <= 0:
        return ""
    words = str(text).split()
    if len(words) <= count:
        return " ".join(words)
    kept = " ".join(words[:count])
    return kept if kept.endswith(TRUNCATION) else kept + TRUNCATION
