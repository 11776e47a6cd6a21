"""Progress updates reported on an action or an operational objective, as a test states them."""

import datetime

from commitments.enums import Status
from commitments.models import Action
from tests.factories import ProgressUpdateFactory


def report(target, when, status, progress, **fields):
    """An update of `target` (an action or an operational objective) dated `when`."""
    if isinstance(target, Action):
        fields.update(action=target, operational_objective=None)
    else:
        fields.update(action=None, operational_objective=target)
    return ProgressUpdateFactory(date=when, status=status, progress=progress, **fields)


def report_days_ago(target, days_ago, status=Status.IN_PROGRESS, progress=50, **fields):
    """An update of `target` dated `days_ago` days before today."""
    when = datetime.date.today() - datetime.timedelta(days=days_ago)
    return report(target, when, status, progress, **fields)
