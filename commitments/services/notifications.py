"""The notifications of campaigns and the weekly digest: what is due on a day, to whom,
sent exactly once. Run by the daily tick, `python manage.py send_reminders`
(management/commands/send_reminders.py; a systemd timer, docs/deployment.md).

What is due on `today` (the rules, written once here):
- **Opening** ("round_opened"): to every lead of the campaign's territories, once, from the
  campaign's `opens_on` until its deadline, while it is not closed (a campaign opened by staff today
  is announced by the next tick).
- **Reminders**, to the leads of the campaign's territories who still have commitments to report
  for it (the count is selectors/campaign_completion.py's rule, over the territories they lead):
  "reminder_7_days" when 2 to 7 days are left (and the campaign was open 7 days before its
  deadline), "reminder_1_day" the day before or on the deadline day, "reminder_overdue" once
  the deadline has passed while the campaign is still open. A missed tick is made up the next day,
  within those windows; no campaign sends anything once closed.
- **Weekly digest** ("weekly_digest"): to agglomeration staff and superusers, the progress
  updates recorded (created) during the previous ISO week, Monday to Sunday; nothing when there
  were none.
- **Invitation reminder** ("invitation_reminder"): one, ever, to an invited lead who has not
  activated the account (territories/accounts.py `never_activated`) 7 days after the invitation,
  with a fresh link to choose a password.

Outside the tick:
- **Opening at once** (`announce_opening`): creating or changing a campaign whose opening date
  is today or past queues its opening emails in the same transaction (campaign_lifecycle.py),
  with the tick's keys: each lead gets it once.
- **« Relancer les retardataires »** (`request_reminder` → the job `remind_late_leads_job` →
  `remind_late_leads`): from the campaign's page, a reminder to each lead who still has
  commitments to report, at most once per lead per day ("reminder_manual:round=3:user=5:
  day=2026-12-07"), whatever the number of clicks, jobs or workers.
- **Closing** (`announce_closing`, called by close_campaign): once per lead, their territories'
  frozen figures and the link to each territory's report ("round_closed:round=3:user=5").

A user's preferences (territories.models.AccountPreferences) are honoured: `reminders` off, no
opening, reminder nor closing email; `weekly_digest` off, no digest. Inactive users, users
without an email address and accounts never activated (invited, no password chosen, never
logged in) get no campaign email.

Exactly once, whatever the number of workers or reruns: each email has a key naming what goes
to whom ("reminder_7_days:round=3:user=5", "weekly_digest:2026-W48:user=5"). A `Notification`
row with that key (unique) is inserted, and the email's job enqueued (perer/lib/mail.py), in
one transaction; the insert of a key already there fails (IntegrityError): it was done before,
by another run or process, and nothing is sent. The job marks the row `sent_at` (or `error`).

Queries: per open campaign three to read its completion and one for its leads, one for the
digest's updates and one for its recipients, plus one insert and one job per email sent.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from commitments.enums import NotificationKind
from commitments.models import Campaign, Notification, ProgressUpdate
from commitments.selectors.campaign_completion import campaign_summary
from perer.lib.jobs import retried_task
from perer.lib.mail import EMAIL_QUEUE, absolute_url, send_email
from territories.accounts import invitation_reminder_context, never_activated
from territories.models import TerritoryMembership
from territories.roles import AGGLOMERATION_GROUP, CITY_LEAD_GROUP

REMINDERS = {
    # kind: (the first day it is due, in days left, the last day it is due)
    NotificationKind.REMINDER_7_DAYS: (7, 2),
    NotificationKind.REMINDER_1_DAY: (1, 0),
}
DIGEST_LIMIT = 200  # updates listed in one digest (the count says how many there were)


@dataclass
class Summary:
    """What one run did: {kind: emails queued}, and how many were already done."""

    sent: dict = field(default_factory=lambda: defaultdict(int))
    already_done: int = 0

    @property
    def total(self):
        return sum(self.sent.values())


def notify(user, kind, key, email_name, context, *, campaign_=None, summary=None):
    """Record the notification `key` and queue its email, once: False when `key` was already
    recorded (by this run, another run or another process)."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, kind=kind, key=key, campaign=campaign_
            )
            send_email(
                email_name,
                [user.email],
                context,
                record={"model": Notification._meta.label, "pk": notification.pk},
            )
    except IntegrityError:
        if summary is not None:
            summary.already_done += 1
        return False
    if summary is not None:
        summary.sent[kind] += 1
    return True


