"""The small pieces of markup printed beside every node of a protocol (hundreds per page): a
commitment's status badge, a roll-up's progress bar, a node's details, its meta list (pilot,
partners, years, axes), its permanent link, its tracking link and its edition mark, plus a
commitment's public address. Python tags built with `format_html`: on a page of a few hundred
nodes, an included template per piece cost more than the rest of the page.

`{% load node_markup %}`, then `{% status_badge node %}`, `{% progress value "Avancement" %}`,
`{% node_details node glossary %}`, `{% node_meta node %}`, `{% permalink node "l'action" %}`,
`{% tracking_link node "de l'action" %}`, `{% edition_mark node %}`, `{{ node|public_url }}`.

Every value typed in the admin is escaped (`format_html`); the acronyms of the page's glossary
are marked up as <abbr> by rendering/glossary_markup.abbr. No query: partners and axes are those
the tree loader attached (selectors/protocol_tree.links), the addresses one `reverse` per kind
and script prefix for the process.
"""

from functools import lru_cache

from django import template
from django.template.defaultfilters import floatformat, urlencode
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from commitments.enums import Status
from commitments.rendering.glossary_markup import abbr
from commitments.selectors.protocol_tree import links
from perer.lib.text import paragraphs, truncated_words, without_final_colon

register = template.Library()

# The statuses' wording (get_status_display builds the choices on every call).
STATUS_LABELS = dict(Status.choices)


@register.simple_tag
def status_badge(node):
    """A commitment's status, with its progress unless not reported: `node` a commitment or a
    progress update."""
    return _badge(node.status, node.progress)


@lru_cache(maxsize=1024)
def _badge(status, progress):
    """The badge of one status and progress: a few hundred different ones at most, printed
    thousands of times by the largest pages."""
    suffix = f" · {progress} %" if progress and status != Status.NOT_REPORTED else ""
    return format_html(
        '<span class="badge badge--{}"><span class="visually-hidden">Statut : </span>{}{}</span>',
        status,
        STATUS_LABELS.get(status, status),
        suffix,
    )


@register.simple_tag
def progress(value, label="Avancement moyen"):
    """A roll-up: `value` in percent (None when there is nothing to average: nothing printed),
    `label` what it measures."""
    if value is None or value == "":
        return ""
    percent = floatformat(value, 0)
    return format_html(
        '\n<div class="progress-rollup">\n'
        '  <span class="progress-rollup__label">{} : <strong>{} %</strong></span>\n'
        '  <progress max="100" value="{}" aria-hidden="true">{} %</progress>\n'
        "</div>\n",
        label,
        percent,
        percent,
        percent,
    )


@register.simple_tag
def node_details(node, glossary=None):
    """A node's details (the documents' italic examples), one paragraph per block."""
    return format_html_join(
        "", '<p class="details">{}</p>', ((abbr(p, glossary),) for p in paragraphs(node.details))
    )


@lru_cache
def _search_url(prefix):
    return reverse("commitment_search")


@register.simple_tag
def node_meta(node, tracking=False, links=False):
    """Partners and axes of one node (those the tree loader attached, or an edition's names);
    with `tracking`, its pilot and years; with `links`, each axis links to the search of its
    commitments."""
    # A strategic objective, and an edition's text, have no pilot nor years.
    lead = getattr(node, "lead", None) if tracking else None
    start = getattr(node, "start_year", None) if tracking else None
    end = getattr(node, "end_year", None) if tracking else None
    partners = _related(node, "partners")
    axes = _related(node, "axes")
    if not (lead or partners or start or end or axes):
        return ""
    items = []
    if lead:
        items.append(
            format_html('<li><span class="node-meta__label">Pilote :</span> {}</li>', lead)
        )
    if partners:
        names = format_html_join(", ", "{}", ((partner,) for partner in partners))
        items.append(
            format_html('<li><span class="node-meta__label">Partenaires :</span> {}</li>', names)
        )
    if start or end:
        years = format_html("{}–{}", start, end) if start and end else (start or end)
        items.append(
            format_html('<li><span class="node-meta__label">Calendrier :</span> {}</li>', years)
        )
    if axes:
        if links:
            search = _search_url(get_script_prefix())
            tags = format_html_join(
                " ",
                '<a class="tag" href="{}?axe={}">{}</a>',
                ((search, urlencode(axis.slug), axis) for axis in axes),
            )
        else:
            tags = format_html_join(" ", '<span class="tag">{}</span>', ((axis,) for axis in axes))
        items.append(format_html('<li><span class="node-meta__label">Axes :</span> {}</li>', tags))
    return format_html(
        '\n<ul class="node-meta">\n  {}\n</ul>\n',
        mark_safe("\n  ".join(items)),  # noqa: S308
    )


# An edition's text names a node's partners and axes (selectors/edition_text.TextNode).
EDITION_NAMES = {"partners": "partner_names", "axes": "axis_names"}


def _related(node, name):
    """A node's partners or axes ("partners", "axes"): those the tree loader attached, or the
    names of an edition's text."""
    names = getattr(node, EDITION_NAMES[name], None)
    return names if names is not None else links(node, name)


def _link_name(node):
    """The words that tell a node's links apart: its text's first eight words."""
    return truncated_words(without_final_colon(node.text), 8)


@register.simple_tag
def permalink(node, what):
    """The "#" link to a node's own anchor: `node` (with its `number`, "2.1.3"), `what` the
    level ("l'objectif stratégique"). Its name tells it apart from every other one of the page."""
    return format_html(
        '<a class="permalink" href="#{}"><span aria-hidden="true">#</span>'
        '<span class="visually-hidden">Lien permanent vers {} {} : {}</span></a>',
        node.anchor,
        what,
        node.number,
        _link_name(node),
    )


@register.simple_tag
def tracking_link(node, what):
    """The link to a commitment's own page (its tracking): `what` names the level
    ("de l'action"), the link's name ends with the node's number and first words."""
    return format_html(
        '<a class="detail-link" href="{}">Suivi'
        '<span class="visually-hidden"> {} {} : {}</span></a>',
        public_url(node),
        what,
        node.number,
        _link_name(node),
    )


@register.simple_tag
def edition_mark(node):
    """On the protocol page: a node added, moved or changed since the edition in force
    (`node.edition_mark`: wording, link to the change on the comparison page;
    views/protocol_page.py)."""
    mark = getattr(node, "edition_mark", None)
    if not mark:
        return ""
    return format_html(
        '<p class="edition-mark"><a href="{}">{}'
        '<span class="visually-hidden"> : voir la modification</span></a></p>',
        mark[1],
        mark[0],
    )


@lru_cache
def _public_url_pattern(prefix, kind):
    marker = 2_147_483_647
    address = reverse("commitment_detail", kwargs={"kind": kind, "pk": marker})
    return address.replace(str(marker), "{}")


@register.filter
def public_url(commitment):
    """`commitment.get_public_url()` with one `reverse` per kind and script prefix for the
    process (pages list hundreds of them); "" for a node without a page of its own (a
    strategic objective)."""
    kind = getattr(commitment, "kind", None)
    if kind is None:
        return ""
    return _public_url_pattern(get_script_prefix(), kind).format(commitment.pk)
