"""The PDF jobs (queue "pdf", run by `manage.py db_worker`, perer/lib/jobs.py): nobody waits for
a PDF render after an edit.

- `refresh_pdfs(keys=None)`: renders every protocol PDF (each territory's and the combined one,
  with and without tracking) that was stored once and whose stored render is not the current
  version, and the reports of the closed campaigns never rendered (all territories and each one),
  and stores them (rendering/pdf_store.py); with `keys`, only those PDFs (seeding and
  deployments queue the keys of the PDFs never rendered: below). It renders only what is
  stale, so running it again is cheap and safe: a job whose worker died is simply run again.
- `render_campaign_report(campaign_id, territory_id)`: one campaign report (when its stored render
  is of an older layout).

When they are queued:
- **when seeding and after a deployment**: `seed_protocols` and `manage.py queue_pdf_renders`
  call `queue_stale_protocol_pdfs()`: every protocol PDF never rendered, or whose stored
  render is not the current version (a new layout), is queued, so that no visitor waits;
- **after a change is committed**: services/content_changes.record_change — which every write
  to a protocol, its territory or the reference lists calls (closing a campaign and importing a
  backup too) — calls `refresh_after_commit()`, which queues one `refresh_pdfs` when the
  transaction commits (once per transaction however many rows were saved; none if it rolls
  back);
- **by the views**, whenever they serve a render older than the current version
  (views/pdf_downloads.py): a job lost heals on the first download.

Deduplicated: a job is not queued when the same task with the same arguments is already
waiting in the queue (READY, not yet claimed); one already running does not count (it may have
read the state before the change). Two requests checking at the same instant may still both
queue one: the second run finds nothing stale and renders nothing. Queries: one SELECT, plus one
INSERT when queued.
"""

from django.db import transaction
from django_tasks import TaskResultStatus

from commitments.models import Campaign, RenderedPdf
from commitments.rendering import pdf_store
from commitments.rendering.campaign_report import CampaignPdf, campaign_pdfs
from commitments.rendering.pdf import every_protocol_pdf, pdf_for_store_key
from perer.lib.jobs import retried_task

PDF_QUEUE = "pdf"


@retried_task(attempts=3, backoff=30, queue_name=PDF_QUEUE)
def refresh_pdfs(keys=None):
    """The job: render and store the protocol PDFs (`keys`: those store keys; None: every one
    stored once) whose stored render is not the current version, and, when `keys` is None, the
    reports of the closed campaigns never rendered. Returns the store keys rendered."""
    stored = RenderedPdf.objects.filter(key__startswith="protocole:").values_list("key", flat=True)
    documents = [pdf_for_store_key(key) for key in (stored if keys is None else keys)]
    rendered = pdf_store.refresh(document for document in documents if document is not None)
    if keys is None:
        for campaign_ in _closed_campaigns_never_rendered():
            rendered += pdf_store.refresh(campaign_pdfs(campaign_))
    return rendered


@retried_task(attempts=3, backoff=30, queue_name=PDF_QUEUE)
def render_campaign_report(campaign_id, territory_id=None):
    """The job: render and store one campaign report, unless its current version is stored."""
    return pdf_store.refresh([CampaignPdf.of(campaign_id, territory_id)])


def _closed_campaigns_never_rendered():
    rendered = RenderedPdf.objects.filter(key__startswith="bilan:", key__endswith=":tous")
    keys = set(rendered.values_list("key", flat=True))
    closed = Campaign.objects.filter(closed_at__isnull=False).order_by("closed_at")
    return [r for r in closed if CampaignPdf(r, None).store_key not in keys]


def _waiting(task, kwargs):
    """Whether `task` with `kwargs` is already queued and not yet claimed (database backend
    only; other backends run or drop jobs at once)."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=task.module_path,
        args_kwargs={"args": [], "kwargs": kwargs},
    ).exists()


def queue(task, **kwargs):
    """Queue `task(**kwargs)` unless the same job is waiting already; the job or None."""
    if _waiting(task, kwargs):
        return None
    return task.enqueue(**kwargs)


def queue_refresh(keys=None):
    """Queue `refresh_pdfs(keys)` (`keys`: a list of store keys, or None: every stored PDF)."""
    return queue(refresh_pdfs, keys=keys)


def stale_protocol_pdfs():
    """The store keys of the protocol PDFs (rendering/pdf.every_protocol_pdf: each territory's
    and the combined one, with and without tracking) never rendered or whose stored render is
    not the current version (a change, or a deployment that changed the layout). Three
    queries."""
    documents = every_protocol_pdf()
    stored = pdf_store.latest_many([document.store_key for document in documents])
    return [
        document.store_key
        for document in documents
        if not pdf_store.is_current(stored.get(document.store_key), document)
    ]


def queue_stale_protocol_pdfs():
    """Queue one `refresh_pdfs` for the stale protocol PDFs, so that no visitor waits for a
    render, the very first one included: called by `seed_protocols` and by
    `manage.py queue_pdf_renders` (deployment, docs/deployment.md). Returns the keys queued
    ([] when every PDF is current)."""
    stale = stale_protocol_pdfs()
    if stale:
        queue_refresh(stale)
    return stale


def queue_campaign_report(campaign_, territory=None):
    return queue(
        render_campaign_report, campaign_id=campaign_.pk, territory_id=territory and territory.pk
    )


def _queue_refresh_robustly():
    queue_refresh()


def refresh_after_commit():
    """Queue `refresh_pdfs` when the current transaction commits (at once outside one); once per
    transaction."""
    connection = transaction.get_connection()
    if any(entry[1] is _queue_refresh_robustly for entry in connection.run_on_commit):
        return
    transaction.on_commit(_queue_refresh_robustly, robust=True)
