"""`python manage.py send_reminders` (the daily tick): idempotent — run twice the same day, and
run by two processes at once (real `manage.py` processes on a shared database: SQLite file or
PostgreSQL), each email is queued exactly once."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from commitments.models import Notification
from commitments.services.campaign_lifecycle import open_campaign
from tests.support.admin import make_user
from tests.support.campaigns import lead_of, town
from tests.support.jobs import database_url_for_processes, in_database, start_manage

SETUP = """
import datetime
from commitments.services.campaign_lifecycle import open_campaign
from tests.support.admin import make_user
from tests.support.campaigns import lead_of, town
ours, _ = town("Ville-Haute")
theirs, _ = town("Ville-Basse")
lead_of(ours, "lead-haute")
lead_of(theirs, "lead-basse")
campaign_ = open_campaign(
    by=make_user("agglomeration"), territories=[ours, theirs], title="Campagne 2026",
    period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 3, 31),
    opens_on=datetime.date(2026, 4, 1), deadline=datetime.date(2026, 4, 30),
)
result = campaign_.pk
"""
LOG = """
from commitments.models import Notification
from django_tasks_db.models import DBTaskResult
result = {
    "keys": sorted(Notification.objects.values_list("key", flat=True)),
    "emails": DBTaskResult.objects.filter(queue_name="emails").count(),
}
"""
DAY = "2026-04-23"  # 7 days before the deadline: the opening and the 7-day reminder are due


def run(**options):
    out = StringIO()
    call_command("send_reminders", stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_a_second_run_the_same_day_sends_nothing():
    ours, _ = town("Ville-Haute")
    lead_of(ours, "lead-haute")
    open_campaign(
        by=make_user("agglomeration"),
        territories=[ours],
        title="Campagne 2026",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        opens_on=datetime.date(2026, 4, 1),
        deadline=datetime.date(2026, 4, 30),
    )
    assert run(date=DAY) == (
        "2 courriel(s) mis en file (Ouverture d'une campagne : 1, Rappel à 7 jours de "
        "l'échéance : 1) ; 0 déjà envoyé(s) auparavant.\n"
    )
    assert run(date=DAY) == "0 courriel(s) mis en file ; 2 déjà envoyé(s) auparavant.\n"
    assert (
        Notification.objects.count()
        == 2
        == DBTaskResult.objects.filter(queue_name="emails").count()
    )


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["2026-13-01", "demain", ""])
def test_a_bad_date_is_refused_in_french(value):
    with pytest.raises(CommandError, match="AAAA-MM-JJ"):
        run(date=value or "x")


@pytest.fixture
def shared_database_url(transactional_db, request, tmp_path):
    return database_url_for_processes(request, tmp_path)


def test_two_processes_at_once_queue_each_email_once(shared_database_url):
    url = shared_database_url
    campaign_id = in_database(url, SETUP)
    queued = []
    for _ in range(2):  # twice: the second pair finds everything done
        runs = [start_manage(url, "send_reminders", "--date", DAY) for _ in range(2)]
        outputs = []
        for process in runs:
            output, _ = process.communicate(timeout=180)
            assert process.returncode == 0, output
            outputs.append(output)
        log = in_database(url, LOG)
        users = in_database(
            url,
            "from django.contrib.auth import get_user_model\n"
            "result = {u.username: u.pk for u in get_user_model().objects.all()}",
        )
        expected = sorted(
            f"{kind}:round={campaign_id}:user={users[name]}"
            for kind in ("round_opened", "reminder_7_days")
            for name in ("lead-haute", "lead-basse")
        )
        assert log == {"keys": expected, "emails": 4}
        queued.append(sum(int(output.split()[0]) for output in outputs))
    assert queued == [4, 0]  # between them, the first pair queued each email once
