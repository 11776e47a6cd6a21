"""Public pages around the protocols: home, territory and thematic lists, glossary,
accessibility statement."""

from itertools import groupby

from django.shortcuts import render
from django.urls import reverse

from commitments.models import GlossaryTerm, Thematic
from commitments.selectors.rollups import rollup_grid, territory_cards
from commitments.views.pdf_downloads import all_protocols_pdf_links
from perer.lib.text import fold_accents
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
    cards = territory_cards(territories)
    protocols = {card.territory.pk: card.protocol for card in cards if card.protocol}
    return render(
        request,
        "portal/territory_list.html",
        {
            "cards": cards,
            "pdf_links": all_protocols_pdf_links(territories, protocols),
            "breadcrumbs": [("Accueil", reverse("home")), ("Territoires", None)],
        },
    )


def thematic_list(request):
    """The thematics, and how many commitments each territory tracks in each of them."""
    thematics = list(Thematic.objects.all())
    grid = rollup_grid(("territory", "thematic"), Territory.objects.in_display_order(), thematics)
    return render(
        request,
        "portal/thematic_list.html",
        {
            "thematics": thematics,
            "grid": grid,
            "breadcrumbs": [("Accueil", reverse("home")), ("Thématiques", None)],
        },
    )


def _initial(term):
    first = fold_accents(term.term)[:1].upper()
    return first if first.isalpha() else "#"


def glossary(request):
    terms = sorted(GlossaryTerm.objects.all(), key=lambda term: fold_accents(term.term))
    letters = [(letter, list(group)) for letter, group in groupby(terms, key=_initial)]
    return render(
        request,
        "portal/glossary.html",
        {"letters": letters, "breadcrumbs": [("Accueil", reverse("home")), ("Glossaire", None)]},
    )


def accessibility(request):
    return render(
        request,
        "portal/accessibility.html",
        {"breadcrumbs": [("Accueil", reverse("home")), ("Déclaration d'accessibilité", None)]},
    )
