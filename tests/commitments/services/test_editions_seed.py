"""Edition 1 « Texte adopté » of the seeded protocols (seed_protocols and the data migration
0007_first_editions): identical to the seed text, complete against the source documents (the
same check as the seed's, tests/support/source_check.py), created once, recreated by --reset."""

import importlib

import pytest
from django.core.management import call_command

from commitments.models import Edition, Protocol
from commitments.services.editions import content_hash, snapshot_of
from commitments.services.seed import seed
from tests import factories
from tests.support.migrations import state_apps
from tests.support.seed import DELIBERATION
from tests.support.source_check import (
    SLUGS,
    bullet_list,
    check_texts,
    parse_sources,
    protocol_of,
    snapshot_texts,
    texts_not_in_source,
)

pytestmark = pytest.mark.django_db

migration = importlib.import_module("commitments.migrations.0007_first_editions")


@pytest.fixture(scope="module")
def sources():
    return parse_sources()


def first_edition(slug):
    return Edition.objects.for_protocol(protocol_of(slug)).numbered(1).get()


@pytest.mark.parametrize("slug", SLUGS)
def test_edition_1_is_complete_against_the_sources(slug, sources):
    texts = list(snapshot_texts(first_edition(slug).snapshot))
    missing, out_of_order = check_texts(slug, texts, sources)
    assert not missing, f"{slug}: edition 1 lacks or alters:\n" + bullet_list(missing)
    assert not out_of_order, f"{slug}: edition 1's order is broken:\n" + bullet_list(out_of_order)
    extra = texts_not_in_source(slug, texts, sources)
    assert not extra, f"{slug}: edition 1 has text the source does not:\n" + bullet_list(extra)


def test_the_check_reads_the_snapshot(sources):
    """The completeness check fails on a snapshot that lost an action."""
    snapshot = first_edition("grand-paris-sud").snapshot
    for section in snapshot["sections"]:
        for so in section["children"]:
            for oo in so["children"]:
                oo["children"] = [
                    a
                    for a in oo["children"]
                    if not a["fields"]["text"].startswith("Mieux outiller les MOUS logement")
                ]
    missing, _ = check_texts("grand-paris-sud", snapshot_texts(snapshot), sources)
    assert missing == ["Mieux outiller les MOUS logement"]


def test_every_seeded_protocol_has_edition_1_only():
    editions = Edition.objects.select_related("protocol__territory").filter(
        protocol__deliberation_reference=DELIBERATION
    )
    assert sorted(e.protocol.territory.slug for e in editions) == sorted(SLUGS)
    for edition in editions:
        assert (edition.number, edition.title) == (1, "Texte adopté")
        assert edition.deliberation_reference == DELIBERATION
        assert edition.deliberation_date == edition.protocol.deliberation_date
        assert edition.published_by is None
        # The seed text, unchanged since: the current text does not differ.
        assert edition.snapshot == snapshot_of(edition.protocol)
        assert edition.content_hash == content_hash(edition.snapshot)


def test_a_second_run_creates_no_edition():
    before = list(Edition.objects.values_list("pk", "content_hash"))
    report = seed()
    assert "éditions" not in report.created
    assert list(Edition.objects.values_list("pk", "content_hash")) == before


def test_reset_recreates_edition_1():
    old = set(Edition.objects.values_list("pk", flat=True))
    call_command("seed_protocols", reset=True, yes=True, verbosity=0)
    editions = Edition.objects.all()
    assert editions.count() == len(SLUGS)
    assert not old & set(editions.values_list("pk", flat=True))
    assert {e.number for e in editions} == {1}
    assert all(e.snapshot == snapshot_of(e.protocol) for e in editions.select_related("protocol"))


class TestDataMigration:
    """0007 gives edition 1 to the protocols of a database seeded before editions existed."""

    def run_migration(self):
        apps = state_apps(("commitments", "0007_first_editions"))
        migration.create_first_editions(apps, None)

    def test_a_protocol_without_edition_gets_edition_1_of_its_current_text(self):
        action = factories.ActionFactory(text="Créer un « lieu »")
        action.partners.add(factories.PartnerFactory(name="Partenaire test"))
        protocol = action.operational_objective.strategic_objective.section.protocol
        factories.ActionFactory(operational_objective=action.operational_objective)
        before = Edition.objects.count()
        # Every protocol without an edition gets one (other tests' protocols may be there too).
        missing = Protocol.objects.filter(editions__isnull=True).count()
        assert missing >= 1
        self.run_migration()
        assert Edition.objects.count() == before + missing
        assert not Protocol.objects.filter(editions__isnull=True).exists()
        edition = Edition.objects.for_protocol(protocol).get()
        assert (edition.number, edition.title) == (1, "Texte adopté")
        assert edition.deliberation_reference == protocol.deliberation_reference
        # Byte for byte what publish_edition would have stored.
        assert edition.snapshot == snapshot_of(protocol)
        assert edition.content_hash == content_hash(snapshot_of(protocol))

    def test_the_seeded_text_gives_the_seed_edition(self, sources):
        grigny = Protocol.objects.get(territory__slug="grigny")
        seeded = Edition.objects.for_protocol(grigny).get()
        Edition.objects.discard_for_rebuild([grigny])
        self.run_migration()
        migrated = Edition.objects.for_protocol(grigny).get()
        assert migrated.content_hash == seeded.content_hash
        assert check_texts("grigny", snapshot_texts(migrated.snapshot), sources) == ([], [])

    def test_protocols_with_an_edition_are_left_alone(self, django_assert_max_num_queries):
        self.run_migration()  # whatever other tests left, every protocol has an edition now
        before = list(Edition.objects.values_list("pk", "content_hash"))
        with django_assert_max_num_queries(12):
            self.run_migration()
        assert list(Edition.objects.values_list("pk", "content_hash")) == before
