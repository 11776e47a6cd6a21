"""Background jobs in tests (perer/lib/jobs.py).

- `run_jobs()`: runs the queued jobs in this process with django-tasks-db's own worker code
  (claim, then `Worker.run_task`, which records the outcome and sends the signals the retries
  hang on), until no job is ready. Tests that need an email sent call it after the request.
- `manage()` / `in_database()`: a real `manage.py` / Python process against the database URL
  of `worker_database_url` (tests/perer/lib/test_jobs.py), for the tests of real worker processes.
- Tasks for those tests, importable by a worker process (module level, JSON arguments); each
  run appends a line to a file, so that a test counts the runs of every process.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from django_tasks import task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from perer.lib.jobs import retried_task

ROOT = Path(__file__).resolve().parent.parent.parent


def run_jobs(limit=200):
    """Run every ready job (retries ready now included); return how many runs there were."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    runs = 0
    while runs < limit:
        job = DBTaskResult.objects.ready().first()
        if job is None:
            return runs
        job.claim(worker.worker_id)
        worker.run_task(job)
        runs += 1
    raise AssertionError(f"more than {limit} job runs: a job is retried forever")


def _note(path, text):
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{text} {os.getpid()}\n")


def runs_of(path):
    """The lines `_note` wrote: "<text> <pid>" per run."""
    path = Path(path)
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@task()
def note(path, text):
    _note(path, text)
    return text


@retried_task(attempts=3, backoff=0)
def flaky(path, failures):
    """Fails its first `failures` runs, then succeeds."""
    _note(path, "flaky")
    if len([line for line in runs_of(path) if line.startswith("flaky")]) <= failures:
        raise RuntimeError("panne simulée")
    return "ok"


@retried_task(attempts=3, backoff=0)
def broken(path):
    _note(path, "broken")
    raise RuntimeError("panne définitive simulée")


@retried_task(attempts=3, backoff=0)
def slow_once(path, seconds):
    """Its first run sleeps `seconds` (long enough to kill its worker meanwhile)."""
    first = not any(line.startswith("slow") for line in runs_of(path))
    _note(path, "slow")
    if first:
        time.sleep(seconds)
    return "ok"


# --- Real processes ---------------------------------------------------------------------------


def database_url_for_processes(request, tmp_path):
    """A database that other processes share with a test: on PostgreSQL the test database
    itself (its data committed: the calling fixture must depend on `transactional_db` — by
    name, so that pytest-django runs the test after the others and their seed is not flushed
    under them), on SQLite a file database migrated for the test (the test database lives in
    this process's memory)."""
    from urllib.parse import quote

    from django.db import connection

    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
        return (
            f"postgres://{quote(settings['USER'])}{password}@{settings['HOST'] or 'localhost'}"
            f":{settings['PORT'] or 5432}/{settings['NAME']}"
        )
    # Migrated once per test session, copied for each test.
    template = request.getfixturevalue("tmp_path_factory").getbasetemp() / "migrated.sqlite3"
    if not template.exists():
        migrated = manage(f"sqlite:///{template}", "migrate", "--noinput", "-v0")
        assert migrated.returncode == 0, migrated.stderr
    database = tmp_path / "processes.sqlite3"
    shutil.copyfile(template, database)
    return f"sqlite:///{database}"


def _env(database_url):
    env = dict(os.environ, DATABASE_URL=database_url, DEBUG="1")
    env.pop("TEST_DATABASE_NAME", None)
    return env


def manage(database_url, *args, timeout=120):
    """`python manage.py *args` in a new process against `database_url`; its completed run."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_manage(database_url, *args):
    """`python manage.py *args` started in the background; the Popen."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def in_database(database_url, code):
    """Run `code` (Python, Django set up; it assigns `result`) in a new process against
    `database_url`; return `result` read back as JSON."""
    script = (
        "import django, json\n"
        "django.setup()\n"
        "result = None\n"
        f"{code}\n"
        "print('RESULT=' + json.dumps(result, default=str))\n"
    )
    env = _env(database_url)
    env["DJANGO_SETTINGS_MODULE"] = "perer.settings"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    line = [line for line in done.stdout.splitlines() if line.startswith("RESULT=")][-1]
    return json.loads(line.removeprefix("RESULT="))
