"""/territoires/<slug>/: the whole protocol of one territory, as the document reads.

Queries (10 in all, page cache version included, whatever the protocol's size): the protocol in
force with its territory, its loaded tree (selectors/protocol_tree.py: 6), its edition in force
(one query) and the glossary; every roll-up is computed from the loaded tree,
and the comparison of the current text with the edition in force (selectors/edition_diff.py)
from the loaded tree and the edition's snapshot, without a query. Each item added, moved or
changed since that edition is marked with a link to its change on the comparison page. The PDF links
say the files' sizes from the cache (views/pdf_downloads.py): no query, never a render.
"""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from commitments.models import Protocol
from commitments.rendering.glossary_markup import Glossary
from commitments.rendering.pdf import facts_stamp
from commitments.selectors.edition_diff import ADDED, MOVED
from commitments.selectors.edition_text import editions_in_force
from commitments.selectors.numbering import tree_paths
from commitments.selectors.protocol_tree import load_protocol_tree
from commitments.selectors.rollups import Rollup
from commitments.views.edition_pages import comparison_url, text_version
from commitments.views.pdf_downloads import territory_pdf_links
from territories.models import Territory


def _prepare(protocol):
    """Attach to the loaded tree what the template needs and return the protocol's roll-up.

    Each strategic objective gets its `rollup`; every node its `number` ("2.1.3", as the
    exports give it), which names its links apart."""
    rollups = []
    paths = tree_paths(protocol)
    for section in protocol.sections.all():
        for so in section.strategic_objectives.all():
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


def _mark_changes(protocol, in_force, slug):
    """Put on each node of the loaded tree added, moved or changed since the edition in force
    (`in_force`: selectors/edition_text.InForce) its `edition_mark` (wording, link to the
    change on the comparison page)."""
    marks = {}
    for change in in_force.comparison.changes:
        if change.item_kind != "protocol" and change.kind != "removed":
            marks.setdefault((change.item_kind, change.item_id), change)
    if not marks:
        return
    base = comparison_url(slug, in_force.edition.number, "courant")
    since = f"depuis l'{in_force.name}"
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


def territory_detail(request, slug):
    # The protocol in force with its territory in one query; the territory alone only when it
    # has no protocol.
    current = Protocol.objects.in_force().select_related("territory").filter(territory__slug=slug)
    current = current.first()
    territory = current.territory if current else get_object_or_404(Territory, slug=slug)
    context = {
        "territory": territory,
        "breadcrumbs": [
            ("Accueil", reverse("home")),
            ("Territoires", reverse("territory_list")),
            (territory.name, None),
        ],
    }
    if current is not None:
        protocol = load_protocol_tree(protocol=current)
        in_force = editions_in_force([protocol]).get(protocol.pk)
        if in_force is not None:
            _mark_changes(protocol, in_force, slug)
            context.update(
                edition_in_force=in_force.edition,
                edition_in_force_name=in_force.name,
                pending=in_force.summary if in_force.comparison else "",
                pending_url=comparison_url(slug, in_force.edition.number, "courant"),
            )
        context.update(
            protocol=protocol,
            rollup=_prepare(protocol),
            glossary=Glossary(),
            pdf_links=territory_pdf_links(territory, current),
        )
    return render(request, "portal/territory_detail.html", context)
