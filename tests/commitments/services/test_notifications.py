"""Notifications of campaigns and the weekly digest (commitments/services/notifications.py):
what is due on which day and to whom, preferences, content (French text and HTML, links), each
email exactly once across reruns, and the Notification log marked by the email's job."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from commitments.enums import NotificationKind, Status
from commitments.models import Notification, ProgressUpdate
from commitments.services import notifications
from commitments.services.campaign_lifecycle import close_campaign, open_campaign
from territories.accounts import save_preferences
from tests.support.admin import make_user
from tests.support.campaigns import lead_of, town
from tests.support.jobs import run_jobs
from tests.support.progress import report

pytestmark = pytest.mark.django_db

OPENS, DEADLINE = datetime.date(2026, 4, 1), datetime.date(2026, 4, 30)
IN_PERIOD = datetime.date(2026, 2, 15)
K = NotificationKind


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://perer.example.org"


@pytest.fixture
def world():
    """Two towns with a lead each, a third town outside the campaign, staff, and a campaign on the
    two towns (period January–March 2026, open on 1 April, due on 30 April)."""
    ours, our_leaves = town("Ville-Haute")
    theirs, their_leaves = town("Ville-Basse")
    outside, _ = town("Ville-Hors")
    staff = make_user("agglomeration")
    campaign_ = open_campaign(
        by=staff,
        territories=[ours, theirs],
        title="Campagne <2026>",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        opens_on=OPENS,
        deadline=DEADLINE,
    )
    return {
        "campaign": campaign_,
        "staff": staff,
        "our_lead": lead_of(ours, "lead-haute"),
        "their_lead": lead_of(theirs, "lead-basse"),
        "outside_lead": lead_of(outside, "lead-hors"),
        "our_leaves": our_leaves,
        "their_leaves": their_leaves,
    }


def sent_kinds():
    return sorted((n.user.username, n.kind) for n in Notification.objects.select_related("user"))


def run(day):
    return notifications.send_campaign_notifications(day)


@pytest.mark.parametrize(
    ("day", "kinds"),
    [
        (OPENS - datetime.timedelta(days=1), []),
        (OPENS, [K.ROUND_OPENED]),
        (DEADLINE - datetime.timedelta(days=8), [K.ROUND_OPENED]),
        (DEADLINE - datetime.timedelta(days=7), [K.ROUND_OPENED, K.REMINDER_7_DAYS]),
        (DEADLINE - datetime.timedelta(days=2), [K.ROUND_OPENED, K.REMINDER_7_DAYS]),
        (DEADLINE - datetime.timedelta(days=1), [K.ROUND_OPENED, K.REMINDER_1_DAY]),
        (DEADLINE, [K.ROUND_OPENED, K.REMINDER_1_DAY]),
        (DEADLINE + datetime.timedelta(days=1), [K.REMINDER_OVERDUE]),
        (DEADLINE + datetime.timedelta(days=40), [K.REMINDER_OVERDUE]),
    ],
)
def test_what_is_due_each_day(world, day, kinds):
    assert notifications.due_kinds(world["campaign"], day) == kinds


def test_a_short_campaign_has_no_seven_day_reminder(world):
    campaign_ = world["campaign"]
    campaign_.opens_on = DEADLINE - datetime.timedelta(days=4)
    assert notifications.due_kinds(campaign_, campaign_.opens_on) == [K.ROUND_OPENED]


def test_opening_goes_to_the_leads_concerned_once(world):
    assert run(OPENS - datetime.timedelta(days=1)).total == 0
    summary = run(OPENS)
    assert summary.sent == {K.ROUND_OPENED: 2}
    assert sent_kinds() == [("lead-basse", K.ROUND_OPENED), ("lead-haute", K.ROUND_OPENED)]
    again = run(OPENS)
    assert (again.total, again.already_done) == (0, 2)
    assert run(OPENS + datetime.timedelta(days=1)).total == 0
    assert DBTaskResult.objects.filter(queue_name="emails").count() == 2


def test_the_opening_email(world):
    report(world["our_leaves"][0], IN_PERIOD, Status.IN_PROGRESS, 40)
    run(OPENS)
    run_jobs()
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {"lead-haute@example.org", "lead-basse@example.org"}
    message = by_recipient["lead-haute@example.org"]
    assert (
        message.subject
        == "Campagne de suivi « Campagne <2026> » : à renseigner avant le 30 avril 2026"
    )
    assert (
        "L'agglomération Grand Paris Sud ouvre la campagne de suivi « Campagne <2026> »"
        in message.body
    )
    assert "de Ville-Haute avant le jeudi 30 avril 2026" in message.body
    assert "2 engagements sur 3 restent à renseigner." in message.body
    assert "https://perer.example.org/suivi/" in message.body
    html = message.alternatives[0].content
    assert "« Campagne &lt;2026&gt; »" in html and "Ouvrir l&#x27;espace de suivi" not in html
    assert "Ouvrir l'espace de suivi" in html
    notification = Notification.objects.get(user=world["our_lead"])
    assert notification.sent_at is not None and notification.error == ""
    assert notification.campaign == world["campaign"]


def test_reminders_only_to_leads_with_something_missing(world):
    for leaf in world["their_leaves"]:  # Ville-Basse has reported everything
        report(leaf, IN_PERIOD, Status.DONE, 100)
    day = DEADLINE - datetime.timedelta(days=7)
    summary = run(day)
    assert summary.sent == {K.ROUND_OPENED: 2, K.REMINDER_7_DAYS: 1}
    assert ("lead-haute", K.REMINDER_7_DAYS) in sent_kinds()
    assert ("lead-basse", K.REMINDER_7_DAYS) not in sent_kinds()
    run_jobs()
    (reminder,) = [m for m in mail.outbox if m.subject.startswith("Échéance")]
    assert reminder.to == ["lead-haute@example.org"]
    assert reminder.subject == (
        "Échéance dans 7 jours — campagne de suivi « Campagne <2026> » : 3 engagements à renseigner"
    )
    assert (
        "se termine dans 7 jours, le jeudi 30 avril 2026 : 3 engagements sur 3 de Ville-Haute "
        "restent à renseigner." in reminder.body
    )


def test_an_update_dated_before_the_period_does_not_count(world):
    for leaf in world["our_leaves"]:
        report(leaf, datetime.date(2025, 12, 31), Status.DONE, 100)
    run(DEADLINE - datetime.timedelta(days=1))
    assert ("lead-haute", K.REMINDER_1_DAY) in sent_kinds()


def test_each_reminder_once_over_the_whole_campaign(world):
    day, sent = OPENS, []
    while day <= DEADLINE + datetime.timedelta(days=5):
        summary = run(day)
        sent += [(day, kind, count) for kind, count in summary.sent.items()]
        day += datetime.timedelta(days=1)
    assert sent == [
        (OPENS, K.ROUND_OPENED, 2),
        (DEADLINE - datetime.timedelta(days=7), K.REMINDER_7_DAYS, 2),
        (DEADLINE - datetime.timedelta(days=1), K.REMINDER_1_DAY, 2),
        (DEADLINE + datetime.timedelta(days=1), K.REMINDER_OVERDUE, 2),
    ]
    assert (
        Notification.objects.count()
        == 8
        == DBTaskResult.objects.filter(queue_name="emails").count()
    )


def test_a_missed_tick_is_made_up_the_next_day(world):
    run(OPENS)
    assert run(DEADLINE - datetime.timedelta(days=5)).sent == {K.REMINDER_7_DAYS: 2}


def test_a_closed_campaign_sends_nothing(world):
    close_campaign(world["campaign"], world["staff"])
    assert run(DEADLINE + datetime.timedelta(days=1)).total == 0


def test_preferences_turn_reminders_off(world):
    save_preferences(world["our_lead"], reminders=False, weekly_digest=True)
    run(DEADLINE - datetime.timedelta(days=7))
    assert [username for username, _ in sent_kinds()] == ["lead-basse", "lead-basse"]


def test_inactive_leads_and_leads_without_email_get_nothing(world):
    world["our_lead"].is_active = False
    world["our_lead"].save()
    world["their_lead"].email = ""
    world["their_lead"].save()
    assert run(OPENS).total == 0


def test_constant_queries(world, django_assert_max_num_queries):
    day = DEADLINE - datetime.timedelta(days=7)
    run(day)  # the emails are sent: what is left is reading
    with django_assert_max_num_queries(12):
        run(day)
    for n in range(6):  # more leads and towns
        extra, _ = town(f"Autre {n}", size=3)
        lead_of(extra, f"autre-{n}")
        world["campaign"].territories.add(extra)
    Notification.objects.all().delete()
    run(day)
    with django_assert_max_num_queries(12):
        run(day)


# --- The weekly digest ------------------------------------------------------------------------

MONDAY = datetime.date(2026, 11, 30)  # the digest of 23–29 November 2026


def recorded_on(update, day):
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
    ProgressUpdate.objects.filter(pk=update.pk).update(created_at=moment)


def test_the_weekly_digest(world):
    superuser = make_user("superuser")
    last_week = report(
        world["our_leaves"][0], IN_PERIOD, Status.IN_PROGRESS, 40, comment="Réunion <tenue>"
    )
    recorded_on(last_week, datetime.date(2026, 11, 25))
    older = report(world["our_leaves"][1], IN_PERIOD, Status.DONE, 100)
    recorded_on(older, datetime.date(2026, 11, 22))  # the week before
    summary = notifications.send_weekly_digest(MONDAY + datetime.timedelta(days=2))
    assert summary.sent == {K.WEEKLY_DIGEST: 2}
    assert set(Notification.objects.values_list("key", flat=True)) == {
        f"weekly_digest:2026-W48:user={world['staff'].pk}",
        f"weekly_digest:2026-W48:user={superuser.pk}",
    }
    assert notifications.send_weekly_digest(MONDAY + datetime.timedelta(days=6)).total == 0
    run_jobs()
    message = mail.outbox[0]
    assert (
        message.subject
        == "Suivi des engagements : 1 point d'avancement du 23 novembre au 29 novembre 2026"
    )
    assert (
        "1 point d'avancement a été enregistré du lundi 23 novembre au dimanche 29 novembre "
        "2026 (Ville-Haute)" in message.body
    )
    assert "En cours, 40 %" in message.body and "« Réunion <tenue> »" in message.body
    assert "Réunion &lt;tenue&gt;" in message.alternatives[0].content


def test_no_digest_without_updates_or_for_those_who_turned_it_off(world):
    assert notifications.send_weekly_digest(MONDAY).total == 0
    update = report(world["our_leaves"][0], IN_PERIOD, Status.IN_PROGRESS, 40)
    recorded_on(update, datetime.date(2026, 11, 24))
    save_preferences(world["staff"], reminders=True, weekly_digest=False)
    assert notifications.send_weekly_digest(MONDAY).total == 0
    # Leads never get the digest.
    assert not Notification.objects.filter(kind=K.WEEKLY_DIGEST).exists()


def test_a_failed_send_is_recorded_on_the_notification(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: refused
    run(OPENS)
    run_jobs()
    notification = Notification.objects.filter(user=world["our_lead"]).get()
    assert notification.sent_at is None
    assert "Error" in notification.error
