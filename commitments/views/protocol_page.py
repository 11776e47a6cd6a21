"""/territoires/<slug>/: the whole protocol of one territory, as the document reads.

The tree is served one thematic section at a time from the fragment cache
(rendering/protocol_fragments.py: each section's markup and roll-up, keyed by the section's own
last change, the edition in force and its marks in the section, the glossary's version and the
code version); only the missing sections are rendered, from the loaded tree. The edition in
force, the summary of the changes since and the marks of each node added, moved or changed
(with a link to its change on the comparison page) are computed from the loaded tree and the
edition's snapshot (selectors/edition_diff.py) once per version of the protocol, then cached
(`EditionState`). The PDF links say the files' sizes from the cache (views/pdf_downloads.py):
no query, never a render.

Queries, whatever the protocol's size, page cache version included: 10 when a section must be
rendered after an edit (the protocol in force with its edition's key, its loaded tree
(selectors/protocol_tree.py: 6), its edition with the snapshot, the glossary); 4 when every
section and the edition state are cached (protocol, sections, glossary): the tree is not loaded.
"""

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from commitments.models import Edition, Protocol, ThematicSection
from commitments.rendering.glossary_markup import Glossary
from commitments.rendering.pdf import facts_stamp
from commitments.rendering.protocol_fragments import (
    cached_fragments,
    render_section,
    section_key,
    store_fragments,
)
from commitments.selectors.edition_diff import ADDED, MOVED
from commitments.selectors.edition_text import editions_in_force
from commitments.selectors.numbering import tree_paths
from commitments.selectors.protocol_tree import load_protocol_tree
from commitments.selectors.rollups import Rollup
from commitments.views.edition_pages import comparison_url, text_version
from commitments.views.pdf_downloads import territory_pdf_links
from perer.lib.versioned_cache import cached_under
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


@dataclass(frozen=True)
class EditionState:
    """The edition in force of a protocol as the page shows it: the banner (number, title, name,
    the summary of the unpublished changes) and the marks of what changed since, per section:
    {section id: ((kind, node id, wording, link), …)} in document order. Computed from the
    loaded tree and the edition's snapshot, cached per version of the protocol
    (`last_changed_at`, which every write and every publication moves) and edition."""

    number: int
    title: str
    name: str
    pending: str
    marks: dict


def _edition_state(protocol, slug):
    """The EditionState of a loaded protocol (one query: its edition with the snapshot), or None
    without an edition."""
    in_force = editions_in_force([protocol]).get(protocol.pk)
    if in_force is None:
        return None
    by_node = {}
    for change in in_force.comparison.changes:
        if change.item_kind != "protocol" and change.kind != "removed":
            by_node.setdefault((change.item_kind, change.item_id), change)
    base = comparison_url(slug, in_force.edition.number, "courant")
    since = f"depuis l'{in_force.name}"
    marks = {}
    for section in protocol.sections.all():
        nodes = [("section", section)]
        for so in section.strategic_objectives.all():
            nodes.append(("strategic_objective", so))
            for oo in so.operational_objectives.all():
                nodes.append(("operational_objective", oo))
                nodes.extend(("action", action) for action in oo.actions.all())
        for kind, node in nodes:
            change = by_node.get((kind, node.pk))
            if change is not None:
                wording = MARK_WORDING.get(change.kind, "Modifié")
                mark = (kind, node.pk, f"{wording} {since}", f"{base}#{change.anchor}")
                marks.setdefault(section.pk, []).append(mark)
    return EditionState(
        number=in_force.edition.number,
        title=in_force.edition.title,
        name=in_force.name,
        pending=in_force.summary if in_force.comparison else "",
        marks={pk: tuple(found) for pk, found in marks.items()},
    )


def _put_marks(section, marks):
    """Give each node of a loaded section its `edition_mark` (wording, link) from `marks`."""
    if not marks:
        return
    found = {(kind, pk): (wording, link) for kind, pk, wording, link in marks}
    nodes = [("section", section)]
    for so in section.strategic_objectives.all():
        nodes.append(("strategic_objective", so))
        for oo in so.operational_objectives.all():
            nodes.append(("operational_objective", oo))
            nodes.extend(("action", action) for action in oo.actions.all())
    for kind, node in nodes:
        mark = found.get((kind, node.pk))
        if mark is not None:
            node.edition_mark = mark


def _sections_markup(protocol, tree, state, glossary):
    """([markup of each section, in order], the protocol's roll-up, its sections) from the
    fragment cache (rendering/protocol_fragments.py), the tree loaded only when a fragment is
    missing (`tree`: the protocol already loaded with its tree, or None), the missing ones
    rendered and cached."""
    if tree is not None:
        sections = list(tree.sections.all())
    else:
        sections = list(
            ThematicSection.objects.filter(protocol=protocol).order_by("position", "pk")
        )
    edition_id = protocol.edition_in_force_id
    marks = state.marks if state else {}
    keys = [section_key(s, edition_id, glossary, marks.get(s.pk, ())) for s in sections]
    found = cached_fragments(keys)
    if len(found) < len(keys) and tree is None:
        return _sections_markup(protocol, load_protocol_tree(protocol=protocol), state, glossary)
    rendered = {}
    if len(found) < len(keys):
        _prepare(tree)
        for section, key in zip(sections, keys, strict=True):
            if key not in found:
                _put_marks(section, marks.get(section.pk))
                rendered[key] = render_section(section, glossary)
        store_fragments(rendered)
    fragments = [found.get(key) or rendered[key] for key in keys]
    return [markup for markup, _ in fragments], Rollup.sum(r for _, r in fragments), sections


def territory_detail(request, slug):
    # The protocol in force with its territory and its edition in force's key in one query; the
    # territory alone only when it has no protocol.
    current = Protocol.objects.in_force().select_related("territory").filter(territory__slug=slug)
    latest = Edition.objects.filter(protocol=OuterRef("pk")).newest_first().values("pk")[:1]
    current = current.annotate(edition_in_force_id=Subquery(latest)).first()
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
        tree, state = None, None
        if current.edition_in_force_id is not None:
            version = f"{current.pk}:{current.last_changed_at.isoformat()}"
            version += f":{current.edition_in_force_id}:{slug}"

            def load_state():
                nonlocal tree
                tree = load_protocol_tree(protocol=current)
                return _edition_state(tree, slug)

            state = cached_under(version, "protocol-edition-state", load_state)
        glossary = Glossary()
        markup, rollup, sections = _sections_markup(current, tree, state, glossary)
        if state is not None:
            context.update(
                edition_in_force=state,
                edition_in_force_name=state.name,
                pending=state.pending,
                pending_url=comparison_url(slug, state.number, "courant"),
            )
        context.update(
            protocol=current,
            sections=sections,
            section_markup=markup,
            rollup=rollup,
            glossary=glossary,
            pdf_links=territory_pdf_links(territory, current),
        )
    return render(request, "portal/territory_detail.html", context)
