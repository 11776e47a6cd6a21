"""Opening, editing and closing reporting rounds: the one write path of rounds, called by the
admin, the views and any command.

- `open_round`: validates (ReportingRound.clean, French messages) and creates a round; no
  territory chosen means every territory, written as such (models/rounds.py).
- `update_round`: the same validation; a closed round is never changed.
- `close_round`: in one transaction, locks the round's row, refuses a round already closed (or
  not open yet), freezes one `RoundFigure` per commitment of its territories from the live
  rows (selectors/round_completion.py, the rule written once) in one bulk insert, and stores
  `closed_at` and `closed_by`. Two closings at once: the second waits for the lock, then finds
  the round closed and is refused. Closing changes what the public dashboard shows, so the
  change of the protocols of the round's territories is recorded (content_changes: their page
  caches are renewed).

Constant queries whatever the number of commitments (about ten for a closing).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from commitments.enums import RoundState
from commitments.models import Action, Protocol, ReportingRound, RoundFigure
from commitments.permissions import can_manage_rounds
from commitments.selectors.round_completion import live_rows
from commitments.services.content_changes import record_change
from territories.models import Territory

ROUND_FIELDS = ("title", "period_start", "period_end", "opens_on", "deadline")
NOT_ALLOWED = "Seule l'équipe de l'agglomération ouvre, modifie et clôture les campagnes de suivi."


def _check_allowed(user):
    if not can_manage_rounds(user):
        raise PermissionDenied(NOT_ALLOWED)


def _territories(territories):
    """The chosen territories, or every territory when none is chosen."""
    chosen = list(territories or [])
    return chosen or list(Territory.objects.all())


@transaction.atomic
def open_round(*, by, territories=None, **fields):
    """Create a round from ROUND_FIELDS after validating it (ValidationError otherwise)."""
    _check_allowed(by)
    unknown = set(fields) - set(ROUND_FIELDS)
    if unknown:
        raise TypeError(f"Unknown round fields: {sorted(unknown)}")
    round_ = ReportingRound(**fields, created_by=by)
    round_.full_clean()
    round_.save()
    round_.territories.set(_territories(territories))
    return round_


def check_not_closed(round_):
    if round_.is_closed:
        raise ValidationError(
            f"La campagne « {round_.title} » est clôturée depuis le "
            f"{timezone.localtime(round_.closed_at):%d/%m/%Y} : elle ne peut plus être modifiée "
            "ni clôturée de nouveau."
        )


@transaction.atomic
def update_round(round_, *, by, territories=None, **fields):
    """Change an open or upcoming round (ValidationError when closed or invalid)."""
    _check_allowed(by)
    current = ReportingRound.objects.select_for_update().get(pk=round_.pk)
    check_not_closed(current)
    for name, value in fields.items():
        if name not in ROUND_FIELDS:
            raise TypeError(f"Unknown round field: {name}")
        setattr(round_, name, value)
    round_.full_clean()
    round_.save(update_fields=[*fields] or None)
    if territories is not None:
        round_.territories.set(_territories(territories))
    return round_


def _figure(round_, row):
    target = "action_id" if row.kind == Action.kind else "operational_objective_id"
    return RoundFigure(
        round=round_,
        **{target: row.commitment_id},
        kind=row.kind,
        position=row.position,
        text=row.text,
        territory=row.territory,
        thematic=row.thematic,
        status=row.status,
        progress=row.progress,
        reported=row.reported,
        last_update_date=row.last_update_date,
        last_comment=row.last_comment,
        author_id=row.author_id,
        author_name=row.author_name,
    )


@transaction.atomic
def close_round(round_, by):
    """Freeze the round's figures and close it (see the module docstring). Returns the number
    of commitments frozen."""
    _check_allowed(by)
    current = ReportingRound.objects.select_for_update().get(pk=round_.pk)
    check_not_closed(current)
    if current.state == RoundState.UPCOMING:
        raise ValidationError(
            f"La campagne « {current.title} » n'est pas encore ouverte (ouverture le "
            f"{current.opens_on:%d/%m/%Y}) : elle ne peut pas être clôturée."
        )
    territory_ids = list(current.territories.values_list("pk", flat=True))
    figures = [_figure(current, row) for row in live_rows(current, territory_ids)]
    RoundFigure.objects.bulk_create(figures, batch_size=500)
    current.closed_at = timezone.now()
    current.closed_by = by
    current.save(update_fields=["closed_at", "closed_by"])
    record_change(Protocol.objects.filter(territory__in=territory_ids))
    round_.closed_at, round_.closed_by = current.closed_at, current.closed_by
    return len(figures)
