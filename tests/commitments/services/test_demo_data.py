"""Synthetic data for measuring (services/demo_data.py): its statuses come from dated progress
updates, as everywhere, and follow the latest-update rule."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from commitments.enums import Status
from commitments.models import Action, OperationalObjective, ProgressUpdate
from commitments.services.demo_data import demo_territories, generate_demo_data
from tests.support.progress import assert_follows_latest_update

pytestmark = pytest.mark.django_db


def demo(model):
    return model.objects.for_territories(demo_territories()).with_tree()


def test_every_demo_commitment_has_the_status_of_its_latest_update():
    created = generate_demo_data(territories=2, actions=90)
    assert created["actions"] == 90
    commitments = [*demo(Action), *demo(OperationalObjective)]
    assert len(commitments) == 90 + created["objectifs opérationnels"]
    for commitment in commitments:
        assert_follows_latest_update(commitment)
    # Statuses of every kind, each explained by an update; the others never reported.
    statuses = {action.status for action in demo(Action)}
    assert statuses == set(Status.values)
    reported = demo(Action).exclude(status=Status.NOT_REPORTED)
    assert not reported.filter(updates__isnull=True).exists()


def test_the_demo_updates_are_valid_updates():
    generate_demo_data(territories=1, actions=40)
    updates = ProgressUpdate.objects.filter(action__in=demo(Action)).select_related(
        "action__operational_objective__strategic_objective__section__protocol"
    )
    assert updates.exists()
    for update in updates:
        update._state.adding = True  # validated as a new update would be
        update.full_clean(validate_unique=False)
        assert update.date <= timezone.localdate()


def test_the_command_creates_then_removes_them():
    out = io.StringIO()
    call_command("generate_demo_data", "--territories", "1", "--actions", "20", stdout=out)
    assert "actions (synthétiques) : 20" in out.getvalue()
    for commitment in demo(Action):
        assert_follows_latest_update(commitment)
    call_command("generate_demo_data", "--remove", stdout=out)
    assert not demo_territories().exists()
    assert not ProgressUpdate.objects.filter(comment="Synthétique").exists()
