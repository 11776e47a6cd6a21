"""Two values recorded at the same instant for the same year of one indicator (two connections,
PostgreSQL): with the indicator's row locked (services/indicator_writes.py), they are applied
one after the other — one row for the year, the second value replacing the first, both in the
history. The control without the lock shows the race it closes: both writers find no row for
the year and both insert: one is refused (by the validation of the unique year if the other
one committed first, by the database otherwise).

The instant is forced: each writer, once it has looked for the year's row, waits (at most WAIT
seconds) for the other one to have looked too.
"""

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from commitments.models import Indicator
from commitments.services import indicator_writes
from tests import factories
from tests.support.admin import build_tree, grigny

WAIT = 1.0

pytestmark = [
    pytest.mark.postgres_only(reason="row locks (select_for_update) between two connections"),
    pytest.mark.django_db(transaction=True),
]


def meeting_before_writing(monkeypatch):
    """Each writer, having looked for the year's row, waits for the other one to have too."""
    barrier = threading.Barrier(2)
    save = indicator_writes._save_value

    def waiting(row, by):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(WAIT)
        return save(row, by)

    monkeypatch.setattr(indicator_writes, "_save_value", waiting)


def record_both(indicator, values):
    """Each value recorded for 2020 in its own thread (its own connection): what each got."""
    outcomes = [None, None]

    def record(index):
        try:
            outcomes[index] = indicator_writes.record_indicator_value(
                indicator, year=2020, value=values[index]
            )
        except (IntegrityError, ValidationError) as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.fixture
def indicator():
    return factories.IndicatorFactory(action=build_tree(grigny())["action"])


def test_the_second_value_replaces_the_first(indicator, monkeypatch):
    meeting_before_writing(monkeypatch)
    outcomes = record_both(indicator, [30, 35])
    assert sorted(replaced for _, replaced in outcomes) == [False, True]
    (row,) = indicator.yearly_values.all()
    last = next(value for (_, replaced), value in zip(outcomes, [30, 35], strict=True) if replaced)
    assert row.value == last
    assert sorted(version.value for version in row.history.all()) == [30, 35]


def test_without_the_lock_both_insert(indicator, monkeypatch):
    meeting_before_writing(monkeypatch)
    monkeypatch.setattr(
        indicator_writes,
        "_locked",
        lambda pk: Indicator.objects.select_related("definition").get(pk=pk),
    )
    outcomes = record_both(indicator, [30, 35])
    assert sum(isinstance(outcome, IntegrityError | ValidationError) for outcome in outcomes) == 1
    assert indicator.yearly_values.count() == 1
