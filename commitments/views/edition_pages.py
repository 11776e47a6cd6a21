"""The editions of a territory's protocol, public: the list, one edition's text as it was, the
comparison of two editions (or of an edition and the current text), the edition's PDF.

Editions are those of the territory's protocol in force (numbers are per protocol).

Queries, whatever the protocol's size (measured on a small and a large protocol by
tests/commitments/views/test_edition_pages.py::test_queries_are_constant_with_the_protocol_size,
`pytest -s` prints them; each figure includes what the site's layout costs):
- list (4): the territory, the protocol in force, its editions without their snapshots, the
  stored renders of their PDFs (the links' sizes);
- edition page (7): the territory, the protocol, the edition with its snapshot, the last
  edition's number, the thematics' names, the glossary;
- comparison of two editions (6): the territory, the protocol, the editions' numbers (the
  form), the two editions with their snapshots, the thematics' names; with « courant », plus
  the current tree (selectors/protocol_tree.py) (13).
Without parameters, the comparison shows what the public wants: the changes not yet
published (edition in force → current text) when the current text differs from the edition
in force, else the last published change (previous edition → edition in force), and says
which (`_default_comparison`; the current text's hash against the edition's).
Page cache (views/page_cache.py): an edition never changes, so the edition page and the
comparison of two editions depend only on the list of editions (the protocol's editions
stamp); the comparison with « courant » also on the protocol's version (the next edit).

Bad parameters never give a 500: an unknown territory or edition is a 404, a parameter that
is not an edition number nor « courant », or the same edition twice, a 400, each with a clear
French message on the site's page.
"""

import re

from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from commitments.models import Edition, Protocol, Thematic
from commitments.rendering import pdf_store
from commitments.rendering.edition_pdf import EditionPdf
from commitments.rendering.glossary_markup import Glossary
from commitments.selectors.edition_diff import CHANGE_KINDS, CHANGE_LABELS, compare
from commitments.selectors.edition_snapshot import content_hash, snapshot_of_loaded
from commitments.selectors.edition_text import (
    TextProtocol,
    count_summary,
    edition_name,
    french_day,
    group_name,
)
from commitments.selectors.protocol_tree import load_protocol_tree
from commitments.views.pdf_downloads import file_size, pdf_response
from perer.lib.http_methods import require_safe
from perer.lib.user_names import full_name
from perer.lib.versioned_cache import cached_under
from territories.models import Territory

CURRENT = "courant"
IMMUTABLE_MAX_AGE = 365 * 24 * 3600
NUMBER = re.compile(r"[0-9]{1,9}")


# The thematics' names change with the content version; the key changes with it.
THEMATIC_NAMES_TIMEOUT = 24 * 3600


class BadComparison(Exception):
    def __init__(self, message, status):
        super().__init__(message)
        self.message, self.status = message, status


def _territory_and_protocol(slug):
    """The territory and its protocol in force, in one query (404 for an unknown territory or
    one without a protocol)."""
    protocol = (
        Protocol.objects.in_force().filter(territory__slug=slug).select_related("territory").first()
    )
    if protocol is None:
        get_object_or_404(Territory, slug=slug)
        raise Http404("Aucun protocole n'est publié pour ce territoire.")
    return protocol.territory, protocol


def _thematic_names(request):
    """{slug: name} of the thematics, cached under the content version the page cache read."""

    def load():
        return dict(Thematic.objects.values_list("slug", "name"))

    version = getattr(request, "content_version", None)
    return cached_under(version, "edition-thematic-names", load, THEMATIC_NAMES_TIMEOUT)


def _crumbs(territory, *more):
    return [
        ("Accueil", reverse("home")),
        ("Territoires", reverse("territory_list")),
        (territory.name, territory.get_absolute_url()),
        *more,
    ]


def comparison_url(slug, old, new):
    return f"{reverse('edition_changes', kwargs={'slug': slug})}?de={old}&a={new}"


# --- Cache versions ------------------------------------------------------------------------


def editions_stamp(slug):
    """Changes when an edition of the territory's protocols is published (one query)."""
    found = Edition.objects.filter(protocol__territory__slug=slug).aggregate(
        count=Count("pk"), last=Max("pk")
    )
    return f"editions:{found['count']}/{found['last']}"


def text_version(slug):
    """Changes with any edit of the territory's protocols (as page_cache.territory_version)
    and with any publication of an edition: one query."""
    found = Protocol.objects.filter(territory__slug=slug).aggregate(
        latest=Max("last_changed_at"),
        count=Count("pk", distinct=True),
        edition_count=Count("editions", distinct=True),
        last_edition=Max("editions__pk"),
    )
    latest = found["latest"].isoformat() if found["latest"] else "-"
    return f"{latest}/{found['count']}/editions:{found['edition_count']}/{found['last_edition']}"


