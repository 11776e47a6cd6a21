# The two commands of a fresh machine: `make run` and `make test`. What they need is set up by
# .ci/setup: the Python environment for both; Debian packages, axe-core, PostgreSQL and Redis
# for the tests (.ci/run calls `make test`, so CI goes through the same set-up).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pytest-xdist workers (0: a single process). Each worker has its own test database.
PYTEST_WORKERS ?= 2
export PYTHON

.PHONY: install run test quality typecheck format clean

install:
	.ci/setup python

# The server and, beside it, one worker of the background jobs (every queue) and the daily tick
# (`send_reminders`, idempotent: run at start, then every hour, as the systemd timer does in
# production); both stop with the server. Jobs left running by a previous worker are put back
# in their queue first.
TICK_SECONDS ?= 3600
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_protocols
	$(BIN)/python manage.py requeue_lost_jobs --older-than 0
	$(BIN)/python manage.py db_worker --queue-name '*' --no-reload & worker=$$!; \
	while true; do $(BIN)/python manage.py send_reminders; sleep $(TICK_SECONDS); done & tick=$$!; \
	trap 'kill $$worker $$tick 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# -rs: the reason of every skipped test in the summary (on SQLite, the PostgreSQL-only ones).
test:
	.ci/setup
	$(BIN)/pytest -n $(PYTEST_WORKERS) -rs $(PYTEST_ARGS)

quality: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/djlint templates --lint
	$(MAKE) typecheck

# mypy with django-stubs on the domain and service layers (scope: [tool.mypy] in pyproject.toml).
typecheck: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 node_modules
