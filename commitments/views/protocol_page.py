"""The whole protocol of one territory, as the document reads."""

from itertools import groupby

from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse

from commitments.enums import Status
from commitments.glossary import Glossary
from commitments.models import Protocol, StrategicObjective
from commitments.portal_stats import Rollup
from commitments.tree import load_protocol_tree
from territories.models import Territory


def optional_url(name, **kwargs):
    """The URL of a page another part of the portal provides, or None while it does not exist."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def detail_pages_exist():
    return optional_url("commitment_detail", level="action", pk=1) is not None


def _prepare(protocol):
    """Attach to the loaded tree what the template needs, computed without per-node queries.

    Each section gets `groups`: its strategic objectives grouped by consecutive subheading.
    Each strategic objective gets `progress_avg` and `leaf_count` (computed by the database in
    one query). Returns the protocol's roll-up.
    """
    progress = {
        row["pk"]: row
        for row in StrategicObjective.objects.filter(section__protocol=protocol)
        .with_progress()
        .values("pk", "leaf_count", "progress_sum", "progress_avg")
    }
    rollup = Rollup()
    for section in protocol.sections.all():
        objectives = list(section.strategic_objectives.all())
        section.groups = [
            (subheading, list(group))
            for subheading, group in groupby(objectives, key=lambda so: so.subheading)
        ]
        rollup.strategic += len(objectives)
        for so in objectives:
            row = progress.get(so.pk, {})
            so.leaf_count = row.get("leaf_count", 0)
            so.progress_avg = row.get("progress_avg")
            rollup.leaves += so.leaf_count
            rollup.progress_sum += row.get("progress_sum", 0)
            for oo in so.operational_objectives.all():
                actions = oo.actions.all()
                rollup.operational += 1
                rollup.actions += len(actions)
                leaves = actions or [oo]
                rollup.leaves_done += sum(leaf.status == Status.DONE for leaf in leaves)
    return rollup


def territory_detail(request, slug):
    territory = get_object_or_404(Territory, slug=slug)
    current = Protocol.objects.current_for(territory)
    context = {
        "territory": territory,
        "breadcrumbs": [
            ("Accueil", "/"),
            ("Territoires", reverse("territory_list")),
            (territory.name, None),
        ],
        "pdf_url": optional_url("territory_pdf", slug=territory.slug),
    }
    if current is not None:
        protocol = load_protocol_tree(current.pk)
        context.update(
            protocol=protocol,
            rollup=_prepare(protocol),
            glossary=Glossary(),
            detail_pages=detail_pages_exist(),
        )
    return render(request, "portal/territory_detail.html", context)
