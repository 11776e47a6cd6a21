"""Editions are immutable by the model (commitments/models/edition.py): no save of an existing
edition, no delete, no queryset update or delete; numbers unique per protocol, from 1."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from commitments.models import Edition, EditionImmutable
from commitments.services.editions import publish_edition
from tests import factories
from tests.support.admin import make_user

pytestmark = pytest.mark.django_db

IMMUTABLE = "ne peut être ni modifiée ni supprimée"


@pytest.fixture
def edition():
    action = factories.ActionFactory(text="Texte adopté de l'action")
    protocol = action.operational_objective.strategic_objective.section.protocol
    return publish_edition(
        protocol,
        title="Texte adopté",
        deliberation_reference="Del test",
        deliberation_date=datetime.date(2019, 3, 28),
        by=None,
    )


def test_saving_an_existing_edition_is_refused(edition):
    edition.title = "Autre titre"
    with pytest.raises(EditionImmutable, match=IMMUTABLE):
        edition.save()
    with pytest.raises(EditionImmutable):
        edition.save(update_fields=["title"])
    assert Edition.objects.get(pk=edition.pk).title == "Texte adopté"


def test_deleting_an_edition_is_refused(edition):
    with pytest.raises(EditionImmutable, match=IMMUTABLE):
        edition.delete()
    assert Edition.objects.filter(pk=edition.pk).exists()


def test_queryset_update_and_delete_are_refused(edition):
    with pytest.raises(EditionImmutable, match=IMMUTABLE):
        Edition.objects.filter(pk=edition.pk).update(title="Autre")
    with pytest.raises(EditionImmutable, match=IMMUTABLE):
        Edition.objects.all().delete()
    with pytest.raises(EditionImmutable):
        edition.protocol.editions.update(snapshot={})
    edition.title = "Autre"
    with pytest.raises(EditionImmutable), transaction.atomic():
        Edition.objects.bulk_update([edition], ["title"])
    with pytest.raises(EditionImmutable), transaction.atomic():
        Edition.objects.update_or_create(pk=edition.pk, defaults={"title": "Autre"})
    stored = Edition.objects.get(pk=edition.pk)
    assert stored.title == "Texte adopté"
    assert stored.snapshot == edition.snapshot


def test_a_protocol_with_editions_cannot_be_deleted(edition):
    with pytest.raises(ProtectedError):
        edition.protocol.delete()


def test_a_publisher_cannot_be_deleted(edition):
    user = make_user("agglomeration")
    action = factories.ActionFactory()
    protocol = action.operational_objective.strategic_objective.section.protocol
    publish_edition(
        protocol, title="Texte adopté", deliberation_reference="", deliberation_date=None, by=user
    )
    with pytest.raises(ProtectedError):
        user.delete()


def test_a_user_who_published_nothing_can_be_deleted(edition):
    user = make_user("agglomeration")
    user.delete()


def test_numbers_are_unique_per_protocol_and_start_at_1(edition):
    copy = {
        "protocol": edition.protocol,
        "title": "Copie",
        "snapshot": edition.snapshot,
        "content_hash": edition.content_hash,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Edition.objects.create(number=1, **copy)
    with pytest.raises(IntegrityError), transaction.atomic():
        Edition.objects.create(number=0, **copy)


def test_queries(edition):
    protocol = edition.protocol
    assert Edition.objects.for_protocol(protocol).get() == edition
    assert Edition.objects.latest_for(protocol) == edition
    assert Edition.objects.for_territory(protocol.territory).get() == edition
    assert Edition.objects.latest_per_protocol().for_protocol(protocol).get() == edition
    assert Edition.objects.latest_for(factories.ProtocolFactory()) is None


def test_public_address(edition):
    slug = edition.protocol.territory.slug
    assert edition.get_absolute_url() == f"/territoires/{slug}/editions/1/"
    assert str(edition) == "Édition 1 — Texte adopté"