def edition_version(request, slug, **kwargs):
    return editions_stamp(slug)


def list_version(request, slug):
    # The list links the comparison with the current text: it does not show it.
    return text_version(slug)


def comparison_version(request, slug):
    if request.GET.get("a", CURRENT) == CURRENT:
        return text_version(slug)
    return editions_stamp(slug)


# --- The list ------------------------------------------------------------------------------


@require_safe
def edition_list(request, slug):
    territory, protocol = _territory_and_protocol(slug)
    editions = list(
        Edition.objects.for_protocol(protocol)
        .without_snapshot()
        .select_related("published_by")
        .newest_first()
    )
    stored = pdf_store.latest_many([EditionPdf(territory, e).store_key for e in editions])
    for edition in editions:
        edition.pdf_details = _pdf_details(stored.get(EditionPdf(territory, edition).store_key))
        edition.name = edition_name(edition)
        edition.day = french_day(edition.deliberation_date)
        edition.published_day = french_day(timezone.localdate(edition.published_at))
        edition.publisher = _publisher(edition.published_by)
        if edition.number > 1:
            edition.previous_url = comparison_url(slug, edition.number - 1, edition.number)
        edition.current_url = comparison_url(slug, edition.number, CURRENT)
    return render(
        request,
        "editions/edition_list.html",
        {
            "territory": territory,
            "protocol": protocol,
            "editions": editions,
            "in_force": editions[0] if editions else None,
            "breadcrumbs": _crumbs(territory, ("Éditions", None)),
        },
    )


def _pdf_details(row):
    """What the link says of an edition's PDF (RGAA 13.3): its format, and its size and pages
    once rendered (the text never changes: a render of an earlier layout is close enough)."""
    if row is None:
        return "PDF"
    return f"PDF, {file_size(row.size)}, {row.pages} page{'s' if row.pages > 1 else ''}"


def _publisher(user):
    """Who published: the agent's full name when the account has one (never the login), else
    the team; the system paths (seed, migration) publish edition 1 without a user."""
    if user is None:
        return "le portail (chargement du texte adopté)"
    name = full_name(user)
    return f"{name} (agglomération)" if name else "l'équipe de l'agglomération"


# --- One edition ---------------------------------------------------------------------------


def _edition(protocol, number):
    edition = Edition.objects.for_protocol(protocol).numbered(int(number)).first()
    if edition is None:
        raise Http404(f"Ce protocole n'a pas d'édition n° {number}.")
    return edition


def _last_number(protocol):
    return Edition.objects.for_protocol(protocol).aggregate(last=Max("number"))["last"]


@require_safe
def edition_detail(request, slug, number):
    territory, protocol = _territory_and_protocol(slug)
    edition = _edition(protocol, number)
    last = _last_number(protocol)
    text = TextProtocol(edition.snapshot)
    names = dict(Thematic.objects.values_list("slug", "name"))
    for section in text.sections:
        section.thematic_name = names.get(section.thematic_slug, section.thematic_slug)
    return render(
        request,
        "editions/edition_detail.html",
        {
            "territory": territory,
            "edition": edition,
            "name": edition_name(edition),
            "in_force": edition.number == last,
            "last_number": last,
            "text": text,
            "glossary": Glossary(),
            "pdf_url": reverse("edition_pdf", kwargs={"slug": slug, "number": edition.number}),
            "current_url": comparison_url(slug, edition.number, CURRENT),
            "breadcrumbs": _crumbs(
                territory,
                ("Éditions", reverse("edition_list", kwargs={"slug": slug})),
                (f"Édition {edition.number}", None),
            ),
        },
    )


@require_safe
def edition_pdf(request, slug, number):
    territory, protocol = _territory_and_protocol(slug)
    edition = Edition.objects.for_protocol(protocol).without_snapshot().numbered(int(number))
    edition = edition.first()
    if edition is None:
        raise Http404(f"Ce protocole n'a pas d'édition n° {number}.")
    response = pdf_response(request, EditionPdf(territory, edition))
    # An edition never changes: its bytes (and ETag) are the same forever.
    response.headers["Cache-Control"] = f"public, max-age={IMMUTABLE_MAX_AGE}, immutable"
    return response


# --- The comparison ------------------------------------------------------------------------


