"""SQLite configured for several people saving at once (perer/settings.py): a transaction that
reads then writes while another one writes waits for it instead of failing with « database is
locked » (the 500 seen in development). Two threads on a file database with the settings'
options; the control, SQLite's default deferred transactions, shows the failure the options
prevent."""

import threading
import time
import uuid

import pytest
from django.conf import settings
from django.db import OperationalError, connections, transaction

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="SQLite only: PostgreSQL has row locks",
)


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """An alias on a file database with the project's SQLite options, and its cleanup. The
    test database is not used: access is unblocked for these files only."""
    aliases = []
    django_db_blocker.unblock()

    def make(**options):
        alias = f"concurrency_{uuid.uuid4().hex}"
        config = {**connections["default"].settings_dict, "NAME": str(tmp_path / f"{alias}.db")}
        config["OPTIONS"] = {**settings.DATABASES["default"]["OPTIONS"], **options}
        connections.settings[alias] = config
        aliases.append(alias)
        with connections[alias].cursor() as cursor:
            cursor.execute("CREATE TABLE counter (n INTEGER)")
            cursor.execute("INSERT INTO counter VALUES (0)")
        connections[alias].close()
        return alias

    yield make
    for alias in aliases:
        connections[alias].close()
        del connections[alias]
        connections.settings.pop(alias, None)
    django_db_blocker.restore()


def _two_savers(alias):
    """Two threads each read the counter then write it; the first holds its transaction a
    moment. Returns the errors and the final counter."""
    errors = []
    inside = threading.Event()

    def save(hold):
        try:
            with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                cursor.execute("SELECT n FROM counter")
                (n,) = cursor.fetchone()
                if hold:
                    inside.set()
                    time.sleep(0.5)
                cursor.execute("UPDATE counter SET n = %s", [n + 1])
        except OperationalError as error:
            errors.append(str(error))
        finally:
            inside.set()
            connections[alias].close()

    first = threading.Thread(target=save, args=(True,))
    first.start()
    inside.wait(5)
    second = threading.Thread(target=save, args=(False,))
    second.start()
    first.join(10)
    second.join(10)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        (final,) = cursor.fetchone()
    connections[alias].close()
    return errors, final


def test_project_options():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]


def test_concurrent_saves_wait_for_each_other(file_database):
    alias = file_database()
    errors, final = _two_savers(alias)
    assert errors == []
    assert final == 2  # neither save was lost
    with connections[alias].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    connections[alias].close()


def test_control_deferred_transactions_fail(file_database):
    alias = file_database(transaction_mode="DEFERRED", timeout=0.1)
    errors, final = _two_savers(alias)
    assert errors and "locked" in errors[0]