# --- Campaigns -----------------------------------------------------------------------------------


def due_kinds(campaign_, today):
    """The notification kinds `campaign_` has due on `today` (see the module docstring)."""
    if campaign_.is_closed or today < campaign_.opens_on:
        return []
    days_left = campaign_.days_left(today)
    kinds = [NotificationKind.ROUND_OPENED] if days_left >= 0 else []
    first, last = REMINDERS[NotificationKind.REMINDER_7_DAYS]
    if last <= days_left <= first and (campaign_.deadline - campaign_.opens_on).days >= first:
        kinds.append(NotificationKind.REMINDER_7_DAYS)
    first, last = REMINDERS[NotificationKind.REMINDER_1_DAY]
    if last <= days_left <= first:
        kinds.append(NotificationKind.REMINDER_1_DAY)
    if days_left < 0:
        kinds.append(NotificationKind.REMINDER_OVERDUE)
    return kinds


def campaign_city_leads(campaign_):
    """{user: [territory ids of the campaign they lead]} for the leads who want campaign emails."""
    memberships = (
        TerritoryMembership.objects.filter(
            territory__in=campaign_.territories.all(),
            user__is_active=True,
            user__is_staff=True,
            user__groups__name=CITY_LEAD_GROUP,
        )
        .exclude(user__email="")
        .exclude(never_activated("user__"))
        .exclude(user__account_preferences__reminders=False)
        .select_related("user")
        .order_by("user_id", "territory_id")
    )
    leads: dict[Any, list[int]] = {}  # user: ids of the territories they lead
    for membership in memberships:
        leads.setdefault(membership.user, []).append(membership.territory_id)
    return leads


def _round_context(campaign_, user, territory_names, completion, kind, today):
    return {
        "user": user,
        "campaign": campaign_,
        "kind": kind,
        "days_left": campaign_.days_left(today),
        "territories": territory_names,
        "total": completion["total"],
        "missing": completion["missing"],
        "campaign_url": absolute_url(reverse("campaign_detail", kwargs={"pk": campaign_.pk})),
        "space_url": absolute_url(reverse("tracking_space")),
        "account_url": absolute_url(reverse("account")),
    }


EMAIL_OF_KIND = {
    NotificationKind.ROUND_OPENED: "round_opened",
    NotificationKind.REMINDER_7_DAYS: "round_reminder",
    NotificationKind.REMINDER_1_DAY: "round_reminder",
    NotificationKind.REMINDER_OVERDUE: "round_reminder",
    NotificationKind.REMINDER_MANUAL: "round_reminder",
}


def _lead_figures(campaign_, leads):
    """{territory id: Completion} over the territories `leads` lead (counted in SQL) and
    {territory id: Territory} of the campaign."""
    territories = {territory.pk: territory for territory in campaign_.territories.all()}
    led = {pk for ids in leads.values() for pk in ids}
    summary = campaign_summary(
        campaign_,
        sorted((territories[pk] for pk in led), key=lambda t: (t.position, t.name)),
    )
    return {territory.pk: figures for territory, figures in summary.by_territory}, territories


def _notify_leads(campaign_, kinds, today, summary, key_of=None):
    """Queue the emails `kinds` of `campaign_` to its leads, once each (a reminder only to the
    leads who still have something to report). `key_of(kind, user)` the notification's key."""
    key_of = key_of or (lambda kind, user: f"{kind}:round={campaign_.pk}:user={user.pk}")
    leads = campaign_city_leads(campaign_)
    if not leads:
        return summary
    by_territory, territories = _lead_figures(campaign_, leads)
    # Keys already recorded are skipped without an insert (one query); the unique insert in
    # `notify` still settles a race with another process.
    done = set(
        Notification.objects.filter(campaign=campaign_, kind__in=kinds).values_list(
            "key", flat=True
        )
    )
    for user, territory_ids in leads.items():
        completion = {
            "total": sum(by_territory[pk].total for pk in territory_ids),
            "missing": sum(by_territory[pk].missing for pk in territory_ids),
        }
        names = [territories[pk].name for pk in territory_ids]
        for kind in kinds:
            if kind != NotificationKind.ROUND_OPENED and completion["missing"] == 0:
                continue  # nothing left to report: no reminder
            key = key_of(kind, user)
            if key in done:
                summary.already_done += 1
                continue
            notify(
                user,
                kind,
                key,
                EMAIL_OF_KIND[kind],
                _round_context(campaign_, user, names, completion, kind, today),
                campaign_=campaign_,
                summary=summary,
            )
    return summary


