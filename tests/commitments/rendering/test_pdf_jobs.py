"""The PDFs rendered by background jobs (commitments/tasks.py, rendering/pdf_store.py): an edit
queues one job after its commit; a download meanwhile gets the previous complete render with its
own version date; an older render never replaces a newer one; the campaigns' reports the same; a
real worker process renders and stores the new version, read back.

Small protocols built with factories: each render takes a fraction of a second.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from commitments import tasks
from commitments.enums import Status
from commitments.models import Protocol, RenderedPdf
from commitments.rendering import campaign_report, pdf_store
from commitments.rendering.pdf import ProtocolPdf, every_protocol_pdf, french_date
from commitments.services.campaign_lifecycle import close_campaign
from commitments.services.content_changes import record_change
from commitments.services.elements import save_element
from territories.models import Territory
from tests.factories import ActionFactory
from tests.support.admin import client_for, make_user
from tests.support.campaigns import new_campaign, report_in_period, town
from tests.support.jobs import database_url_for_processes, in_database, manage, run_jobs
from tests.support.pdf import pdf_text, squeeze

pytestmark = pytest.mark.django_db


@pytest.fixture
def action():
    return ActionFactory(
        text="Ouvrir une permanence emploi",
        operational_objective__strategic_objective__section__protocol__territory__name="Lisses",
    )


def protocol_of(action):
    return Protocol.objects.get(territory=action.territory)


def pdf_jobs():
    return DBTaskResult.objects.filter(queue_name="pdf")


def waiting_jobs():
    return pdf_jobs().filter(status=TaskResultStatus.READY)


def territory_pdf_url(territory, **params):
    url = reverse("territory_pdf", kwargs={"slug": territory.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


# --- Queued after an edit ---------------------------------------------------------------------


def test_an_edit_queues_one_render_job_after_its_commit(action, django_capture_on_commit_callbacks):
    assert not connection.run_on_commit  # the factories record no change
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        action.text = "Ouvrir deux permanences emploi"
        save_element(action)  # records the change
        action.operational_objective.text = "Rapprocher l'emploi"
        save_element(action.operational_objective)  # records it again, same transaction
        assert not pdf_jobs().exists()  # nothing before the commit
    assert len(callbacks) == 1  # once per transaction
    (job,) = waiting_jobs()
    assert (job.task_path, job.args_kwargs["kwargs"]) == (
        "commitments.tasks.refresh_pdfs",
        {"keys": None},
    )
    # A second edit while the job waits: still one job.
    with django_capture_on_commit_callbacks(execute=True):
        record_change(protocol_of(action))
    assert waiting_jobs().count() == 1


def test_a_rolled_back_edit_queues_nothing(action, django_capture_on_commit_callbacks):
    assert not connection.run_on_commit  # the factories record no change
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record_change(protocol_of(action))
        raise RuntimeError("annulé")
    assert not pdf_jobs().exists()


def test_a_running_job_does_not_stop_a_new_one_being_queued():
    first = tasks.queue_refresh(["protocole:lisses:suivi=0"])
    assert tasks.queue_refresh(["protocole:lisses:suivi=0"]) is None  # waiting already
    DBTaskResult.objects.filter(pk=first.id).update(status=TaskResultStatus.RUNNING)
    # The running one may have read the state before the change: a new one is queued.
    assert tasks.queue_refresh(["protocole:lisses:suivi=0"]) is not None
    # Other arguments, another job.
    assert tasks.queue_refresh(["protocole:lisses:suivi=1"]) is not None
    assert waiting_jobs().count() == 2


# --- Served meanwhile -------------------------------------------------------------------------


def test_while_its_render_is_queued_the_previous_render_is_served_with_its_date(client, action):
    territory = action.territory
    url = territory_pdf_url(territory)
    first = client.get(url)
    old_date = Protocol.objects.get(pk=protocol_of(action).pk).last_changed_at
    action.text = "Ouvrir deux permanences emploi"
    save_element(action)

    meanwhile = client.get(url)
    assert meanwhile.status_code == 200
    assert meanwhile.content == first.content  # the previous complete render
    assert meanwhile["ETag"] == first["ETag"]
    assert meanwhile["Last-Modified"] == http_date(int(old_date.timestamp()))
    day = timezone.localtime(old_date).date().isoformat()
    assert meanwhile["Content-Disposition"] == (
        f'inline; filename="perer-{territory.slug}-version-du-{day}.pdf"'
    )
    assert "Ouvrir une permanence emploi" in pdf_text(meanwhile.content)
    # Its render is queued, once however many downloads.
    client.get(url)
    (job,) = waiting_jobs()
    assert job.args_kwargs["kwargs"] == {"keys": [f"protocole:{territory.slug}:suivi=0"]}
    # The page's link says which version it gives.
    page = client.get(territory.get_absolute_url()).content.decode()
    assert f"version du {french_date(old_date)}" in page

    assert run_jobs() == 1
    after = client.get(url)
    new_date = Protocol.objects.get(pk=protocol_of(action).pk).last_changed_at
    assert after["Last-Modified"] == http_date(int(new_date.timestamp()))
    assert after["Content-Disposition"] == f'inline; filename="perer-{territory.slug}.pdf"'
    assert "Ouvrir deux permanences emploi" in pdf_text(after.content)
    assert not waiting_jobs().exists()


def test_the_suivi_variant_is_refreshed_too(client, action):
    territory = action.territory
    client.get(territory_pdf_url(territory, suivi=1))
    report_in_period(action, Status.DONE, 100, comment="Permanence ouverte")  # touches
    assert tasks.refresh_pdfs.call() == [f"protocole:{territory.slug}:suivi=1"]
    text = squeeze(pdf_text(client.get(territory_pdf_url(territory, suivi=1)).content))
    assert squeeze("Réalisé") in text
    assert tasks.refresh_pdfs.call() == []  # nothing stale any more


def test_the_job_renders_only_what_is_stale_and_was_downloaded(client, action):
    other = ActionFactory()  # another territory, never downloaded
    client.get(territory_pdf_url(action.territory))
    client.get(reverse("all_protocols_pdf"))
    assert tasks.refresh_pdfs.call() == []
    record_change(protocol_of(action))
    rendered = tasks.refresh_pdfs.call()
    slug = action.territory.slug
    assert sorted(rendered) == [f"protocole:{slug}:suivi=0", "protocole:protocoles:suivi=0"]
    assert not RenderedPdf.objects.filter(key__contains=other.territory.slug).exists()


def test_the_first_download_ever_renders_in_the_request(client, action):
    """A fresh database: nothing stored, the first download renders (then stored)."""
    assert not RenderedPdf.objects.exists()
    response = client.get(territory_pdf_url(action.territory))
    assert response.status_code == 200
    row = RenderedPdf.objects.get()
    assert bytes(row.data) == response.content
    assert row.pages >= 1 and row.size == len(response.content)


# --- Writes: never older over newer -----------------------------------------------------------


def test_an_older_render_never_replaces_a_newer_one(action):
    territory = action.territory
    old = ProtocolPdf.for_territory(territory)
    old_bytes, old_pages = old.render()
    record_change(protocol_of(action))
    new = ProtocolPdf.for_territory(territory)
    assert new.version_at > old.version_at
    assert pdf_store.render_and_store(new)

    # The slow render of the old version finishes last: refused.
    assert pdf_store.store(old, old_bytes, old_pages) is False
    row = RenderedPdf.objects.get(key=new.store_key)
    assert (row.version, row.version_at) == (new.cache_key, new.version_at)
    # The same version written twice (two workers): kept, nothing changes.
    rendered_at = row.rendered_at
    assert pdf_store.render_and_store(new)
    assert RenderedPdf.objects.get(key=new.store_key).rendered_at == rendered_at


def test_a_newer_render_replaces_an_older_one(action):
    territory = action.territory
    old = ProtocolPdf.for_territory(territory)
    assert pdf_store.render_and_store(old)
    record_change(protocol_of(action))
    new = ProtocolPdf.for_territory(territory)
    assert pdf_store.render_and_store(new)
    row = RenderedPdf.objects.get(key=new.store_key)
    assert row.version == new.cache_key
    assert RenderedPdf.objects.count() == 1


def test_the_current_version_wins_even_with_an_earlier_date(action):
    """The combined PDF's date can go back (a protocol leaves it): the current version is
    stored all the same."""
    current = ProtocolPdf.for_territory(action.territory)
    later = ProtocolPdf(
        current.territory,
        False,
        ((protocol_of(action).pk, current.version_at.replace(year=current.version_at.year + 1)),),
        current.territories,
    )
    assert pdf_store.store(later, b"%PDF plus tard", 1)
    assert pdf_store.render_and_store(current)
    assert RenderedPdf.objects.get(key=current.store_key).version == current.cache_key


# --- The campaigns' reports ----------------------------------------------------------------------


@pytest.fixture
def closed_campaign(fast_password_hasher):
    staff = make_user("agglomeration")
    one, (a, *_) = town("Première ville", slug="premiere")
    report_in_period(a, Status.DONE, 100, comment="Fait en avance", author=staff)
    campaign_ = new_campaign(staff, [one], title="Bilan 2026")
    close_campaign(campaign_, staff)
    return campaign_, one, staff


def test_a_closed_campaigns_reports_are_rendered_by_the_job(closed_campaign):
    campaign_, one, _ = closed_campaign
    rendered = tasks.refresh_pdfs.call()
    assert rendered == [f"bilan:{campaign_.pk}:tous", f"bilan:{campaign_.pk}:premiere"]
    assert tasks.refresh_pdfs.call() == []  # once


def test_a_campaign_report_of_an_older_layout_is_served_then_renewed(closed_campaign, monkeypatch):
    campaign_, one, staff = closed_campaign
    url = f"/suivi/campagnes/{campaign_.pk}/premiere/bilan.pdf"
    client = client_for(staff)
    first = client.get(url)
    assert first.status_code == 200
    assert "private" in first["Cache-Control"] and "public" not in first["Cache-Control"]
    assert first["Last-Modified"] == http_date(int(campaign_.closed_at.timestamp()))
    assert squeeze("Fait en avance") in squeeze(pdf_text(first.content))

    # A deployment changes the report's layout: the stored render is an older version.
    monkeypatch.setattr(campaign_report, "layout_version", lambda: "nouvelle-mise-en-page")
    meanwhile = client.get(url)
    assert meanwhile.status_code == 200 and meanwhile.content == first.content
    (job,) = waiting_jobs()
    assert job.args_kwargs["kwargs"] == {"campaign_id": campaign_.pk, "territory_id": one.pk}
    assert run_jobs() == 1
    row = RenderedPdf.objects.get(key=f"bilan:{campaign_.pk}:premiere")
    assert row.version == campaign_report.CampaignPdf(campaign_, one).cache_key
    assert client.get(url, HTTP_IF_NONE_MATCH=meanwhile["ETag"]).status_code == 200


# --- A real worker process --------------------------------------------------------------------


@pytest.fixture
def worker_database_url(request, tmp_path):
    return database_url_for_processes(request, tmp_path)


MAKE_AND_DOWNLOAD = """
from django.test import Client
from tests.factories import ActionFactory
action = ActionFactory(
    text="Ouvrir une permanence emploi",
    operational_objective__strategic_objective__section__protocol__territory__name="Lisses",
    operational_objective__strategic_objective__section__protocol__territory__slug="lisses",
)
response = Client().get("/territoires/lisses/protocole.pdf", HTTP_HOST="localhost", secure=True)
result = [response.status_code, action.pk]
"""

EDIT = """
from django.db import transaction
from commitments.models import Action
from commitments.services.elements import save_element
from django_tasks_db.models import DBTaskResult
with transaction.atomic():
    action = Action.objects.get(pk={pk})
    action.text = "Ouvrir deux permanences emploi"
    save_element(action)
