"""Background jobs (perer/lib/jobs.py): real worker processes consuming the database queue,
on SQLite (a file database made for the test) and PostgreSQL (the test database), retries, lost
workers, and the jobs' admin for staff.

The real-process tests share nothing with this process but the database: jobs are enqueued
and read back by other processes (tests/support/jobs.py `in_database`).
"""

import os
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from perer.lib.jobs import LOST_WORKER_ERROR, requeue_failed, requeue_lost_jobs, retried_task
from tests.support.admin import client_for, make_user
from tests.support.jobs import (
    broken,
    database_url_for_processes,
    flaky,
    in_database,
    manage,
    run_jobs,
    runs_of,
    start_manage,
)

WORKER = ("db_worker", "--queue-name", "*", "--no-reload", "--no-startup-delay")
STATES = (
    "from django_tasks_db.models import DBTaskResult\n"
    "result = {str(j.pk): [j.status, len(j.worker_ids), j.exception_class_path]"
    " for j in DBTaskResult.objects.all()}"
)


@pytest.fixture
def worker_database_url(transactional_db, request, tmp_path):
    return database_url_for_processes(request, tmp_path)


def _enqueue(url, expression):
    return in_database(url, f"from tests.support import jobs\nresult = {expression}")


class TestRealWorkers:
    def test_a_worker_process_runs_jobs_retries_them_then_leaves_them_failed(
        self, worker_database_url, tmp_path
    ):
        url, log = worker_database_url, str(tmp_path / "runs.txt")
        ok, recovered, failing = _enqueue(
            url,
            f"[jobs.note.enqueue({log!r}, 'bonjour').id, jobs.flaky.enqueue({log!r}, 2).id,"
            f" jobs.broken.enqueue({log!r}).id]",
        )
        # Nothing runs without a worker.
        assert in_database(url, STATES)[ok][0] == "READY"
        assert runs_of(log) == []

        done = manage(url, *WORKER, "--batch")
        assert done.returncode == 0, done.stdout + done.stderr

        states = in_database(url, STATES)
        assert states[ok] == ["SUCCESSFUL", 1, ""]
        assert states[recovered] == ["SUCCESSFUL", 3, ""]  # failed twice, then succeeded
        assert states[failing] == ["FAILED", 3, "builtins.RuntimeError"]  # 3 attempts, kept
        runs = runs_of(log)
        assert (
            sorted(line.split()[0] for line in runs) == ["bonjour"] + ["broken"] * 3 + ["flaky"] * 3
        )
        pids = {line.split()[1] for line in runs}
        assert len(pids) == 1 and pids != {str(os.getpid())}

    def test_two_workers_share_the_queue_and_run_each_job_once(self, worker_database_url, tmp_path):
        url, log = worker_database_url, str(tmp_path / "runs.txt")
        ids = _enqueue(url, f"[jobs.note.enqueue({log!r}, f'job-{{n}}').id for n in range(20)]")
        workers = [start_manage(url, *WORKER, "--batch") for _ in range(2)]
        for worker in workers:
            output, _ = worker.communicate(timeout=180)
            assert worker.returncode == 0, output
        texts = sorted(line.split()[0] for line in runs_of(log))
        assert texts == sorted(f"job-{n}" for n in range(20))
        states = in_database(url, STATES)
        assert [states[job] for job in ids] == [["SUCCESSFUL", 1, ""]] * 20

    def test_a_lost_worker_loses_no_job(self, worker_database_url, tmp_path):
        url, log = worker_database_url, str(tmp_path / "runs.txt")
        (job,) = _enqueue(url, f"[jobs.slow_once.enqueue({log!r}, 300).id]")
        worker = start_manage(url, *WORKER, "--interval", "0.1")
        try:
            for _ in range(600):  # up to a minute for the worker to start the job
                if runs_of(log):
                    break
                time.sleep(0.1)
            assert runs_of(log), "the worker never started the job"
        finally:
            worker.kill()  # SIGKILL: the worker dies in the middle of the job
            worker.wait()
        assert in_database(url, STATES)[job][0] == "RUNNING"

        requeued = manage(url, "requeue_lost_jobs", "--older-than", "0")
        assert requeued.returncode == 0, requeued.stderr
        assert "1 tâche(s) remise(s) en file, 0 en échec." in requeued.stdout
        assert in_database(url, STATES)[job] == ["READY", 1, ""]

        done = manage(url, *WORKER, "--batch")
        assert done.returncode == 0, done.stdout + done.stderr
        assert in_database(url, STATES)[job] == ["SUCCESSFUL", 2, ""]
        assert len(runs_of(log)) == 2


# --- The rules, in this process ---------------------------------------------------------------


def _running_job(attempts, started_minutes_ago, task_path="tests.support.jobs.broken"):
    return DBTaskResult.objects.create(
        args_kwargs={"args": ["/dev/null"], "kwargs": {}},
        task_path=task_path,
        queue_name="default",
        backend_name="default",
        run_after=timezone.now(),
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timezone.timedelta(minutes=started_minutes_ago),
        worker_ids=[f"w{n}" for n in range(attempts)],
    )