def send_campaign_notifications(today=None, summary=None):
    """Queue every campaign email due on `today`; returns the Summary."""
    today = today or timezone.localdate()
    summary = summary or Summary()
    campaigns = Campaign.objects.open_on(today).prefetch_related("territories")
    for campaign_ in campaigns:
        kinds = due_kinds(campaign_, today)
        if kinds:
            _notify_leads(campaign_, kinds, today, summary)
    return summary


def announce_opening(campaign_, today=None):
    """Queue the opening emails of `campaign_` at once when it is open on `today` (called when
    staff create or change a campaign: services/campaign_lifecycle.py), not at the next daily
    tick; the same keys as the tick's, so that each lead gets it once."""
    today = today or timezone.localdate()
    summary = Summary()
    if NotificationKind.ROUND_OPENED in due_kinds(campaign_, today):
        with translation.override("fr"):
            _notify_leads(campaign_, [NotificationKind.ROUND_OPENED], today, summary)
    return summary


# --- « Relancer les retardataires » -----------------------------------------------------------


def manual_reminder_key(campaign_id, user_id, day):
    """One manual reminder per lead, campaign and day (selectors/campaign_completion.py
    `last_manual_reminder` reads the day back from the key)."""
    return (
        f"{NotificationKind.REMINDER_MANUAL}:round={campaign_id}:user={user_id}:day={day:%Y-%m-%d}"
    )


def remind_late_leads(campaign_, today=None):
    """Queue a reminder to each lead of `campaign_` whose territories still have commitments
    to report, at most once per lead and day (the key holds the day: clicks, jobs and workers
    share it). Nothing once the campaign is closed or before it opens. Returns the Summary."""
    today = today or timezone.localdate()
    summary = Summary()
    if campaign_.is_closed or today < campaign_.opens_on:
        return summary
    with translation.override("fr"):
        _notify_leads(
            campaign_,
            [NotificationKind.REMINDER_MANUAL],
            today,
            summary,
            key_of=lambda kind, user: manual_reminder_key(campaign_.pk, user.pk, today),
        )
    return summary


@retried_task(attempts=3, backoff=60, queue_name=EMAIL_QUEUE)
def remind_late_leads_job(campaign_id, day):
    """The job queued by the campaign's page (« Relancer les retardataires »): `day` is the
    day of the click (ISO), so that a job run after midnight keeps the click's key."""
    campaign_ = Campaign.objects.filter(pk=campaign_id).prefetch_related("territories").first()
    if campaign_ is None:
        return 0
    return remind_late_leads(campaign_, datetime.date.fromisoformat(day)).total


def request_reminder(campaign_, today=None):
    """What the button does: queue `remind_late_leads_job` for today; the job."""
    today = today or timezone.localdate()
    return remind_late_leads_job.enqueue(campaign_id=campaign_.pk, day=today.isoformat())


# --- Closing ---------------------------------------------------------------------------------


def announce_closing(campaign_):
    """Queue, once per lead, the email that `campaign_` is closed, with the frozen figures of
    their territories and the link to each territory's report (called by close_campaign, in
    its transaction, after the figures are frozen)."""
    summary = Summary()
    leads = campaign_city_leads(campaign_)
    if not leads:
        return summary
    by_territory, territories = _lead_figures(campaign_, leads)
    kind = NotificationKind.ROUND_CLOSED
    done = set(
        Notification.objects.filter(campaign=campaign_, kind=kind).values_list("key", flat=True)
    )
    with translation.override("fr"):
        for user, territory_ids in leads.items():
            key = f"{kind}:round={campaign_.pk}:user={user.pk}"
            if key in done:
                summary.already_done += 1
                continue
            rows = [
                {
                    "territory": territories[pk],
                    "figures": by_territory[pk],
                    "report_url": absolute_url(
                        reverse(
                            "campaign_territory_pdf",
                            kwargs={"pk": campaign_.pk, "slug": territories[pk].slug},
                        )
                    ),
                }
                for pk in territory_ids
            ]
            notify(
                user,
                kind,
                key,
                "round_closed",
                {
                    "user": user,
                    "campaign": campaign_,
                    "rows": rows,
                    "campaign_url": absolute_url(
                        reverse("campaign_detail", kwargs={"pk": campaign_.pk})
                    ),
                    "account_url": absolute_url(reverse("account")),
                },
                campaign_=campaign_,
                summary=summary,
            )
    return summary


