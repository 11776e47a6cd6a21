"""The indicators' public pages: /indicateurs/ (filters territoire, thematique, trajectoire),
/territoires/<slug>/indicateurs/, /indicateurs/<id>/ (chart, table, status, the commitment it
measures) and /indicateurs/comparer/?code=<code> (one definition across territories; without
a code, the definitions to choose from; an unknown code is a 404).

Reads go through selectors/indicator_rows.py. Queries, page cache version aside: the list 4
(the filters' choices, the indicators, their values), a territory's 3, an indicator's 2, the
comparison 3, the definitions to choose from 1 — whatever the number of indicators and
values. Anonymous visitors get the page cache (perer/urls.py); nothing here writes.
"""

import re

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from commitments.rendering.indicator_chart import (
    ComparisonRow,
    chart_points,
    comparison_chart_svg,
    indicator_chart_svg,
)
from commitments.selectors.indicator_rows import (
    IndicatorFilterSet,
    comparison,
    definitions,
    filtered_rows,
    indicator_row,
    territory_rows,
)
from commitments.selectors.indicator_trajectory import TrajectoryStatus
from perer.lib.http_methods import require_safe
from territories.models import Territory

HOME = ("Accueil", "/")
# A definition's code (a SlugField of 80 characters): anything else is no code, never a query.
CODE = re.compile(r"[-a-zA-Z0-9_]{1,80}")


def _list_crumb(current=None):
    return ("Indicateurs", None if current else reverse("indicator_list"))


def _counts(rows):
    """[(status, count)] of the statuses present, in TrajectoryStatus order."""
    counts = {}
    for row in rows:
        counts[row.trajectory.status] = counts.get(row.trajectory.status, 0) + 1
    return [(status, counts[status]) for status in TrajectoryStatus if status in counts]


@require_safe
def indicator_list(request):
    filterset = IndicatorFilterSet(request.GET)
    context = {
        "form": filterset.form,
        "breadcrumbs": [HOME, _list_crumb(current=True)],
    }
    if not filterset.is_valid():
        return render(request, "indicators/indicator_list.html", context, status=400)
    rows = filtered_rows(filterset)
    context.update(rows=rows, counts=_counts(rows), filtered=bool(request.GET))
    return render(request, "indicators/indicator_list.html", context)


@require_safe
def territory_indicators(request, slug):
    territory = get_object_or_404(Territory, slug=slug)
    rows = territory_rows(territory)
    return render(
        request,
        "indicators/territory_indicators.html",
        {
            "territory": territory,
            "rows": rows,
            "counts": _counts(rows),
            "breadcrumbs": [
                HOME,
                ("Territoires", reverse("territory_list")),
                (territory.name, territory.get_absolute_url()),
                ("Indicateurs", None),
            ],
        },
    )


@require_safe
def indicator_detail(request, pk):
    row = indicator_row(pk)
    if row is None:
        raise Http404("Indicateur introuvable.")
    indicator = row.indicator
    points = chart_points(indicator, row.values, row.trajectory)
    return render(
        request,
        "indicators/indicator_detail.html",
        {
            "row": row,
            "indicator": indicator,
            "points": points,
            "has_trajectory": any(point.expected for point in points),
            "chart": indicator_chart_svg(indicator, points, row.trajectory),
            "breadcrumbs": [
                HOME,
                _list_crumb(),
                (
                    indicator.territory.name,
                    reverse("territory_indicators", kwargs={"slug": indicator.territory.slug}),
                ),
                (indicator.definition.name, None),
            ],
        },
    )


@require_safe
def indicator_compare(request):
    code = request.GET.get("code", "")
    if not code:
        return render(
            request,
            "indicators/definition_list.html",
            {
                "definitions": definitions(),
                "breadcrumbs": [HOME, _list_crumb(), ("Comparer", None)],
            },
        )
    found = comparison(code) if CODE.fullmatch(code) else None
    if found is None:
        raise Http404("Aucun indicateur n'a ce code.")
    definition, rows = found
    chart_rows = [
        ComparisonRow(
            label=_label(row.indicator),
            last_value=row.trajectory.last_value,
            last_year=row.trajectory.last_year,
            target=row.trajectory.target,
            status=row.trajectory.label,
            unit=definition.unit,
        )
        for row in rows
    ]
    return render(
        request,
        "indicators/indicator_compare.html",
        {
            "definition": definition,
            "rows": rows,
            "chart": comparison_chart_svg(
                chart_rows, title=f"{definition.name} : dernière valeur par territoire"
            ),
            "breadcrumbs": [HOME, _list_crumb(), (f"Comparer : {definition.name}", None)],
        },
    )


def _label(indicator):
    name = indicator.territory.name
    return f"{name} ({indicator.scope})" if indicator.scope else name