@pytest.mark.django_db
class TestRules:
    def test_a_failure_waits_for_its_delay_before_the_next_attempt(self, tmp_path):
        job = slow_retry.enqueue(str(tmp_path / "x"))
        assert run_jobs() == 1
        row = DBTaskResult.objects.get(pk=job.id)
        assert row.status == TaskResultStatus.READY
        assert row.run_after > row.started_at  # not ready yet: 60 s after the failure
        assert not DBTaskResult.objects.ready().filter(pk=job.id).exists()
        assert row.traceback  # the last error stays visible while it waits

    def test_a_task_without_retries_fails_at_once(self, tmp_path):
        job = not_retried.enqueue()
        run_jobs()
        row = DBTaskResult.objects.get(pk=job.id)
        assert (row.status, len(row.worker_ids)) == (TaskResultStatus.FAILED, 1)

    def test_retries_then_failed(self, tmp_path):
        job = broken.enqueue(str(tmp_path / "log"))
        assert run_jobs() == 3
        row = DBTaskResult.objects.get(pk=job.id)
        assert (row.status, len(row.worker_ids)) == (TaskResultStatus.FAILED, 3)
        assert "panne définitive simulée" in row.traceback

    def test_success_after_failures(self, tmp_path):
        job = flaky.enqueue(str(tmp_path / "log"), 1)
        assert run_jobs() == 2
        assert DBTaskResult.objects.get(pk=job.id).status == TaskResultStatus.SUCCESSFUL

    def test_lost_jobs_go_back_to_their_queue_while_they_have_attempts_left(self):
        lost = _running_job(attempts=1, started_minutes_ago=45)
        recent = _running_job(attempts=1, started_minutes_ago=5)
        exhausted = _running_job(attempts=3, started_minutes_ago=45)
        assert requeue_lost_jobs(older_than=30 * 60) == (1, 1)
        lost.refresh_from_db(), recent.refresh_from_db(), exhausted.refresh_from_db()
        assert lost.status == TaskResultStatus.READY
        assert recent.status == TaskResultStatus.RUNNING  # its worker may still be at it
        assert exhausted.status == TaskResultStatus.FAILED
        assert exhausted.exception_class_path == LOST_WORKER_ERROR
        assert "s'est arrêté" in exhausted.traceback
        assert requeue_lost_jobs(older_than=30 * 60) == (0, 0)  # a second run changes nothing

    def test_a_lost_job_of_an_unknown_task_fails(self):
        job = _running_job(attempts=1, started_minutes_ago=45, task_path="nowhere.task")
        assert requeue_lost_jobs(older_than=60) == (0, 1)
        job.refresh_from_db()
        assert job.status == TaskResultStatus.FAILED

    def test_staff_put_failed_jobs_back(self, tmp_path):
        job = broken.enqueue(str(tmp_path / "log"))
        run_jobs()
        assert requeue_failed(DBTaskResult.objects.all()) == 1
        row = DBTaskResult.objects.get(pk=job.id)
        assert (row.status, row.worker_ids) == (TaskResultStatus.READY, [])
        assert run_jobs() == 3  # three fresh attempts


@retried_task(attempts=2, backoff=60)
def slow_retry(path):
    raise RuntimeError("panne")


@retried_task(attempts=1)
def not_retried():
    raise RuntimeError("panne")


# --- The admin --------------------------------------------------------------------------------


@pytest.mark.django_db
class TestJobsAdmin:
    @pytest.fixture
    def failed_job(self, tmp_path):
        job = broken.enqueue(str(tmp_path / "log"))
        run_jobs()
        return DBTaskResult.objects.get(pk=job.id)

    @pytest.mark.parametrize(
        ("role", "expected"),
        [("anonymous", 302), ("grigny_lead", 403), ("agglomeration", 200), ("superuser", 200)],
    )
    def test_who_sees_the_jobs(self, role, expected, failed_job, fast_password_hasher):
        client = client_for(make_user(role))
        url = reverse("admin:django_tasks_database_dbtaskresult_changelist")
        response = client.get(url, {"etat": "FAILED"})
        assert response.status_code == expected
        detail = client.get(
            reverse("admin:django_tasks_database_dbtaskresult_change", args=[failed_job.pk])
        )
        assert detail.status_code == expected
        if expected == 200:
            page = response.content.decode()
            assert "broken" in page and "échouée" in page and "RuntimeError" in page
            assert "Tâches en arrière-plan" in client.get(reverse("admin:index")).content.decode()
            assert "panne définitive simulée" in detail.content.decode()

    def test_staff_requeue_a_failed_job_from_the_list(self, failed_job, agglo_client):
        url = reverse("admin:django_tasks_database_dbtaskresult_changelist")
        response = agglo_client.post(
            url, {"action": "requeue", "_selected_action": [str(failed_job.pk)]}, follow=True
        )
        assert "1 tâche(s) remise(s) en file." in response.content.decode()
        failed_job.refresh_from_db()
        assert failed_job.status == TaskResultStatus.READY

    @pytest.mark.parametrize("jobs", [1, 30])
    def test_constant_queries(self, jobs, agglo_client, tmp_path, django_assert_max_num_queries):
        for _ in range(jobs):
            broken.enqueue(str(tmp_path / "log"))
        url = reverse("admin:django_tasks_database_dbtaskresult_changelist")
        with django_assert_max_num_queries(12):
            assert agglo_client.get(url).status_code == 200

    def test_an_emails_link_is_never_shown(self, agglo_client, superuser_client):
        from perer.lib.mail import send_email

        job = send_email(
            "password_reset",
            ["chef@example.org"],
            {
                "user": {"first_name": "Léa"},
                "reset_url": "https://x/jeton-secret/",
                "valid_days": 3,
            },
        )
        url = reverse("admin:django_tasks_database_dbtaskresult_change", args=[job.id])
        for client in (agglo_client, superuser_client):
            page = client.get(url).content.decode()
            assert "chef@example.org" in page and "Choisir un nouveau mot de passe" in page
            assert "jeton-secret" not in page

    def test_nobody_edits_or_deletes_a_job(self, failed_job, superuser_client):
        change = reverse("admin:django_tasks_database_dbtaskresult_change", args=[failed_job.pk])
        assert superuser_client.post(change, {"status": "SUCCESSFUL"}).status_code == 403
        delete = reverse("admin:django_tasks_database_dbtaskresult_delete", args=[failed_job.pk])
        assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
