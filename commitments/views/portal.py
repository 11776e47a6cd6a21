"""Public pages around the protocols: home, territory list, glossary, accessibility statement."""

import unicodedata
from itertools import groupby

from django.shortcuts import render

from commitments.models import GlossaryTerm, Thematic
from commitments.portal_stats import territory_cards
from territories.models import Territory


def home(request):
    territories = list(Territory.objects.in_display_order())
    return render(
        request,
        "portal/home.html",
        {"cards": territory_cards(territories), "thematics": Thematic.objects.all()},
    )


def territory_list(request):
    territories = list(Territory.objects.in_display_order())
    return render(
        request,
        "portal/territory_list.html",
        {
            "cards": territory_cards(territories),
            "breadcrumbs": [("Accueil", "/"), ("Territoires", None)],
        },
    )


def _folded(text):
    """Lower case without accents: "Écoles" sorts and groups with "ecoles"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _initial(term):
    first = _folded(term.term)[:1].upper()
    return first if first.isalpha() else "#"


def glossary(request):
    terms = sorted(GlossaryTerm.objects.all(), key=lambda term: _folded(term.term))
    letters = [(letter, list(group)) for letter, group in groupby(terms, key=_initial)]
    return render(
        request,
        "portal/glossary.html",
        {"letters": letters, "breadcrumbs": [("Accueil", "/"), ("Glossaire", None)]},
    )


def accessibility(request):
    return render(
        request,
        "portal/accessibility.html",
        {"breadcrumbs": [("Accueil", "/"), ("Déclaration d'accessibilité", None)]},
    )
