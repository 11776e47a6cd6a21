"""Background jobs: Django's Tasks API (the django-tasks backport) on its database backend.

Nothing slow runs in a request: it is declared as a task and enqueued; a worker process
(`manage.py db_worker --queue-name '*'`, several on several machines if need be) runs it.
Queues: "default", "emails" (every email, perer/lib/mail.py), "pdf" (settings.TASKS).

Invariants:
- **Enqueue inside the caller's transaction.** The database backend writes the job as a row
  (django_tasks_db's DBTaskResult) in the same database: enqueued inside `transaction.atomic`,
  the job exists if and only if the caller's writes are committed, and no worker sees it before.
- **Retried, then failed and visible.** A task declared with `retried_task(attempts=n)` that
  raises is put back in its queue — the same row, READY again, to run after a growing delay
  (`backoff` seconds, doubled at each attempt) — until it has been attempted `n` times; then it
  stays FAILED with its last traceback, listed in the admin ("Tâches en arrière-plan", filter
  « Échouée ») where staff can put it back in its queue. An attempt is a worker's claim of the
  row (`len(worker_ids)`, django-tasks' `TaskResult.attempts`). The backend itself has no retry.
- **A lost worker loses no job.** A worker that dies (killed, machine lost) leaves its job
  RUNNING. `requeue_lost_jobs()` (command `requeue_lost_jobs`, on a timer, and at the start of
  `make run`) puts back READY every job RUNNING for more than settings.JOBS_LOST_AFTER seconds
  while it has attempts left (its task's, or DEFAULT_ATTEMPTS), and marks it FAILED otherwise (a
  job that kills its worker does not loop forever). Each change is a conditional UPDATE on the
  row as it was read: two requeuers, or a worker finishing meanwhile, never clash. A job
  therefore runs at least once; one whose worker died in the middle may run again, so tasks are
  written to be safe to rerun (an email's worker dying after the mail server accepted it and
  before the row is marked is the one duplicate this allows).

Queries: one UPDATE per retry; `requeue_lost_jobs` one SELECT plus one UPDATE per lost job.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks.signals import task_finished

logger = logging.getLogger("perer.jobs")

QUEUES = ("default", "emails", "pdf")
# Attempts of a task declared without `retried_task`, when its worker is lost.
DEFAULT_ATTEMPTS = 3
LOST_WORKER_ERROR = "perer.lib.jobs.LostWorker"


class LostWorker(Exception):
    """The worker running the job stopped before finishing it (recorded on the failed job)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    backoff: float  # seconds before the second attempt; doubled for each later one

    def delay(self, attempts_done):
        return datetime.timedelta(seconds=self.backoff * 2 ** max(attempts_done - 1, 0))


# Task module path -> its policy (filled when the task's module is imported, which a worker
# does before running it).
_POLICIES: dict[str, RetryPolicy] = {}


def retried_task(*, attempts=4, backoff=60, **task_options):
    """`django_tasks.task(**task_options)` whose failures are retried: at most `attempts` runs
    in all, the second `backoff` seconds after the first failure, then twice as long each time."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")

    def decorate(function):
        declared = task(**task_options)(function)
        _POLICIES[declared.module_path] = RetryPolicy(attempts, backoff)
        return declared

    return decorate


def policy_for(task_path):
    return _POLICIES.get(task_path)


def _attempts_allowed(db_result):
    """The attempts a job may have: its task's policy (importing the task registers it)."""
    if db_result.task_path not in _POLICIES:
        try:
            db_result.task  # noqa: B018 (imports the task's module)
        except Exception:  # noqa: BLE001 (a task that cannot be imported cannot run)
            return 1
    policy = _POLICIES.get(db_result.task_path)
    return policy.attempts if policy else DEFAULT_ATTEMPTS


def _db_results():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects


@receiver(task_finished, dispatch_uid="perer_jobs_retry")
def retry_failed_job(sender, task_result, **kwargs):
    """A failed job with attempts left goes back to its queue, to run after its delay."""
    db_result = getattr(task_result, "db_result", None)  # only the database backend
    if db_result is None or task_result.status != TaskResultStatus.FAILED:
        return
    policy = _POLICIES.get(task_result.task.module_path)
    done = task_result.attempts
    if policy is None or done >= policy.attempts:
        logger.error(
            "Tâche %s (%s) en échec après %d tentative(s)",
            task_result.id,
            task_result.task.module_path,
            done,
        )
        return
    _db_results().filter(pk=db_result.pk, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY,
        run_after=timezone.now() + policy.delay(done),
        finished_at=None,
    )
    logger.warning(
        "Tâche %s (%s) en échec (tentative %d sur %d) : relancée",
        task_result.id,
        task_result.task.module_path,
        done,
        policy.attempts,
    )


def requeue_lost_jobs(older_than=None, now=None):
    """Put back READY the jobs RUNNING for more than `older_than` seconds (default
    settings.JOBS_LOST_AFTER) that have attempts left; mark the others FAILED. Returns
    (requeued, failed) counts."""
    now = now or timezone.now()
    older_than = settings.JOBS_LOST_AFTER if older_than is None else older_than
    cutoff = now - datetime.timedelta(seconds=older_than)
    requeued = failed = 0
    lost = _db_results().filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    for job in lost.only("pk", "task_path", "worker_ids", "started_at", "queue_name"):
        same_row = _db_results().filter(
            pk=job.pk, status=TaskResultStatus.RUNNING, started_at=job.started_at
        )
        if len(job.worker_ids) < _attempts_allowed(job):
            if same_row.update(status=TaskResultStatus.READY, run_after=now):
                requeued += 1
                logger.warning(
                    "Tâche %s sans processus depuis %s : remise en file", job.pk, job.started_at
                )
        elif same_row.update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=LOST_WORKER_ERROR,
            traceback=(
                f"{LOST_WORKER_ERROR}: le processus qui exécutait cette tâche s'est arrêté "
                f"sans la terminer ({len(job.worker_ids)} tentative(s))."
            ),
        ):
            failed += 1
            logger.error("Tâche %s sans processus depuis %s : en échec", job.pk, job.started_at)
    return requeued, failed


def requeue_failed(jobs):
    """Put the FAILED jobs among `jobs` (a DBTaskResult queryset) back in their queue, to run
    now, with a fresh count of attempts (staff's "relancer" in the admin). Returns the count."""
    with transaction.atomic():
        return jobs.filter(status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY,
            run_after=timezone.now(),
            finished_at=None,
            worker_ids=[],
        )
