"""The data model's rules: constraints held by the database, document order, roll-ups."""

import pytest
from django.db import IntegrityError, connection, transaction

from commitments.enums import Status
from commitments.models import Action, OperationalObjective
from commitments.reporting.protocol_tree import strategic_objectives_tree
from commitments.reporting.rollups import Rollup
from tests.factories import (
    ActionFactory,
    OperationalObjectiveFactory,
    ProgressUpdateFactory,
    ProtocolFactory,
    SectionFactory,
    StrategicObjectiveFactory,
    TerritoryFactory,
)

pytestmark = pytest.mark.django_db


def refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


class TestConstraints:
    def test_progress_above_100_refused_by_database(self):
        action = ActionFactory()
        refused(lambda: Action.objects.filter(pk=action.pk).update(progress=120))

    def test_progress_on_operational_objective_refused(self):
        oo = OperationalObjectiveFactory()
        refused(lambda: OperationalObjective.objects.filter(pk=oo.pk).update(progress=101))

    def test_end_year_before_start_year_refused(self):
        action = ActionFactory()
        refused(lambda: Action.objects.filter(pk=action.pk).update(start_year=2024, end_year=2020))

    def test_protocol_period_checked(self):
        refused(lambda: ProtocolFactory(start_year=2023, end_year=2019))

    def test_same_year_allowed(self):
        action = ActionFactory(start_year=2020, end_year=2020, progress=100)
        action.refresh_from_db()
        assert action.progress == 100

    def test_territory_slug_unique(self):
        territory = TerritoryFactory()
        refused(lambda: TerritoryFactory(slug=territory.slug))

    def test_update_targets_exactly_one_commitment(self):
        action = ActionFactory()
        refused(
            lambda: ProgressUpdateFactory(
                action=action, operational_objective=action.operational_objective
            )
        )
        refused(lambda: ProgressUpdateFactory(action=None, operational_objective=None))

    def test_position_unique_within_parent_on_postgres(self):
        if connection.vendor != "postgresql":
            pytest.skip("SQLite cannot defer unique constraints; PostgreSQL enforces them")
        oo = OperationalObjectiveFactory()
        ActionFactory(operational_objective=oo, position=1)

        def duplicate_then_check():
            ActionFactory(operational_objective=oo, position=1)
            # Deferred until commit; the test transaction never commits, so check now.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

        refused(duplicate_then_check)


class TestHierarchy:
    def test_document_order_follows_positions_not_creation(self):
        oo = OperationalObjectiveFactory()
        third = ActionFactory(operational_objective=oo, position=3, text="troisième")
        first = ActionFactory(operational_objective=oo, position=1, text="première")
        second = ActionFactory(operational_objective=oo, position=2, text="deuxième")
        ordered = list(Action.objects.filter(operational_objective=oo).in_document_order())
        assert ordered == [first, second, third]

    def test_branch_may_stop_at_strategic_objective(self):
        so = StrategicObjectiveFactory()
        assert so.operational_objectives.count() == 0
        rolled = Rollup.of_tree([strategic_objectives_tree().get(pk=so.pk)])
        assert rolled.total == 0
        assert rolled.avg_progress is None

    def test_branch_without_actions_counts_its_operational_objectives(self):
        oo = OperationalObjectiveFactory(progress=40)
        loaded = OperationalObjective.objects.prefetch_related("actions").get(pk=oo.pk)
        assert loaded.leaves() == [loaded]
        assert Rollup.of_leaves(loaded.leaves()).avg_progress == pytest.approx(40)

    def test_new_commitment_is_not_reported(self):
        assert ActionFactory().status == Status.NOT_REPORTED

    def test_version_increments_on_save(self):
        action = ActionFactory()
        assert action.version == 1
        action.text = "Nouveau texte"
        action.save()
        action.refresh_from_db()
        assert action.version == 2


class TestRollup:
    """The roll-up of a loaded tree (reporting/rollups.py) follows the leaf rule."""

    def test_strategic_objective_progress_from_its_leaves(self):
        so = StrategicObjectiveFactory()
        with_actions = OperationalObjectiveFactory(strategic_objective=so, progress=0)
        ActionFactory(operational_objective=with_actions, progress=100)
        ActionFactory(operational_objective=with_actions, progress=50)
        # An operational objective without actions is a leaf of its own.
        OperationalObjectiveFactory(strategic_objective=so, progress=30)
        other = StrategicObjectiveFactory(section=so.section)
        ActionFactory(operational_objective__strategic_objective=other, progress=90)

        loaded = strategic_objectives_tree().get(pk=so.pk)
        rolled = Rollup.of_tree([loaded])
        assert rolled.total == 3
        assert rolled.progress_sum == 180
        assert rolled.avg_progress == pytest.approx(60)

    def test_operational_objective_with_actions_averages_them(self):
        oo = OperationalObjectiveFactory(progress=5)
        ActionFactory(operational_objective=oo, progress=20)
        ActionFactory(operational_objective=oo, progress=70)
        loaded = OperationalObjective.objects.prefetch_related("actions").get(pk=oo.pk)
        assert Rollup.of_leaves(loaded.leaves()).avg_progress == pytest.approx(45)

    def test_rollup_of_a_loaded_tree_costs_no_query(self, django_assert_num_queries):
        section = SectionFactory()
        for _ in range(3):
            ActionFactory(operational_objective__strategic_objective__section=section)
        objectives = list(strategic_objectives_tree().filter(section=section))
        with django_assert_num_queries(0):
            assert Rollup.of_tree(objectives).total == 3


class TestLastChanged:
    def test_edit_in_tree_touches_protocol(self):
        action = ActionFactory()
        protocol = action.operational_objective.strategic_objective.section.protocol
        before = protocol.last_changed_at
        action.progress = 10
        action.save()
        protocol.refresh_from_db()
        assert protocol.last_changed_at > before

    def test_delete_touches_protocol(self):
        action = ActionFactory()
        protocol = action.operational_objective.strategic_objective.section.protocol
        before = protocol.last_changed_at
        action.delete()
        protocol.refresh_from_db()
        assert protocol.last_changed_at > before

    def test_partner_link_touches_protocol(self):
        from tests.factories import PartnerFactory

        action = ActionFactory()
        protocol = action.operational_objective.strategic_objective.section.protocol
        before = protocol.last_changed_at
        action.partners.add(PartnerFactory())
        protocol.refresh_from_db()
        assert protocol.last_changed_at > before


class TestGlossaryMarkup:
    def test_acronym_wrapped_and_text_escaped(self):
        from commitments.models import GlossaryTerm
        from commitments.rendering.glossary_markup import Glossary

        glossary = Glossary([GlossaryTerm(term="QPV", expansion="Quartier « prioritaire »")])
        html = glossary.abbreviate('<b>QPV</b> & "QPVX"')
        assert html == (
            '&lt;b&gt;<abbr title="Quartier « prioritaire »">QPV</abbr>&lt;/b&gt; '
            "&amp; &quot;QPVX&quot;"
        )

    def test_term_spelled_like_an_entity_never_breaks_escaping(self):
        from commitments.models import GlossaryTerm
        from commitments.rendering.glossary_markup import Glossary

        glossary = Glossary([GlossaryTerm(term="quot", expansion="x")])
        assert glossary.abbreviate('a "b"') == "a &quot;b&quot;"
