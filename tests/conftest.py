"""The fixtures the whole suite shares (the only conftest.py of tests/).

- The database: the seed, loaded once; `seeded` for the transactional tests. An empty cache
  before and after every test.
- `postgres_only(reason=…)`: skipped on SQLite, with its reason; run on the PostgreSQL pass.
- The admin: fast password hashing, logged-in clients of the roles.
- `browser`: Debian's Chromium through Playwright. A missing Chromium fails, never skips.
- `proconnect`: ProConnect configured against a real OpenID Connect provider running on the
  loopback (tests/support/proconnect.py; one Node process per test module).
- The clock: `PERER_CLOCK_OFFSET_DAYS=400` moves it that many days forward for the whole run
  (before the database is set up), so that the suite is checked on a later day than today; the
  tests that set the clock themselves (`time_machine.travel`) travel from there.
- Data that tests of several modules read: `tree` (roll-ups and dashboards), `action` (the
  commitment page and the dashboards), `territory` (the tracking spreadsheet).
"""

import datetime
import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from commitments.enums import Status
from territories.models import Territory
from tests import factories
from tests.support.admin import client_for, make_user
from tests.support.progress import report, report_days_ago

# --- The clock ----------------------------------------------------------------------------


def pytest_configure(config):
    """`PERER_CLOCK_OFFSET_DAYS=N`: the whole run (each xdist worker too) happens N days from
    now, the clock ticking. Started here, before any fixture, so that the seed is made on that
    day too."""
    offset = os.environ.get("PERER_CLOCK_OFFSET_DAYS", "").strip()
    if not offset:
        return
    import time_machine

    try:
        days = int(offset)
    except ValueError:
        message = f"PERER_CLOCK_OFFSET_DAYS must be a number of days, not {offset!r}"
        raise pytest.UsageError(message) from None
    # A timedelta, not an aware datetime: time-machine would also set TZ to the datetime's zone
    # (UTC), and date.today() would then disagree with Django's localdate() (Europe/Paris)
    # between 23:00 and midnight UTC.
    config._perer_clock = time_machine.travel(datetime.timedelta(days=days), tick=True)
    config._perer_clock.start()


def pytest_unconfigure(config):
    clock = getattr(config, "_perer_clock", None)
    if clock is not None:
        clock.stop()


def pytest_report_header(config):
    if getattr(config, "_perer_clock", None) is not None:
        return f"clock moved to {datetime.date.today()} (PERER_CLOCK_OFFSET_DAYS)"
    return None


# --- The database, the cache ---------------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds the seven seeded protocols, as a fresh `make run` does.

    Each test runs in a transaction rolled back at its end, so the seed data is shared.
    Transactional tests (live server, browser) flush the database: they reseed with `seeded`.
    """
    with django_db_blocker.unblock():
        call_command("seed_protocols", verbosity=0)
        _drop_queued_pdf_renders()


@pytest.fixture
def seeded(transactional_db):
    """Seed data for tests that run outside a rolled-back transaction."""
    call_command("seed_protocols", verbosity=0)
    _drop_queued_pdf_renders()


def _drop_queued_pdf_renders():
    """Seeding queues the PDFs' renders (commitments/tasks.py): tests that run the queued jobs
    (emails) must not render every protocol; tests/commitments/rendering/test_pdf_jobs.py
    queues its own."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(queue_name="pdf").delete()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts and ends with an empty cache (pages, PDFs, throttling counters)."""
    cache.clear()
    yield
    cache.clear()


