"""/engagements/: every commitment of every territory, filtered, searched and paginated.

Queries (at most 10, page cache version included, whatever the data size): the filters'
choices (4), one page of rows with the count (selectors/search.py), the rows' tree (one query
per level present) and the glossary."""

from django import forms
from django.core.paginator import Page, Paginator
from django.shortcuts import render
from django.urls import reverse

from commitments.enums import Level, Status
from commitments.rendering.glossary_markup import Glossary
from commitments.selectors.filtersets import facet_lists
from commitments.selectors.search import CommitmentSearch, load_rows, page_rows

PER_PAGE = 25


class LevelForm(forms.Form):
    niveau = forms.ChoiceField(
        label="Niveau", required=False, choices=[("", "Tous les niveaux"), *Level.choices]
    )


def _without(query, name, value):
    """The query string without one value of one parameter (and without the page)."""
    query = query.copy()
    query.pop("page", None)
    query.setlist(name, [v for v in query.getlist(name) if v != value])
    return "?" + query.urlencode() if query else "?"


def active_filters(query, cleaned):
    """(label, URL that removes this filter) for each filter in use, one per value."""
    labels = []
    for territory in cleaned.get("territoire") or []:
        labels.append(("territoire", territory.slug, f"Territoire : {territory.name}"))
    for name, title in (("thematique", "Thématique"), ("partenaire", "Partenaire"), ("axe", "Axe")):
        if cleaned.get(name):
            labels.append((name, query.get(name), f"{title} : {cleaned[name]}"))
    if cleaned.get("statut"):
        labels.append(("statut", cleaned["statut"], f"Statut : {Status(cleaned['statut']).label}"))
    if cleaned.get("niveau"):
        labels.append(("niveau", cleaned["niveau"], f"Niveau : {Level(cleaned['niveau']).label}"))
    if cleaned.get("q"):
        labels.append(("q", query.get("q"), f"Texte : « {cleaned['q']} »"))
    return [(label, _without(query, name, value)) for name, value, label in labels]


def _page(rows, number):
    """The page of `rows` that Paginator.get_page(number) gives (a number out of range: the
    last page; not a number: the first), in one query (selectors/search.page_rows)."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1
    found, count, number = page_rows(rows, number, PER_PAGE)
    paginator = Paginator(rows, PER_PAGE)
    paginator.count = count  # a cached property: the paginator does not count again
    return Page(found, number, paginator)


def commitment_search(request):
    level_form = LevelForm(request.GET)
    levels = [level_form.cleaned_data["niveau"]] if level_form.is_valid() else []
    # The filters' choices and the glossary, cached under the content version when the page
    # cache read it (views/page_cache.py); loaded otherwise.
    version = getattr(request, "content_version", None)
    search = CommitmentSearch(
        request.GET, levels=[level for level in levels if level], facets=facet_lists(version)
    )
    context = {
        "form": search.form,
        "level_form": level_form,
        "breadcrumbs": [("Accueil", reverse("home")), ("Rechercher un engagement", None)],
    }
    if not (search.is_valid() and level_form.is_valid()):
        return render(request, "portal/search.html", context, status=400)

    page = _page(search.rows(), request.GET.get("page"))
    paginator, rows = page.paginator, list(page.object_list)
    cleaned = {**search.form.cleaned_data, **level_form.cleaned_data}
    context.update(
        page=page,
        paginator=paginator,
        results=load_rows(rows),
        active_filters=active_filters(request.GET, cleaned),
        glossary=Glossary(),
    )
    return render(request, "portal/search.html", context)
