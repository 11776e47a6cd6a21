"""Every write of indicators: their shared definitions, the indicators, their yearly values.

The admin (its save_model / delete_model / save_formset), the seed, and the tracking space
and the imports to come all write through these functions. Each one validates through the
models (models/indicators.py: `full_clean`, the one place of the rules) and records the change
of content of the protocols that show it — the protocol of the commitment each indicator
measures (content_changes.record_change), since their pages will show indicators.

- `record_indicator_value(indicator, year=…, value=…)`: the year's value; a value already
  recorded for that year is replaced, the previous one kept in the history (simple-history).
  The indicator's row is locked first, so that two values recorded at once for one year are
  applied one after the other (the second replaces the first) instead of colliding.
- `save_indicator_value(row)`: a row as a form edited it (the admin's inline and list, a
  revert from the history); a year that another row holds is refused by the validation.
- `delete_indicator_value(s)`, `save_indicator`, `delete_indicator(s)`, `save_definition`,
  `delete_definition(s)`.
A value records who recorded it (`by`, None for the system paths) and when; `by` must be
allowed to record it (permissions.can_record_indicator_value): PermissionDenied otherwise.

Queries: a value is its validation (the indicator, its definition, the unique year), one
locked SELECT, its INSERT or UPDATE and two UPDATEs recording the change.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from commitments.models import COMMITMENT_FIELDS, Indicator, IndicatorValue
from commitments.permissions import can_record_indicator_value
from commitments.services.content_changes import record_change

NOT_ALLOWED = "Vous ne pouvez enregistrer les valeurs que des indicateurs de vos territoires."


def _measured(indicators):
    """Querysets of the commitments measured by the indicators of `indicators` (a queryset)."""
    # `indicators` is the reverse relation of each concrete level; the plugin reads the
    # abstract Node that COMMITMENT_FIELDS's keys are typed as.
    return [
        model.objects.filter(indicators__in=indicators.values("pk"))  # type: ignore[misc]
        for model in COMMITMENT_FIELDS
    ]


def _check_allowed(by, indicator):
    if by is not None and not can_record_indicator_value(by, indicator):
        raise PermissionDenied(NOT_ALLOWED)


def _locked(indicator_pk):
    """The indicator's row, locked until the transaction ends: its values are written one
    writer at a time."""
    return Indicator.objects.select_for_update().select_related("definition").get(pk=indicator_pk)


def _save_value(row, by):
    row.author = by
    row.recorded_at = timezone.now()
    row.full_clean()
    row._history_user = by
    row.save()
    record_change(row.indicator.commitment)
    return row


@transaction.atomic
def record_indicator_value(indicator, *, year, value, source="", comment="", by=None):
    """Record the value of `year`: a new row, or the replacement of the year's row. Returns
    (the row, whether it replaced a value). ValidationError (French) when the value or the
    year breaks the rules."""
    _check_allowed(by, indicator)
    locked = _locked(indicator.pk)
    row = IndicatorValue.objects.filter(indicator=locked, year=year).first()
    replaced = row is not None
    if row is None:
        row = IndicatorValue(indicator=locked, year=year)
    row.indicator = locked
    row.value, row.source, row.comment = value, source, comment
    return _save_value(row, by), replaced


@transaction.atomic
def save_indicator_value(row, *, by=None):
    """Save `row` as edited (its year may have changed: a year held by another row is
    refused)."""
    _check_allowed(by, row.indicator)
    _locked(row.indicator_id)
    return _save_value(row, by)


@transaction.atomic
def delete_indicator_value(row, *, by=None):
    _check_allowed(by, row.indicator)
    record_change(row.indicator.commitment)
    row._history_user = by
    row.delete()


@transaction.atomic
def delete_indicator_values(queryset):
    """Delete the values of `queryset` (the admin's bulk deletion), recording the change."""
    record_change(*_measured(Indicator.objects.filter(yearly_values__in=queryset.values("pk"))))
    return queryset.delete()[0]


@transaction.atomic
def save_indicator(indicator, *, by=None):
    """Save `indicator` (validated), recording the change where it is and, when it moved to
    another commitment, where it was."""
    indicator.full_clean()
    if not indicator._state.adding:
        record_change(*_measured(Indicator.objects.filter(pk=indicator.pk)))
    indicator._history_user = by
    indicator.save()
    record_change(indicator.commitment)
    return indicator


@transaction.atomic
def delete_indicator(indicator, *, by=None):
    """Delete `indicator` and its values, recording the change first."""
    record_change(indicator.commitment)
    indicator._history_user = by
    indicator.delete()


@transaction.atomic
def delete_indicators(queryset):
    """Delete the indicators of `queryset` (the admin's bulk deletion) and their values."""
    record_change(*_measured(queryset))
    return queryset.delete()[0]


@transaction.atomic
def save_definition(definition, *, by=None):
    """Save a shared definition (validated: the values recorded must fit its unit), recording
    the change of every protocol showing one of its indicators."""
    definition.full_clean()
    definition._history_user = by
    definition.save()
    record_change(*_measured(Indicator.objects.filter(definition=definition)))
    return definition


@transaction.atomic
def delete_definition(definition, *, by=None):
    """Delete a definition no indicator uses (the database protects the others)."""
    definition._history_user = by
    definition.delete()


@transaction.atomic
def delete_definitions(queryset):
    return queryset.delete()[0]
