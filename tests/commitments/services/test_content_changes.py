"""services/content_changes.py: what was written is resolved to the protocols and the thematic
sections that show it — each kind of element, instances or querysets, before or after a
deletion — whose `last_changed_at` move in two UPDATEs, with the PDFs' refresh queued once per
transaction."""

import datetime

import pytest
from django.db import connection

from commitments.models import Action, Campaign, ProgressUpdate, Protocol, ThematicSection
from commitments.services.content_changes import (
    changed_protocols,
    changed_sections,
    record_change,
)
from territories.models import Territory
from tests import factories
from tests.support.admin import build_tree, corbeil, grigny

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def trees():
    return build_tree(grigny()), build_tree(corbeil())


def resolved(*changed):
    return set(changed_protocols(*changed).values_list("pk", flat=True))


def test_each_element_resolves_to_its_protocol(trees):
    here, elsewhere = trees
    update = factories.ProgressUpdateFactory(action=here["action"])
    on_objective = factories.ProgressUpdateFactory(action=None, operational_objective=here["oo"])
    for element in ("protocol", "section", "so", "oo", "action"):
        assert resolved(here[element]) == {here["protocol"].pk}, element
    assert resolved(update) == resolved(on_objective) == {here["protocol"].pk}
    assert resolved(here["action"], elsewhere["section"]) == {
        here["protocol"].pk,
        elsewhere["protocol"].pk,
    }


def test_querysets_resolve_to_the_protocols_of_their_rows(trees):
    here, elsewhere = trees
    factories.ProgressUpdateFactory(action=None, operational_objective=elsewhere["oo"])
    assert resolved(Action.objects.filter(pk=here["action"].pk)) == {here["protocol"].pk}
    assert resolved(ProgressUpdate.objects.filter(operational_objective=elsewhere["oo"])) == {
        elsewhere["protocol"].pk
    }
    assert resolved(Protocol.objects.filter(pk=here["protocol"].pk)) == {here["protocol"].pk}
    assert resolved(Action.objects.none()) == set()
    assert resolved() == set()


def test_a_deleted_element_resolves_through_its_parent(trees):
    here, _ = trees
    action = here["action"]
    action.delete()
    assert resolved(action) == {here["protocol"].pk}


def test_territories_and_reference_lists_change_every_protocol(trees):
    every = set(Protocol.objects.values_list("pk", flat=True))
    assert resolved(grigny()) == every
    assert resolved(Territory.objects.none()) == every
    assert resolved(factories.PartnerFactory(), trees[0]["action"]) == every
    assert resolved(ThematicSection.objects.none(), factories.AxisFactory()) == every


def test_what_no_page_shows_is_refused(trees):
    with pytest.raises(TypeError, match="Campaign"):
        changed_protocols(Campaign.objects.all())
    with pytest.raises(TypeError, match="Campaign"):
        changed_sections(Campaign.objects.all())


def sections_of(*changed):
    return set(changed_sections(*changed).values_list("pk", flat=True))


def test_each_element_resolves_to_its_own_section(trees):
    here, elsewhere = trees
    sibling = factories.SectionFactory(protocol=here["protocol"])
    update = factories.ProgressUpdateFactory(action=here["action"])
    on_objective = factories.ProgressUpdateFactory(action=None, operational_objective=here["oo"])
    for element in ("section", "so", "oo", "action"):
        assert sections_of(here[element]) == {here["section"].pk}, element
    assert sections_of(update) == sections_of(on_objective) == {here["section"].pk}
    # The protocol's own fields (an edition published, its preamble): every one of its sections.
    assert sections_of(here["protocol"]) == {here["section"].pk, sibling.pk}
    assert sections_of(Protocol.objects.filter(pk=here["protocol"].pk)) == {
        here["section"].pk,
        sibling.pk,
    }
    assert sections_of(Action.objects.filter(pk=here["action"].pk), elsewhere["oo"]) == {
        here["section"].pk,
        elsewhere["section"].pk,
    }
    assert sections_of(ProgressUpdate.objects.filter(pk=update.pk)) == {here["section"].pk}
    assert sections_of(ThematicSection.objects.filter(pk=sibling.pk)) == {sibling.pk}
    assert sections_of(Action.objects.none()) == set()
    action = here["action"]
    action.delete()
    assert sections_of(action) == {here["section"].pk}
    every = set(ThematicSection.objects.values_list("pk", flat=True))
    assert sections_of(factories.GlossaryTermFactory()) == every
    assert sections_of(Territory.objects.none()) == every


def test_record_change_stamps_the_protocols_and_queues_one_refresh(
    trees, django_assert_num_queries
):
    here, elsewhere = trees
    sibling = factories.SectionFactory(protocol=here["protocol"])
    Protocol.objects.update(last_changed_at=LONG_AGO)
    ThematicSection.objects.update(last_changed_at=LONG_AGO)
    connection.run_on_commit.clear()
    with django_assert_num_queries(2):  # two UPDATEs (sections, protocols), two kinds of elements
        assert record_change(here["action"], here["oo"]) == 1
    record_change(here["oo"])  # the same transaction: no second refresh
    assert len(connection.run_on_commit) == 1
    stamps = dict(Protocol.objects.values_list("pk", "last_changed_at"))
    assert stamps[here["protocol"].pk] > LONG_AGO
    assert stamps[elsewhere["protocol"].pk] == LONG_AGO
    sections = dict(ThematicSection.objects.values_list("pk", "last_changed_at"))
    assert sections[here["section"].pk] == stamps[here["protocol"].pk]
    assert sections[sibling.pk] == sections[elsewhere["section"].pk] == LONG_AGO
