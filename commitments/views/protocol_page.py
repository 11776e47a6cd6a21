"""/territoires/<slug>/: the whole protocol of one territory, as the document reads.

Queries: the territory, the protocol in force, its loaded tree (reporting/protocol_tree.py) and
the glossary; every roll-up is computed from the loaded tree, without a query. The PDF links
say the files' sizes from the cache (views/pdf_downloads.py): no query, never a render.
"""

from itertools import groupby

from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from commitments.models import Protocol
from commitments.rendering.glossary_markup import Glossary
from commitments.reporting.numbering import tree_paths
from commitments.reporting.protocol_tree import load_protocol_tree
from commitments.reporting.rollups import Rollup
from commitments.views.pdf_downloads import territory_pdf_links
from territories.models import Territory


def _prepare(protocol):
    """Attach to the loaded tree what the template needs and return the protocol's roll-up.

    Each section gets `groups`, its strategic objectives grouped by consecutive subheading;
    each strategic objective its `rollup`; every node its `number` ("2.1.3", as the exports
    give it), which names its links apart."""
    rollups = []
    paths = tree_paths(protocol)
    for section in protocol.sections.all():
        objectives = list(section.strategic_objectives.all())
        section.groups = [
            (subheading, list(group))
            for subheading, group in groupby(objectives, key=lambda so: so.subheading)
        ]
        for so in objectives:
            so.rollup = Rollup.of_tree([so])
            rollups.append(so.rollup)
            so.number = paths[so.level, so.pk]
            for oo in so.operational_objectives.all():
                oo.number = paths[oo.level, oo.pk]
                for action in oo.actions.all():
                    action.number = paths[action.level, action.pk]
    return Rollup.sum(rollups)


def territory_detail(request, slug):
    territory = get_object_or_404(Territory, slug=slug)
    current = Protocol.objects.current_for(territory)
    context = {
        "territory": territory,
        "breadcrumbs": [
            ("Accueil", reverse("home")),
            ("Territoires", reverse("territory_list")),
            (territory.name, None),
        ],
    }
    if current is not None:
        protocol = load_protocol_tree(current.pk)
        context.update(
            protocol=protocol,
            rollup=_prepare(protocol),
            glossary=Glossary(),
            pdf_links=territory_pdf_links(territory, current),
        )
    return render(request, "portal/territory_detail.html", context)