result = list(DBTaskResult.objects.filter(queue_name="pdf").values_list("status", flat=True))
"""

STORED = """
from commitments.models import RenderedPdf
from commitments.rendering.pdf import ProtocolPdf
from territories.models import Territory
from tests.support.pdf import pdf_text
row = RenderedPdf.objects.get(key="protocole:lisses:suivi=0")
current = ProtocolPdf.for_territory(Territory.objects.get(slug="lisses"))
result = [row.version == current.cache_key, pdf_text(bytes(row.data)), row.pages]
"""


def test_a_real_worker_renders_the_new_version_after_an_edit(worker_database_url):
    url = worker_database_url
    status, action_pk = in_database(url, MAKE_AND_DOWNLOAD)
    assert status == 200  # the first render ever, in the request
    assert in_database(url, EDIT.format(pk=action_pk)) == ["READY"]  # one job, after commit
    is_current, text, _ = in_database(url, STORED)
    assert not is_current and "Ouvrir une permanence emploi" in text  # served meanwhile

    done = manage(url, "db_worker", "--queue-name", "pdf", "--batch", "--no-reload",
                  "--no-startup-delay")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    is_current, text, pages = in_database(url, STORED)
    assert is_current and pages >= 1
    assert "Ouvrir deux permanences emploi" in text
    assert "Ouvrir une permanence emploi" not in text.split("Annexe")[0]
    jobs = in_database(
        url,
        "from django_tasks_db.models import DBTaskResult\n"
        "result = list(DBTaskResult.objects.values_list('status', flat=True))",
    )
    assert jobs == ["SUCCESSFUL"]


# --- No visitor waits for a first PDF: seeding and deployments queue them ---------------------


def seeded_pdf_urls():
    """Every protocol PDF the site links (the seven territories' and the combined one,
    without and with tracking): 16 addresses."""
    urls = [reverse("all_protocols_pdf")]
    urls += [territory_pdf_url(t) for t in Territory.objects.in_display_order()]
    return urls + [f"{url}?suivi=1" for url in urls]


def no_render_in_the_request(monkeypatch):
    def refuse(self):
        raise AssertionError(f"rendered in the request: {self.store_key}")

    monkeypatch.setattr(ProtocolPdf, "render", refuse)


def test_after_seeding_and_a_worker_pass_every_pdf_is_served_from_the_store(client, monkeypatch):
    """The session's database was seeded and its PDF jobs dropped (tests/conftest.py): as a
    fresh `make run` before its worker ran. seed_protocols (again: nothing to load) queues
    the sixteen PDFs; one worker pass renders them; every download is then the stored,
    current render, and queues nothing."""
    # As a fresh database: no stored render (a transactional test run before on PostgreSQL may
    # have committed some; deleted in this test's transaction, rolled back after it).
    RenderedPdf.objects.all().delete()
    # Sixteen with the seed alone (7 territories and the combined PDF, each with and without
    # tracking); a territory committed by an earlier transactional test adds its two.
    expected = len(every_protocol_pdf())
    assert expected >= 16
    out = io.StringIO()
    call_command("seed_protocols", stdout=out)
    assert f"PDF mis en file (file « pdf ») : {expected}." in out.getvalue()
    (job,) = waiting_jobs()
    assert len(job.args_kwargs["kwargs"]["keys"]) == expected
    call_command("seed_protocols", stdout=io.StringIO())  # again: the same job, not a second
    assert waiting_jobs().count() == 1
    run_jobs()
    assert RenderedPdf.objects.filter(key__startswith="protocole:").count() == expected

    no_render_in_the_request(monkeypatch)
    before = pdf_jobs().count()
    names = set()
    for url in seeded_pdf_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response).startswith(b"%PDF-"), url
        assert "version-du" not in response["Content-Disposition"], url  # the current one
        names.add(response["Content-Disposition"])
    assert len(names) == expected  # as many distinct file names
    assert pdf_jobs().count() == before  # nothing stale: nothing queued
    assert tasks.stale_protocol_pdfs() == []


def test_queue_pdf_renders_queues_what_a_new_layout_made_stale(action, monkeypatch):
    territory = action.territory
    RenderedPdf.objects.all().delete()  # whatever an earlier transactional test committed
    out = io.StringIO()
    call_command("queue_pdf_renders", stdout=out)
    (job,) = waiting_jobs()
    keys = job.args_kwargs["kwargs"]["keys"]
    assert f"protocole:{territory.slug}:suivi=0" in keys
    assert f"protocole:{territory.slug}:suivi=1" in keys
    assert "protocole:protocoles:suivi=1" in keys
    assert f"PDF mis en file (file « pdf ») : {len(keys)}." in out.getvalue()
    run_jobs()
    out = io.StringIO()
    call_command("queue_pdf_renders", stdout=out)
    assert "Tous les PDF des protocoles sont à jour." in out.getvalue()
    assert not waiting_jobs().exists()

    # A deployment changes the layout (templates, fonts, WeasyPrint): every render is stale.
    monkeypatch.setattr("commitments.rendering.pdf.layout_version", lambda: "nouvelle-mise-en-page")
    call_command("queue_pdf_renders", stdout=io.StringIO())
    (job,) = waiting_jobs()
    assert sorted(job.args_kwargs["kwargs"]["keys"]) == sorted(keys)


def test_the_two_variants_have_distinct_file_names(action, client):
    territory = action.territory
    pdf = ProtocolPdf.for_territory(territory)
    tracked = ProtocolPdf.for_territory(territory, suivi=True)
    assert pdf.filename == f"perer-{territory.slug}.pdf"
    assert tracked.filename == f"perer-{territory.slug}-avec-suivi.pdf"
    moment = timezone.now()
    day = timezone.localdate(moment).isoformat()
    assert tracked.dated_filename(moment) == (
        f"perer-{territory.slug}-avec-suivi-version-du-{day}.pdf"
    )
    assert ProtocolPdf.for_all(suivi=True).filename == "perer-protocoles-avec-suivi.pdf"
    response = client.get(territory_pdf_url(territory, suivi=1, telecharger=1))
    assert response["Content-Disposition"] == (
        f'attachment; filename="perer-{territory.slug}-avec-suivi.pdf"'
    )
