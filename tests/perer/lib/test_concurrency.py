"""perer/lib/concurrency.py: the version check, run inside the transaction that writes (the
admin's forms: tests/commitments/admin/test_concurrency.py; two leads at the same instant on
PostgreSQL: tests/commitments/views/test_tracking_space_concurrency.py)."""

import pytest
from django.db.transaction import TransactionManagementError

from commitments.models import Action
from perer.lib.concurrency import VersionConflict, check_version
from tests.factories import ActionFactory

pytestmark = pytest.mark.django_db


def test_the_version_loaded_passes_any_other_is_a_conflict():
    action = ActionFactory()
    assert check_version(action, 1) == 1
    action.text = "Modifié"
    action.save()
    with pytest.raises(VersionConflict) as stale:
        check_version(action, 1)
    assert stale.value.current_version == 2
    with pytest.raises(VersionConflict):
        check_version(action, None)
    assert check_version(action, 2) == 2


def test_a_row_deleted_meanwhile_is_a_conflict():
    action = ActionFactory()
    Action.objects.filter(pk=action.pk).delete()
    with pytest.raises(VersionConflict) as stale:
        check_version(action, 1)
    assert stale.value.current_version is None


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_check_is_refused():
    """A lock released at once would let another save in between: the check must run in the
    transaction that writes."""
    action = ActionFactory()
    with pytest.raises(TransactionManagementError):
        check_version(action, 1)