# The tests that read today's date (pages, dashboards, feeds, campaigns, notifications, the
# tracking rule's dates): marked `date_sensitive`, which .ci/run runs again with the clock moved
# 400 days forward (PERER_CLOCK_OFFSET_DAYS). Paths from the repository's root.
DATE_SENSITIVE = (
    "tests/commitments/views/",
    "tests/commitments/selectors/",
    "tests/commitments/management/",
    "tests/commitments/api/",
    "tests/commitments/models/test_progress.py",
    "tests/commitments/models/test_campaigns.py",
    "tests/commitments/rendering/test_campaign_report.py",
    "tests/commitments/rendering/test_charts.py",
    "tests/commitments/services/test_notifications.py",
    "tests/commitments/services/test_campaign_lifecycle.py",
    "tests/commitments/services/test_progress_rule.py",
    "tests/commitments/services/test_spreadsheet.py",
    "tests/commitments/admin/test_update_admin.py",
    "tests/commitments/admin/test_campaign_admin.py",
    "tests/commitments/models/test_indicators.py",
    "tests/commitments/services/test_indicator_writes.py",
    "tests/commitments/services/test_indicator_seed.py",
    "tests/commitments/admin/test_indicator_admin.py",
    "tests/commitments/services/test_campaign_emails.py",
    "tests/commitments/services/test_backup_portal.py",
    "tests/commitments/rendering/test_protocol_fragments.py",
    "tests/commitments/rendering/test_indicator_chart.py",
)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres_only(reason=…)` need PostgreSQL: on SQLite they are skipped, and
    the summary (`-rs`) says why. The PostgreSQL pass of `make test` runs them. The tests of
    DATE_SENSITIVE get the `date_sensitive` marker."""
    from django.db import connection

    root = Path(str(config.rootpath))
    for item in items:
        if str(Path(str(item.path)).relative_to(root)).startswith(DATE_SENSITIVE):
            item.add_marker(pytest.mark.date_sensitive)
    if connection.vendor == "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("postgres_only")
        if marker is not None:
            reason = marker.kwargs.get("reason", "needs PostgreSQL")
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only: {reason}"))


# --- The admin -----------------------------------------------------------------------------


@pytest.fixture
def fast_password_hasher(settings):
    """MD5 instead of the slow default hasher, for tests that create and log in many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser_client(db, fast_password_hasher):
    return client_for(make_user("superuser", username="superuser-client"))


@pytest.fixture
def agglo(db, fast_password_hasher):
    """A member of the agglomeration staff."""
    return make_user("agglomeration")


@pytest.fixture
def agglo_client(agglo):
    return client_for(agglo)


# --- The browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (tests/browser/chromium.py), shared by the tests
    of a module. Not installed: the test fails and says how to install it."""
    from tests.browser.chromium import CHROMIUM, NOT_INSTALLED, chromium, orm_in_playwright_loop

    if not Path(CHROMIUM).exists():
        pytest.fail(NOT_INSTALLED, pytrace=False)
    with orm_in_playwright_loop(), chromium() as launched:
        yield launched


# --- ProConnect ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oidc_provider():
    """A real OpenID Connect provider (oidc-provider in Node), its client registered for the
    test client's address, shared by the tests of a module."""
    from tests.support.proconnect import TEST_ORIGIN, running_provider

    with running_provider([TEST_ORIGIN]) as provider:
        yield provider


@pytest.fixture
def proconnect(oidc_provider, settings):
    """ProConnect configured against `oidc_provider` for one test, its answers unspoilt."""
    oidc_provider.reset()
    settings.PROCONNECT = oidc_provider.settings()
    return oidc_provider


# --- Data shared by several test modules ---------------------------------------------------


@pytest.fixture
def tree():
    """A protocol built by hand:

    section A ─ so1 ─ oo1a (no action: a leaf, done 100 %, reported this month)
                    └ oo1b ─ a1 (in progress 40 %, last reported 2 years ago)
                           ├ a2 (never reported, no lead)
                           └ a3 (done 100 %, reported this month; a back-dated update)
              └ so2 (a branch without any objective or action)
    section B ─ so3 ─ oo3 (no action, never reported, no lead)

    "This month" is June 2024: the tests pass `today=datetime.date(2024, 6, 15)`.
    """
    lead = factories.PartnerFactory()
    protocol = factories.ProtocolFactory()
    theme_a, theme_b = factories.ThematicFactory(), factories.ThematicFactory()
    section_a = factories.SectionFactory(protocol=protocol, thematic=theme_a)
    section_b = factories.SectionFactory(protocol=protocol, thematic=theme_b)
    so1 = factories.StrategicObjectiveFactory(section=section_a)
    so2 = factories.StrategicObjectiveFactory(section=section_a)
    so3 = factories.StrategicObjectiveFactory(section=section_b)
    oo1a = factories.OperationalObjectiveFactory(strategic_objective=so1, pilot=lead)
    oo1b = factories.OperationalObjectiveFactory(strategic_objective=so1)
    a1 = factories.ActionFactory(operational_objective=oo1b, pilot=lead)
    a2 = factories.ActionFactory(operational_objective=oo1b)
    a3 = factories.ActionFactory(operational_objective=oo1b, pilot=lead)
    oo3 = factories.OperationalObjectiveFactory(strategic_objective=so3)
    report(oo1a, datetime.date(2024, 6, 5), Status.DONE, 100)
    report(a1, datetime.date(2022, 5, 1), Status.IN_PROGRESS, 40)
    report(a3, datetime.date(2024, 4, 10), Status.IN_PROGRESS, 50)
    report(a3, datetime.date(2024, 6, 1), Status.DONE, 100)
    report(a3, datetime.date(2024, 3, 1), Status.PLANNED, 10)  # back-dated, recorded last
    # An objective with actions is represented by its actions: its own report is not counted.
    report(oo1b, datetime.date(2024, 5, 1), Status.DONE, 100)
    # Another territory, to check that figures stay apart.
    other = factories.ActionFactory()
    report(other, datetime.date(2024, 6, 1), Status.DONE, 100)
    return locals()


@pytest.fixture
def action():
    """An action whose every text is hostile, with a lead, partners, an axis and three updates
    (the latest, 5 days ago: in progress, 40 %)."""
    protocol = factories.ProtocolFactory(territory__name="Ville <test>")
    action = factories.ActionFactory(
        operational_objective__strategic_objective__section__protocol=protocol,
        text="Créer un « lieu » <script>alert('x')</script>",
        details="Ex : un café des parents.\n\nDeuxième paragraphe.",
        pilot=factories.PartnerFactory(name="Mission locale <test>"),
        start_year=2020,
        end_year=2022,
    )
    action.partners.set(
        [factories.PartnerFactory(name="CAF <Essonne>"), factories.PartnerFactory(name="État test")]
    )
    action.axes.set([factories.AxisFactory(name="Jeunesse")])
    report_days_ago(action, 100, Status.PLANNED, 0, comment="Premier comité")
    report_days_ago(
        action,
        5,
        Status.IN_PROGRESS,
        40,
        comment="<b>Lancé</b> & financé",
        link="https://example.org/compte-rendu?a=1&b=2",
    )
    report_days_ago(
        action, 50, Status.PLANNED, 20, comment="Étape intermédiaire", link="javascript:alert(1)"
    )
    return action


@pytest.fixture
def territory():
    """Grand Paris Sud, as seeded."""
    return Territory.objects.get(slug="grand-paris-sud")
