"""The data model's rules held by the database itself (models/constraints.py): bounds, periods,
unique slugs and positions, one target per progress update."""

import pytest
from django.db import IntegrityError, connection, transaction

from commitments.enums import Status
from commitments.models import Action, OperationalObjective
from tests.factories import (
    ActionFactory,
    OperationalObjectiveFactory,
    ProgressUpdateFactory,
    ProtocolFactory,
    TerritoryFactory,
)
from tests.support.progress import report_today

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
        action = ActionFactory(start_year=2020, end_year=2020)
        report_today(action, Status.DONE, 100)  # the upper bound, written by the rule
        action.refresh_from_db()
        assert (action.start_year, action.end_year, action.progress) == (2020, 2020, 100)

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

    @pytest.mark.postgres_only(
        reason="SQLite cannot defer unique constraints; PostgreSQL enforces them"
    )
    def test_position_unique_within_parent_on_postgres(self):
        oo = OperationalObjectiveFactory()
        ActionFactory(operational_objective=oo, position=1)

        def duplicate_then_check():
            ActionFactory(operational_objective=oo, position=1)
            # Deferred until commit; the test transaction never commits, so check now.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

        refused(duplicate_then_check)
