"""PDF timings (a measurement, not a test): what a worker spends on a fresh render, and what a
visitor waits for — a stored render, and a download right after an edit.

    .venv/bin/python benchmarks/pdf_render.py                  # largest protocol, 3 + 50 runs
    .venv/bin/python benchmarks/pdf_render.py --all            # the all-protocols PDF
    .venv/bin/python benchmarks/pdf_render.py --all --profile  # where a fresh render's time goes
    .venv/bin/python benchmarks/pdf_render.py --fresh 10 --stored 200 --suivi
    .venv/bin/python benchmarks/pdf_render.py --seed           # migrate and seed first
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perer REDIS_URL=redis://127.0.0.1:6379/0 \\
        DEBUG=0 .venv/bin/python benchmarks/pdf_render.py --all   # PostgreSQL and Redis

- "fresh render": `ProtocolPdf.render()` (templates, then WeasyPrint layout and PDF writing),
  as the `refresh_pdfs` job runs it in a worker (commitments/tasks.py); `--profile` splits it:
  template rendering, WeasyPrint's HTML/CSS parsing, layout, and PDF writing, then the top
  functions by cumulative time.
- "stored download": the download through the whole Django stack (test client, middleware,
  view) when the stored render is the current version.
- "after an edit": the protocol's change is recorded (its `last_changed_at` moves: this WRITES
  to the database you point it at; the job it queues re-renders the PDF when a worker runs),
  then downloaded: the visitor gets the previous render at once, the render is queued.
Prints medians, SQL query counts, pages and size; asserts nothing.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perer.settings")
    import django

    django.setup()


def largest_territory():
    """The territory whose current protocol has the most commitments (SO + OO + actions)."""
    from commitments.models import Protocol
    from commitments.selectors.protocol_tree import iter_commitments, load_protocol_tree
    from territories.models import Territory

    best, best_size = None, -1
    for territory in Territory.objects.in_display_order():
        protocol = Protocol.objects.current_for(territory)
        if protocol is None:
            continue
        size = len(list(iter_commitments(load_protocol_tree(protocol.pk))))
        if size > best_size:
            best, best_size = territory, size
    return best, best_size


def timed_get(client, url, host):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url, HTTP_HOST=host, secure=True)
        elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return elapsed, len(queries), response


def split_render(pdf):
    """Seconds spent in each phase of one render of `pdf`."""
    from django.template.loader import render_to_string
    from django.utils import translation
    from weasyprint import HTML

    from commitments.rendering import pdf as service

    phases = {}
    start = time.perf_counter()
    with translation.override("fr"):
        html = render_to_string("pdf/document.html", service.document_context(pdf))
    phases["templates (Django, with the tree's queries)"] = time.perf_counter() - start
    start = time.perf_counter()
    document = HTML(
        string=html, base_url=service.FONT_DIR.as_uri() + "/", url_fetcher=service.LocalFonts()
    )
    phases["HTML parsing"] = time.perf_counter() - start
    start = time.perf_counter()
    rendered = document.render(pdf_variant="pdf/ua-1")
    phases["CSS + layout (WeasyPrint render)"] = time.perf_counter() - start
    start = time.perf_counter()
    data = rendered.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=pdf.etag.encode())
    phases["PDF writing (fonts subset, tags)"] = time.perf_counter() - start
    return phases, len(rendered.pages), len(data)


def ms(seconds):
    return f"{seconds * 1000:8.1f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", type=int, default=3, help="fresh renders (default 3)")
    parser.add_argument("--stored", type=int, default=50, help="stored downloads (default 50)")
    parser.add_argument("--all", action="store_true", help="the all-protocols PDF")
    parser.add_argument("--suivi", action="store_true", help="the ?suivi=1 variant")
    parser.add_argument("--profile", action="store_true", help="split and profile a render")
    parser.add_argument("--no-edit", action="store_true", help="skip the after-an-edit download")
    parser.add_argument("--seed", action="store_true", help="migrate and seed the database first")
    args = parser.parse_args()

    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from commitments.models import Protocol
    from commitments.rendering import pdf_store
    from commitments.rendering.pdf import ProtocolPdf
    from commitments.services.content_changes import record_change

    if args.seed:
        call_command("migrate", verbosity=0, interactive=False)
        call_command("seed_protocols", verbosity=0)

    if args.all:
        url, name, size = reverse("all_protocols_pdf"), "tous les territoires", None

        def current():
            return ProtocolPdf.for_all(suivi=args.suivi)
    else:
        territory, size = largest_territory()
        if territory is None:
            raise SystemExit("Aucun protocole : lancez avec --seed.")
        url, name = reverse("territory_pdf", kwargs={"slug": territory.slug}), territory.name

        def current():
            return ProtocolPdf.for_territory(territory, suivi=args.suivi)

    if args.suivi:
        url += "?suivi=1"
    host = "testserver" if "testserver" in settings.ALLOWED_HOSTS else settings.ALLOWED_HOSTS[0]
    client = Client()
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    what = f"{size} engagements" if size else "every protocol"
    print(f"PDF {url} — {name}: {what} ({database}, cache {backend}, DEBUG={settings.DEBUG})")

    if args.profile:
        import weasyprint  # noqa: F401 (imported once, outside the timings)

        phases, pages, length = split_render(current())
        print(f"one render split ({pages} pages, {length / 1024:.0f} Kio):")
        for phase, seconds in phases.items():
            print(f"  {phase:48} {ms(seconds)}")
        profiler = cProfile.Profile()
        profiler.enable()
        current().render()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())

    fresh = []
    for _ in range(args.fresh):
        start = time.perf_counter()
        data, pages = current().render()
        fresh.append(time.perf_counter() - start)
    if fresh:
        print(
            f"fresh render (a worker's job)  median {ms(statistics.median(fresh))} "
            f"(min {ms(min(fresh))}, n={len(fresh)}; {pages} pages, {len(data) / 1024:.0f} Kio)"
        )
    pdf_store.render_and_store(current())  # the stored render is the current version

    stored, stored_queries = [], set()
    for _ in range(args.stored):
        elapsed, queries, response = timed_get(client, url, host)
        stored.append(elapsed)
        stored_queries.add(queries)
    print(
        f"stored download                median {ms(statistics.median(stored))} "
        f"(max {ms(max(stored))}, n={len(stored)}, queries {sorted(stored_queries)})"
    )

    if not args.no_edit:
        after = []
        for _ in range(5):
            versions = [pk for pk, _ in current().versions]
            record_change(Protocol.objects.filter(pk__in=versions))
            elapsed, queries, response = timed_get(client, url, host)
            after.append(elapsed)
        print(
            f"download right after an edit   median {ms(statistics.median(after))} "
            f"(max {ms(max(after))}, n={len(after)}; the previous render, dated "
            f"{response['Last-Modified']}; its render queued for a worker)"
        )


if __name__ == "__main__":
    main()
