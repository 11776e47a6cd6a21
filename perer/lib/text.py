"""Text helpers shared by every app."""

import unicodedata


def fold_accents(text):
    """Case-folded, without accents: "Évry", "EVRY" and "evry" fold to "evry"."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def alphanumeric_key(text):
    """Letters and digits only, folded: "Évry-Courcouronnes" and "EVRY - COURCOURONNES" match."""
    return "".join(char for char in fold_accents(text) if char.isalnum())
