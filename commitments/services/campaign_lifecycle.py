"""Opening, editing and closing campaigns: the one write path of campaigns, called by the
admin, the views and any command.

- `open_campaign`: validates (Campaign.clean, French messages) and creates a campaign; no
  territory chosen means every territory, written as such (models/campaigns.py). When its
  opening date is today or past, the opening emails are queued at once, in the same transaction
  (services/notifications.py `announce_opening`), not at the next daily tick.
- `update_campaign`: the same validation (and the same opening emails, when the change opens
  it); a closed campaign is never changed.
- `close_campaign`: in one transaction, locks the campaign's row, refuses a campaign already closed
  (or not open yet), freezes one `CampaignFigure` per commitment of its territories from the live
  rows (selectors/campaign_completion.py, the rule written once) in one bulk insert, and stores
  `closed_at` and `closed_by`, and queues once per lead the email with their territories'
  frozen figures and the link to the report (notifications.announce_closing). Two closings at
  once: the second waits for the lock, then finds the campaign closed and is refused. Closing
  changes what the public dashboard shows, so the change of the protocols of the campaign's
  territories is recorded (content_changes: their page caches are renewed).

Constant queries whatever the number of commitments (about ten for a closing).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from commitments.enums import CampaignState
from commitments.models import Action, Campaign, CampaignFigure, Protocol
from commitments.permissions import can_manage_campaigns
from commitments.selectors.campaign_completion import live_rows
from commitments.services import notifications
from commitments.services.content_changes import record_change
from territories.models import Territory

CAMPAIGN_FIELDS = ("title", "period_start", "period_end", "opens_on", "deadline")
NOT_ALLOWED = "Seule l'équipe de l'agglomération ouvre, modifie et clôture les campagnes de suivi."


def _check_allowed(user):
    if not can_manage_campaigns(user):
        raise PermissionDenied(NOT_ALLOWED)


def _territories(territories):
    """The chosen territories, or every territory when none is chosen."""
    chosen = list(territories or [])
    return chosen or list(Territory.objects.all())


@transaction.atomic
def open_campaign(*, by, territories=None, **fields):
    """Create a campaign from CAMPAIGN_FIELDS after validating it (ValidationError otherwise)."""
    _check_allowed(by)
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown campaign fields: {sorted(unknown)}")
    campaign_ = Campaign(**fields, created_by=by)
    campaign_.full_clean()
    campaign_.save()
    campaign_.territories.set(_territories(territories))
    notifications.announce_opening(campaign_)
    return campaign_


def check_not_closed(campaign_):
    if campaign_.is_closed:
        raise ValidationError(
            f"La campagne « {campaign_.title} » est clôturée depuis le "
            f"{timezone.localtime(campaign_.closed_at):%d/%m/%Y} : elle ne peut plus être modifiée "
            "ni clôturée de nouveau."
        )


@transaction.atomic
def update_campaign(campaign_, *, by, territories=None, **fields):
    """Change an open or upcoming campaign (ValidationError when closed or invalid)."""
    _check_allowed(by)
    current = Campaign.objects.select_for_update().get(pk=campaign_.pk)
    check_not_closed(current)
    for name, value in fields.items():
        if name not in CAMPAIGN_FIELDS:
            raise TypeError(f"Unknown campaign field: {name}")
        setattr(campaign_, name, value)
    campaign_.full_clean()
    campaign_.save(update_fields=[*fields] or None)
    if territories is not None:
        campaign_.territories.set(_territories(territories))
    notifications.announce_opening(campaign_)
    return campaign_


def _figure(campaign_, row):
    target = "action_id" if row.kind == Action.kind else "operational_objective_id"
    return CampaignFigure(
        campaign=campaign_,
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
def close_campaign(campaign_, by):
    """Freeze the campaign's figures and close it (see the module docstring). Returns the number
    of commitments frozen."""
    _check_allowed(by)
    current = Campaign.objects.select_for_update().get(pk=campaign_.pk)
    check_not_closed(current)
    if current.state == CampaignState.UPCOMING:
        raise ValidationError(
            f"La campagne « {current.title} » n'est pas encore ouverte (ouverture le "
            f"{current.opens_on:%d/%m/%Y}) : elle ne peut pas être clôturée."
        )
    territory_ids = list(current.territories.values_list("pk", flat=True))
    figures = [_figure(current, row) for row in live_rows(current, territory_ids)]
    CampaignFigure.objects.bulk_create(figures, batch_size=500)
    current.closed_at = timezone.now()
    current.closed_by = by
    current.save(update_fields=["closed_at", "closed_by"])
    record_change(Protocol.objects.filter(territory__in=territory_ids))
    notifications.announce_closing(current)
    campaign_.closed_at, campaign_.closed_by = current.closed_at, current.closed_by
    return len(figures)
