"""`python manage.py requeue_lost_jobs` (perer/lib/jobs.py `requeue_lost_jobs`): jobs a dead
worker left running go back to their queue, or fail once out of attempts; recent ones are left
to their worker. (With a real worker killed mid-job: tests/perer/lib/test_jobs.py.)"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.django_db


def running(minutes_ago, attempts):
    return DBTaskResult.objects.create(
        args_kwargs={"args": ["/dev/null"], "kwargs": {}},
        task_path="tests.support.jobs.broken",
        queue_name="default",
        backend_name="default",
        run_after=timezone.now(),
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timezone.timedelta(minutes=minutes_ago),
        worker_ids=[f"w{n}" for n in range(attempts)],
    )


def run(*args):
    out = StringIO()
    call_command("requeue_lost_jobs", *args, stdout=out)
    return out.getvalue()


def test_lost_jobs_are_requeued_or_failed(settings):
    settings.JOBS_LOST_AFTER = 30 * 60
    lost, recent, exhausted = running(45, 1), running(5, 1), running(45, 3)
    assert run() == "1 tâche(s) remise(s) en file, 1 en échec.\n"
    statuses = {
        job.pk: job.status
        for job in DBTaskResult.objects.filter(pk__in=[lost.pk, recent.pk, exhausted.pk])
    }
    assert statuses == {
        lost.pk: TaskResultStatus.READY,
        recent.pk: TaskResultStatus.RUNNING,
        exhausted.pk: TaskResultStatus.FAILED,
    }
    assert run() == "0 tâche(s) remise(s) en file, 0 en échec.\n"


def test_older_than_overrides_the_setting():
    job = running(5, 1)
    assert run("--older-than", "60") == "1 tâche(s) remise(s) en file, 0 en échec.\n"
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY
