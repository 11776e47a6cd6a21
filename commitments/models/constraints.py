"""Database constraints shared by several models, written once (names stay per model)."""

from django.db import models
from django.db.models import Deferrable, F, Q


def unique_position(parent):
    """Siblings have distinct positions; deferred, so that reordering can swap two positions
    in one transaction (PostgreSQL; SQLite cannot defer, see settings.SILENCED_SYSTEM_CHECKS)."""
    return models.UniqueConstraint(
        fields=[parent, "position"],
        name="%(app_label)s_%(class)s_unique_position",
        deferrable=Deferrable.DEFERRED,
    )


def progress_0_100():
    return models.CheckConstraint(
        condition=Q(progress__gte=0) & Q(progress__lte=100),
        name="%(app_label)s_%(class)s_progress_0_100",
    )


def years_in_order():
    """The start year is not after the end year (either may be unknown)."""
    return models.CheckConstraint(
        condition=Q(start_year__isnull=True)
        | Q(end_year__isnull=True)
        | Q(start_year__lte=F("end_year")),
        name="%(app_label)s_%(class)s_start_before_end",
    )
