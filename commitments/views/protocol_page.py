"""/territoires/<slug>/: the whole protocol of one territory, as the document reads.

Queries: the territory, the protocol in force, its loaded tree (reporting/protocol_tree.py), its
edition in force (one query) and the glossary; every roll-up is computed from the loaded tree,
and the comparison of the current text with the edition in force (reporting/edition_diff.py)
from the loaded tree and the edition's snapshot, without a query. Each item added, moved or
changed since that edition is marked with a link to its change on the comparison page. The PDF links
say the files' sizes from the cache (views/pdf_downloads.py): no query, never a render.
"""

from itertools import groupby

from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from commitments.models import Edition, Protocol
from commitments.rendering.glossary_markup import Glossary
from commitments.rendering.pdf import facts_stamp
from commitments.reporting.edition_diff import ADDED, MOVED, compare
from commitments.reporting.edition_text import edition_name
from commitments.reporting.numbering import tree_paths
from commitments.reporting.protocol_tree import load_protocol_tree
from commitments.reporting.rollups import Rollup
from commitments.services.editions import KIND_OF_LEVEL, snapshot_from_tree
from commitments.views.edition_pages import comparison_url, count_summary, text_version
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


MARK_WORDING = {ADDED: "Ajouté", MOVED: "Déplacé"}


def page_version(request, slug):
    """The page-cache version (one query, one cache read): the protocol's and its editions'
    (publishing an edition changes the banner and the marks), and its PDF's facts (the links'
    sizes, as pdf_downloads.protocol_page_version)."""
    return f"{text_version(slug)}#{facts_stamp(slug)}"


def _mark_changes(protocol, edition, slug):
    """Compare the current text (the loaded tree) with `edition`; put on each node added,
    moved or changed since its `edition_mark` (wording, link to the change). Returns the
    comparison."""
    paths = {(KIND_OF_LEVEL[level], pk): path for (level, pk), path in tree_paths(protocol).items()}
    comparison = compare(edition.snapshot, snapshot_from_tree(protocol, paths))
    marks = {}
    for change in comparison.changes:
        if change.item_kind != "protocol" and change.kind != "removed":
            marks.setdefault((change.item_kind, change.item_id), change)
    if not marks:
        return comparison
    base = comparison_url(slug, edition.number, "courant")
    since = f"depuis l'{edition_name(edition)}"
    for section in protocol.sections.all():
        nodes = [("section", section)]
        for so in section.strategic_objectives.all():
            nodes.append(("strategic_objective", so))
            for oo in so.operational_objectives.all():
                nodes.append(("operational_objective", oo))
                nodes.extend(("action", action) for action in oo.actions.all())
        for kind, node in nodes:
            change = marks.get((kind, node.pk))
            if change is not None:
                wording = MARK_WORDING.get(change.kind, "Modifié")
                node.edition_mark = (f"{wording} {since}", f"{base}#{change.anchor}")
    return comparison


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
        edition = Edition.objects.for_protocol(current).newest_first().first()
        if edition is not None:
            comparison = _mark_changes(protocol, edition, slug)
            context.update(
                edition_in_force=edition,
                edition_in_force_name=edition_name(edition),
                pending=count_summary(comparison.counts) if comparison else "",
                pending_url=comparison_url(slug, edition.number, "courant"),
            )
        context.update(
            protocol=protocol,
            rollup=_prepare(protocol),
            glossary=Glossary(),
            pdf_links=territory_pdf_links(territory, current),
        )
    return render(request, "portal/territory_detail.html", context)
