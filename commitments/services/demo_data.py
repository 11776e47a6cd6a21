"""Synthetic data at scale, for measuring: clearly marked and removable.

Every synthetic territory has a slug starting with `demo-` and a name ending with
"(données synthétiques)"; its protocol's deliberation reference is `DEMO`. Texts are drawn from
the real seeded commitments so that searches behave as on real data. Written in bulk: the rule
of the latest update is applied by `sync_from_updates`, and the change of content recorded
(content_changes.record_change) when demo protocols are created or removed.
"""

import datetime
import random
from itertools import cycle

from django.db import transaction
from django.utils import timezone

from commitments.enums import Status
from commitments.models import (
    Action,
    OperationalObjective,
    ProgressUpdate,
    Protocol,
    StrategicObjective,
    Thematic,
    ThematicSection,
    progress_for,
)
from commitments.services.content_changes import record_change
from commitments.services.progress_rule import sync_from_updates
from territories.enums import Department, TerritoryKind
from territories.models import Territory

DEMO_PREFIX = "demo-"
DEMO_REFERENCE = "DEMO"
FALLBACK_TEXTS = [
    "Favoriser l'accès à l'emploi des habitants des quartiers prioritaires",
    "Lutter contre l'illectronisme et favoriser l'inclusion numérique",
    "Renforcer la réussite éducative et le soutien à la parentalité",
    "Améliorer le cadre de vie et la gestion urbaine de proximité",
    "Prévenir la délinquance et les violences faites aux femmes",
]


def demo_territories():
    return Territory.objects.filter(slug__startswith=DEMO_PREFIX)


@transaction.atomic
def remove_demo_data():
    territories = demo_territories()
    protocols = Protocol.objects.filter(territory__in=territories)
    count = territories.count()
    if count:
        record_change(protocols)  # before the deletion: the combined PDFs list them
    protocols.delete()
    territories.delete()
    return count


def _texts(model):
    texts = list(model.objects.exclude(text="").values_list("text", flat=True)[:2000])
    return texts or FALLBACK_TEXTS


@transaction.atomic
def generate_demo_data(territories=100, actions=20000, seed=2019):
    """Create `territories` synthetic communes holding `actions` actions in all."""
    rng = random.Random(seed)
    remove_demo_data()
    parent = Territory.objects.agglomerations().first()
    if parent is None:
        parent = Territory.objects.create(
            name="Agglomération de démonstration (données synthétiques)",
            slug=f"{DEMO_PREFIX}agglomeration",
            kind=TerritoryKind.AGGLOMERATION,
            department=Department.ESSONNE_SEINE_ET_MARNE,
            position=999,
        )
    thematics = list(Thematic.objects.order_by("position"))
    if not thematics:
        raise ValueError("Aucune thématique : lancez d'abord seed_protocols.")
    so_texts, oo_texts, action_texts = (
        cycle(rng.sample(t, len(t)))
        for t in (_texts(StrategicObjective), _texts(OperationalObjective), _texts(Action))
    )
    statuses = Status.values

    created = Territory.objects.bulk_create(
        Territory(
            name=f"Commune de démonstration {n:03d} (données synthétiques)",
            slug=f"{DEMO_PREFIX}{n:03d}",
            kind=TerritoryKind.COMMUNE,
            department=rng.choice([Department.ESSONNE, Department.SEINE_ET_MARNE]),
            parent=parent,
            position=1000 + n,
        )
        for n in range(1, territories + 1)
    )
    protocols = Protocol.objects.bulk_create(
        Protocol(
            territory=t,
            title=f"Protocole de démonstration — {t.name}",
            deliberation_reference=DEMO_REFERENCE,
            start_year=2019,
            end_year=2022,
        )
        for t in created
    )
    sections = ThematicSection.objects.bulk_create(
        ThematicSection(
            protocol=p, thematic=th, position=i, heading=f"Thématique {th.name.lower()}"
        )
        for p in protocols
        for i, th in enumerate(thematics, start=1)
    )
    sos = StrategicObjective.objects.bulk_create(
        StrategicObjective(section=s, position=i, text=next(so_texts))
        for s in sections
        for i in range(1, 4)
    )
    oos = OperationalObjective.objects.bulk_create(
        OperationalObjective(
            strategic_objective=so,
            position=i,
            text=next(oo_texts),
        )
        for so in sos
        for i in range(1, 4)
    )
    per_oo, extra = divmod(actions, len(oos))
    new_actions = []
    for index, oo in enumerate(oos):
        for i in range(1, per_oo + (1 if index < extra else 0) + 1):
            new_actions.append(
                Action(
                    operational_objective=oo,
                    position=i,
                    text=next(action_texts),
                    details="Donnée synthétique générée pour les mesures de performance.",
                    start_year=2019 + rng.randrange(0, 3),
                    end_year=2022,
                )
            )
    Action.objects.bulk_create(new_actions, batch_size=2000)
    # Status and progress come from dated updates, as everywhere (services/progress_rule.py):
    # one update for about four actions in five, dated over the protocols' period.
    demo_actions = Action.objects.filter(**{Action.tree.lookup("protocol", "in"): protocols})
    first_day, days = datetime.date(2019, 1, 1), (timezone.localdate() - datetime.date(2019, 1, 1))
    updates = []
    for pk in demo_actions.values_list("pk", flat=True):
        status = rng.choice(statuses)
        if status == Status.NOT_REPORTED:
            continue
        updates.append(
            ProgressUpdate(
                action_id=pk,
                status=status,
                progress=progress_for(status, rng.randrange(0, 100, 5)),
                date=first_day + datetime.timedelta(days=rng.randrange(days.days + 1)),
                comment="Synthétique",
            )
        )
    ProgressUpdate.objects.bulk_create(updates, batch_size=2000)
    sync_from_updates(demo_actions)
    record_change(*protocols)
    return {
        "territoires": len(created),
        "objectifs stratégiques": len(sos),
        "objectifs opérationnels": len(oos),
        "actions": len(new_actions),
    }
