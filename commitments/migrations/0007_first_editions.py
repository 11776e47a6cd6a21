"""Edition 1, « Texte adopté », for the protocols of an existing database.

A database seeded before editions existed has protocols and no edition: each such protocol
gets its edition 1, made from its text AT THE TIME OF THIS MIGRATION (an edit made in the admin
before it is part of that edition 1; nothing older is kept to rebuild the adopted text from).
Its reference and date are the protocol's own deliberation's; no publisher. A protocol that
already has an edition is left alone; a fresh database has no protocol yet (`seed_protocols`
then creates each edition 1 itself).

The snapshot is made by the same code as every edition (commitments/services/editions.py,
`snapshot_of_loaded`, which reads fields and related managers only, and the numbering of
selectors/numbering.py, which keys its paths by each class's `level`: given here to the
historical models). The whole tree of every protocol is loaded once: 11 queries, plus one
insert per protocol.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef, Prefetch

from commitments.enums import Level

LEVELS = {
    "StrategicObjective": Level.STRATEGIC,
    "OperationalObjective": Level.OPERATIONAL,
    "Action": Level.ACTION,
}


def _loaded_protocols(apps):
    model = {name: apps.get_model("commitments", name) for name in LEVELS}
    for name, level in LEVELS.items():
        model[name].level = level
    protocol, edition = (
        apps.get_model("commitments", "Protocol"),
        apps.get_model("commitments", "Edition"),
    )
    actions = model["Action"].objects.prefetch_related("partners", "axes").order_by("position")
    operational = (
        model["OperationalObjective"]
        .objects.prefetch_related("partners", "axes", Prefetch("actions", queryset=actions))
        .order_by("position")
    )
    strategic = (
        model["StrategicObjective"]
        .objects.prefetch_related(
            "partners", "axes", Prefetch("operational_objectives", queryset=operational)
        )
        .order_by("position")
    )
    sections = (
        apps.get_model("commitments", "ThematicSection")
        .objects.select_related("thematic")
        .prefetch_related(Prefetch("strategic_objectives", queryset=strategic))
        .order_by("position")
    )
    return (
        protocol.objects.exclude(Exists(edition.objects.filter(protocol=OuterRef("pk"))))
        .select_related("territory")
        .prefetch_related(Prefetch("sections", queryset=sections))
        .order_by("pk")
    )


def create_first_editions(apps, schema_editor):
    from commitments.services.editions import ADOPTED_TITLE, content_hash, snapshot_of_loaded

    edition = apps.get_model("commitments", "Edition")
    for protocol in _loaded_protocols(apps):
        snapshot = snapshot_of_loaded(protocol)
        edition.objects.create(
            protocol=protocol,
            number=1,
            title=ADOPTED_TITLE,
            deliberation_reference=protocol.deliberation_reference,
            deliberation_date=protocol.deliberation_date,
            snapshot=snapshot,
            content_hash=content_hash(snapshot),
        )


class Migration(migrations.Migration):
    dependencies = [("commitments", "0006_editions")]

    operations = [migrations.RunPython(create_first_editions, migrations.RunPython.noop)]