def _parameter(request, name, default, *, current_allowed):
    value = request.GET.get(name, "").strip() or default
    if value is None:
        raise BadComparison(
            "Ce protocole n'a encore aucune édition : il n'y a rien à comparer.", 404
        )
    if current_allowed and value == CURRENT:
        return CURRENT
    if not NUMBER.fullmatch(str(value)):
        what = "un numéro d'édition ou « courant »" if current_allowed else "un numéro d'édition"
        raise BadComparison(
            f"Le paramètre « {name} » doit être {what} (reçu : « {value[:40]} »).", 400
        )
    return int(value)


def _snapshots(protocol, old, new, editions):
    """{number or CURRENT: (label, snapshot)} for the two sides, from the protocol's editions
    ({number: edition}) and the current tree for « courant »."""
    numbers = [n for n in (old, new) if n != CURRENT]
    editions = {n: editions[n] for n in numbers if n in editions}
    for number in numbers:
        if number not in editions:
            raise BadComparison(f"Ce protocole n'a pas d'édition n° {number}.", 404)
    sides = {n: (edition_name(e).capitalize(), e.snapshot, e) for n, e in editions.items()}
    if CURRENT in (old, new):
        # The protocol is loaded already (with its territory): its tree is attached to it.
        current = snapshot_of_loaded(load_protocol_tree(protocol=protocol))
        sides[CURRENT] = ("Texte courant", current, None)
    return sides


def _no_parameters(request):
    return not any(request.GET.get(name, "").strip() for name in ("de", "a"))


def _default_comparison(protocol, editions):
    """What /modifications/ without parameters shows: (old, new, sides, shown).

    The current text differs from the edition in force (the last one): the changes not yet
    published, « unpublished ». It is the edition in force: the last published change, from
    the previous edition to it, « published »; with a single edition, nothing to show but
    that, « none » (the edition against the current text, identical)."""
    last = max(editions)
    sides = _snapshots(protocol, last, CURRENT, editions)
    if content_hash(sides[CURRENT][1]) != editions[last].content_hash:
        return last, CURRENT, sides, {"kind": "unpublished", "edition": editions[last]}
    earlier = [number for number in editions if number < last]
    if not earlier:
        return last, CURRENT, sides, {"kind": "none", "edition": editions[last]}
    previous = max(earlier)
    sides = _snapshots(protocol, previous, last, editions)
    return previous, last, sides, {"kind": "published", "edition": editions[last]}


@require_safe
def edition_changes(request, slug):
    territory, protocol = _territory_and_protocol(slug)
    context = {
        "territory": territory,
        "breadcrumbs": _crumbs(
            territory,
            ("Éditions", reverse("edition_list", kwargs={"slug": slug})),
            ("Modifications", None),
        ),
    }
    # Every edition in one query: the choices, and the two sides' snapshots.
    editions = {e.number: e for e in Edition.objects.for_protocol(protocol).order_by("number")}
    context["choices"] = [(str(n), f"Édition {n} : {e.title}") for n, e in editions.items()]
    try:
        if _no_parameters(request) and editions:
            old, new, sides, context["shown"] = _default_comparison(protocol, editions)
        else:
            last = max(editions) if editions else None
            old = _parameter(request, "de", last, current_allowed=False)
            new = _parameter(request, "a", CURRENT, current_allowed=True)
            if old == new:
                raise BadComparison(
                    "Choisissez deux textes différents : « de » et « a » désignent la même "
                    "édition.",
                    400,
                )
            sides = _snapshots(protocol, old, new, editions)
    except BadComparison as error:
        context["error"] = error.message
        context.update(old=request.GET.get("de", ""), new=request.GET.get("a", CURRENT))
        return render(request, "editions/edition_changes.html", context, status=error.status)
    (old_label, old_snapshot, old_edition) = sides[old]
    (new_label, new_snapshot, new_edition) = sides[new]
    comparison = compare(old_snapshot, new_snapshot)
    names = _thematic_names(request)
    groups = [
        (group_name(group.thematic, names), group, count_summary(group.counts))
        for group in comparison.groups
    ]
    context.update(
        old=str(old),
        new=str(new),
        old_label=old_label,
        new_label=new_label,
        old_url=_side_url(slug, old),
        new_url=_side_url(slug, new),
        comparison=comparison,
        groups=groups,
        counts=[(kind, CHANGE_LABELS[kind], comparison.counts[kind]) for kind in CHANGE_KINDS],
    )
    return render(request, "editions/edition_changes.html", context)


def _side_url(slug, side):
    if side == CURRENT:
        return reverse("territory_detail", kwargs={"slug": slug})
    return reverse("edition_detail", kwargs={"slug": slug, "number": side})
