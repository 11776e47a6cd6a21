import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds the seven seeded protocols, as a fresh `make run` does.

    Each test runs in a transaction rolled back at its end, so the seed data is shared.
    Transactional tests (live server, browser) flush the database: they reseed with `seeded`.
    """
    with django_db_blocker.unblock():
        call_command("seed_protocols", verbosity=0)


@pytest.fixture
def seeded(transactional_db):
    """Seed data for tests that run outside a rolled-back transaction."""
    call_command("seed_protocols", verbosity=0)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (pages, PDFs, throttling counters)."""
    from django.core.cache import cache

    cache.clear()