# --- Accounts never activated ----------------------------------------------------------------

INVITATION_REMINDER_AFTER = 7  # days after the invitation


def send_invitation_reminders(today=None, summary=None):
    """One reminder to activate the account, to each invited account never activated
    (territories/accounts.py `never_activated`) invited at least INVITATION_REMINDER_AFTER days
    before `today`: once per account, ever."""
    today = today or timezone.localdate()
    summary = summary or Summary()
    cutoff = timezone.make_aware(
        datetime.datetime.combine(
            today - datetime.timedelta(days=INVITATION_REMINDER_AFTER - 1), datetime.time.min
        )
    )
    kind = NotificationKind.INVITATION_REMINDER
    users = list(
        get_user_model()
        .objects.filter(never_activated(), is_active=True, date_joined__lt=cutoff)
        .filter(groups__name=CITY_LEAD_GROUP)
        .exclude(email="")
        .exclude(notifications__kind=kind)
        .prefetch_related("territory_memberships__territory")
        .distinct()
        .order_by("pk")
    )
    for user in users:
        notify(
            user,
            kind,
            f"{kind}:user={user.pk}",
            "invitation_reminder",
            invitation_reminder_context(user),
            summary=summary,
        )
    return summary


# --- The weekly digest ------------------------------------------------------------------------


def previous_week(today):
    """(monday, sunday, "2026-W48") of the ISO week before `today`'s."""
    monday = today - datetime.timedelta(days=today.weekday() + 7)
    year, week, _ = monday.isocalendar()
    return monday, monday + datetime.timedelta(days=6), f"{year}-W{week:02d}"


def digest_recipients():
    """Agglomeration staff and superusers who want the digest (one query)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__name=AGGLOMERATION_GROUP))
        .exclude(email="")
        .exclude(account_preferences__weekly_digest=False)
        .distinct()
        .order_by("pk")
    )


def week_updates(monday, sunday):
    """The updates recorded from `monday` to `sunday` (local days), latest first."""
    start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))
    end = start + datetime.timedelta(days=(sunday - monday).days + 1)
    return (
        ProgressUpdate.objects.filter(created_at__gte=start, created_at__lt=end)
        .with_targets()
        .select_related("author")
        .order_by("-created_at", "-pk")
    )


def _digest_rows(updates):
    rows = []
    for update in updates:
        target = update.target
        rows.append(
            {
                "territory": target.territory.name,
                "text": target.text,
                "status": update.get_status_display(),
                "progress": update.progress,
                "date": update.date,
                "author": update.author_name,
                "comment": update.comment,
            }
        )
    return rows


def send_weekly_digest(today=None, summary=None):
    """Queue the digest of the previous week to each recipient who has not had it yet."""
    today = today or timezone.localdate()
    summary = summary or Summary()
    monday, sunday, week = previous_week(today)
    recipients = list(digest_recipients())
    if not recipients:
        return summary
    updates = week_updates(monday, sunday)
    count = updates.count()
    if count == 0:
        return summary
    rows = _digest_rows(updates[:DIGEST_LIMIT])
    territories = sorted({row["territory"] for row in rows})
    keys = {
        user.pk: f"{NotificationKind.WEEKLY_DIGEST}:{week}:user={user.pk}" for user in recipients
    }
    done = set(Notification.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    recipients = [user for user in recipients if keys[user.pk] not in done]
    summary.already_done += len(keys) - len(recipients)
    if not recipients:
        return summary
    for user in recipients:
        notify(
            user,
            NotificationKind.WEEKLY_DIGEST,
            keys[user.pk],
            "weekly_digest",
            {
                "user": user,
                "monday": monday,
                "sunday": sunday,
                "count": count,
                "rows": rows,
                "shown": len(rows),
                "territories": territories,
                "dashboard_url": absolute_url(reverse("dashboard")),
                "account_url": absolute_url(reverse("account")),
            },
            summary=summary,
        )
    return summary


def send_due_notifications(today=None):
    """Everything due on `today` (the daily tick); returns the Summary."""
    today = today or timezone.localdate()
    summary = Summary()
    with translation.override("fr"):
        send_campaign_notifications(today, summary)
        send_weekly_digest(today, summary)
        send_invitation_reminders(today, summary)
    return summary
