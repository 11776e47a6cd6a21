"""Where the PDFs live once rendered: the last complete render of each PDF, in the database
(commitments.models.RenderedPdf), shared by the web processes and the workers.

Why the database: a render is made by a worker process (`manage.py db_worker`, queue "pdf",
commitments/tasks.py) and served by the web processes. They must share the result, and the
cache does not do that in development (locmem is per process); files under a media directory
would need a directory shared by every app server. The database is shared by definition, is
backed up with the rest, and writes a row atomically: a reader sees the previous complete render
or the new complete one, never a half-written file.

A "document" is any object with:
- `store_key`: which PDF (« protocole:<slug>:suivi=0 », « bilan:<campaign>:<slug> »), stable
  across versions;
- `cache_key`: its version (content and layout), and `version_at`: that version's date, shown
  to readers (None: no date);
- `render()` → (bytes, pages), and `current_version()`: the version the database holds now
  (re-read; used when writing, see below);
- `filename`, and `dated_filename(moment)`: the name of an older version's file;
- optionally `stored(version, version_at, size, pages)`: told whenever a render of its PDF is
  stored or served (ProtocolPdf keeps these facts in the cache for the links).
rendering/pdf.py's ProtocolPdf and rendering/campaign_report.py's CampaignPdf are documents.

Rules (`store`):
- a row is replaced whole by one conditional UPDATE (optimistic: the row must still hold the
  version read just before; otherwise read again and decide again), so two writers never mix;
- an older render never replaces a newer one: a render is written when nothing is stored, when
  it is the current version (re-read at write time: this also covers a version whose date went
  back, e.g. after a protocol was withdrawn from the combined PDF), or when its date is later
  than the stored one's. Two workers rendering the same version write the same bytes (the
  renderer is reproducible), so the second write is skipped.

Reads: `latest(key)` one query (the bytes only when asked: a conditional request that ends in a
304 never loads them); `latest_many(keys)` one query. `first_render` renders in the request,
only when nothing at all is stored for the PDF (a fresh database): concurrent first requests on
servers sharing the cache wait for one render (RENDER_WAIT_SECONDS), then read it back.
"""

import hashlib
import time

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from commitments.models import RenderedPdf

# How long a request waits for a first render that another request started.
RENDER_WAIT_SECONDS = 30
META_FIELDS = ("key", "version", "version_at", "size", "pages", "rendered_at")


def etag_of(version):
    """The ETag of a render: the same digest as the documents' own `etag` for a version."""
    return hashlib.sha256(version.encode()).hexdigest()[:32]


def latest(key, *, with_data=False):
    """The stored render of `key` (a RenderedPdf; `data` deferred unless `with_data`), or None.
    One query."""
    rows = RenderedPdf.objects.filter(key=key)
    if not with_data:
        rows = rows.only(*META_FIELDS)
    return rows.first()


def latest_many(keys):
    """{key: RenderedPdf without its bytes} for the stored ones among `keys`. One query."""
    return {row.key: row for row in RenderedPdf.objects.filter(key__in=keys).only(*META_FIELDS)}


def data_of(row):
    """The bytes of a stored render (one query when they were deferred)."""
    return bytes(row.data)


def is_current(row, document):
    return row is not None and row.version == document.cache_key


def _newer(document, row):
    if document.cache_key == document.current_version():
        return True
    if document.version_at is None:
        return False
    return row.version_at is None or document.version_at > row.version_at


def store(document, data, pages):
    """Keep `data` (the render of `document`, `pages` pages) as the last render of its PDF,
    unless a render at least as new is stored already. Returns True when `data` is (now) the
    stored render of that version, False when a newer one was kept."""
    values = {
        "version": document.cache_key,
        "version_at": document.version_at,
        "data": data,
        "size": len(data),
        "pages": pages,
        "rendered_at": timezone.now(),
    }
    for _ in range(5):
        row = latest(document.store_key)
        if row is None:
            try:
                with transaction.atomic():
                    RenderedPdf.objects.create(key=document.store_key, **values)
                remember(document, values)
                return True
            except IntegrityError:  # another writer created it meanwhile: decide again
                continue
        if row.version == document.cache_key:
            return True  # the same version: the same bytes
        if not _newer(document, row):
            return False
        same_row = RenderedPdf.objects.filter(pk=row.pk, version=row.version)
        if same_row.update(**values):
            remember(document, values)
            return True
    return False  # five writers in a row changed it: the newest of them stays


def remember(document, row):
    """Tell `document` which render is stored for its PDF (`row`: a RenderedPdf or its values),
    when it keeps facts about it (ProtocolPdf: in the cache, for the links)."""
    stored = getattr(document, "stored", None)
    if stored is not None:
        get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
        stored(get("version"), get("version_at"), get("size"), get("pages"))


def render_and_store(document):
    """Render `document` and store it (`store`'s rules); True when it was written."""
    data, pages = document.render()
    return store(document, data, pages)


def first_render(document):
    """Render `document` in this request (nothing is stored for its PDF yet) and return its
    stored render, bytes included. Concurrent first requests wait for one render."""
    lock = f"{document.store_key}:premier-rendu"
    if not cache.add(lock, 1, RENDER_WAIT_SECONDS):
        deadline = time.monotonic() + RENDER_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.2)
            row = latest(document.store_key, with_data=True)
            if row is not None:
                return row
    try:
        render_and_store(document)
    finally:
        cache.delete(lock)
    return latest(document.store_key, with_data=True)


def refresh(documents):
    """Render and store every one of `documents` whose stored render is not its current
    version (one query to find them). Returns the store keys rendered."""
    documents = list(documents)
    stored = latest_many([document.store_key for document in documents])
    rendered = []
    for document in documents:
        if not is_current(stored.get(document.store_key), document):
            render_and_store(document)
            rendered.append(document.store_key)
    return rendered
