"""The campaign emails sent outside the daily tick (services/notifications.py): opening at once
when a campaign is created or changed to open today, never to an account that was never
activated (which gets the invitation and one reminder to activate it), and « Relancer les
retardataires » run by two real worker processes: one email per lead per day."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from commitments.enums import NotificationKind
from commitments.models import Notification
from commitments.services import notifications
from commitments.services.campaign_lifecycle import update_campaign
from territories.accounts import invite_city_lead
from tests.support.admin import make_user
from tests.support.campaigns import days_ago, lead_of, new_campaign, town
from tests.support.jobs import (
    database_url_for_processes,
    in_database,
    run_jobs,
    start_manage,
)

K = NotificationKind


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://perer.example.org"


@pytest.fixture
def world(db, fast_password_hasher):
    territory, _ = town("Ville-Ouverte", slug="ville-ouverte")
    return {
        "territory": territory,
        "staff": make_user("agglomeration"),
        "lead": lead_of(territory, "lead-ouverte"),
    }


def kinds_of(user):
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_a_campaign_opening_today_is_announced_at_once(world):
    campaign_ = new_campaign(world["staff"], [world["territory"]], opens_on=days_ago(0))
    assert kinds_of(world["lead"]) == [K.ROUND_OPENED]  # before any tick
    run_jobs()
    assert [m.to for m in mail.outbox] == [["lead-ouverte@example.org"]]
    assert "ouvre la campagne de suivi « Campagne 2026 »" in mail.outbox[0].body
    # The daily tick sends it no second time.
    assert notifications.send_due_notifications().sent.get(K.ROUND_OPENED, 0) == 0
    assert notifications.announce_opening(campaign_).already_done == 1
    assert kinds_of(world["lead"]) == [K.ROUND_OPENED]


def test_a_campaign_opened_in_the_past_is_announced_at_once_too(world):
    new_campaign(world["staff"], [world["territory"]], opens_on=days_ago(3))
    assert kinds_of(world["lead"]) == [K.ROUND_OPENED]


def test_an_upcoming_campaign_waits_for_its_opening_then_a_change_opens_it(world):
    campaign_ = new_campaign(world["staff"], [world["territory"]], opens_on=days_ago(-2))
    assert kinds_of(world["lead"]) == []
    update_campaign(campaign_, by=world["staff"], opens_on=timezone.localdate())
    assert kinds_of(world["lead"]) == [K.ROUND_OPENED]


def test_an_account_never_activated_gets_no_campaign_email(world):
    invited = invite_city_lead(
        email="invitee@example.org",
        first_name="Inès",
        last_name="Vitée",
        territories=[world["territory"]],
        invited_by=world["staff"],
    )
    campaign_ = new_campaign(world["staff"], [world["territory"]], opens_on=days_ago(0))
    notifications.remind_late_leads(campaign_)
    notifications.send_due_notifications(campaign_.deadline + datetime.timedelta(days=1))
    assert kinds_of(invited) == []
    assert K.REMINDER_MANUAL in kinds_of(world["lead"])
    # Once activated (a password chosen), the next emails reach the account.
    invited.set_password("un-mot-de-passe-choisi")
    invited.save()
    notifications.remind_late_leads(campaign_, timezone.localdate() + datetime.timedelta(days=1))
    assert kinds_of(invited) == [K.REMINDER_MANUAL]


def test_one_reminder_to_activate_an_invitation(world):
    invited = invite_city_lead(
        email="invitee@example.org",
        first_name="Inès",
        last_name="Vitée",
        territories=[world["territory"]],
    )
    today = timezone.localdate()
    assert notifications.send_invitation_reminders(today + datetime.timedelta(days=5)).total == 0
    later = today + datetime.timedelta(days=7)
    assert notifications.send_invitation_reminders(later).total == 1
    assert notifications.send_invitation_reminders(later).total == 0
    assert notifications.send_due_notifications(later + datetime.timedelta(days=30)).total == 0
    assert kinds_of(invited) == [K.INVITATION_REMINDER]
    assert kinds_of(world["lead"]) == []  # an active lead has no invitation to activate
    run_jobs()
    assert [m.to for m in mail.outbox] == [["invitee@example.org"]] * 2  # invitation, reminder
    message = mail.outbox[1]
    assert message.subject == "Rappel : activez votre compte sur le portail des engagements PERER"
    assert "https://perer.example.org/" in message.body and "Ville-Ouverte" in message.body


# --- Two real workers ------------------------------------------------------------------------

WORKER = ("db_worker", "--queue-name", "*", "--no-reload", "--no-startup-delay", "--batch")

SETUP = """
from commitments.services import notifications
from tests.support.admin import make_user
from tests.support.campaigns import days_ago, lead_of, new_campaign, town
staff = make_user("agglomeration")
leads = []
for name in ("une", "deux"):
    territory, _ = town(f"Ville-{name}", slug=f"ville-{name}")
    leads.append(lead_of(territory, f"lead-{name}"))
campaign_ = new_campaign(staff, [lead.territory_memberships.get().territory for lead in leads])
# Four clicks: four jobs, the same day.
for _ in range(4):
    notifications.request_reminder(campaign_)
result = campaign_.pk
"""

OUTCOME = """
from django_tasks_db.models import DBTaskResult
from commitments.models import Notification
reminders = Notification.objects.filter(kind="reminder_manual")
jobs = DBTaskResult.objects.all()
result = {
    "reminders": sorted(n.user.username for n in reminders),
    "sent": reminders.filter(sent_at__isnull=False).count(),
    "reminder_emails": sum(
        1 for job in jobs
        if job.task_path.endswith("deliver_email")
        and job.args_kwargs["kwargs"]["subject"].startswith("Relance")
    ),
    "states": sorted({job.status for job in jobs}),
}
"""


@pytest.fixture
def worker_database_url(transactional_db, request, tmp_path):
    return database_url_for_processes(request, tmp_path)


def test_four_clicks_and_two_workers_one_email_per_lead(worker_database_url):
    url = worker_database_url
    in_database(url, SETUP)
    workers = [start_manage(url, *WORKER) for _ in range(2)]
    for worker in workers:
        output, _ = worker.communicate(timeout=240)
        assert worker.returncode == 0, output
    outcome = in_database(url, OUTCOME)
    assert outcome == {
        "reminders": ["lead-deux", "lead-une"],
        "sent": 2,
        "reminder_emails": 2,
        "states": ["SUCCESSFUL"],
    }
