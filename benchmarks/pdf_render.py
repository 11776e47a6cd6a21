"""Fresh render vs cached download of the largest protocol's PDF (a measurement, not a test).

    .venv/bin/python benchmarks/pdf_render.py                  # default database, 5 + 50 runs
    .venv/bin/python benchmarks/pdf_render.py --fresh 10 --cached 200
    .venv/bin/python benchmarks/pdf_render.py --seed           # migrate and seed first
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perer REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/pdf_render.py             # PostgreSQL and the Redis cache

Each download goes through the whole Django stack (middleware, view, cache) with the test
client, in this process. "Fresh" deletes the PDF's cache entry before each request, so that the
view renders it with WeasyPrint; "cached" downloads the same PDF again and again. Both are also
timed with their SQL query counts. Prints the medians and the cached/fresh ratio; asserts nothing.
"""

import argparse
import os
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
    from commitments.reporting.protocol_tree import iter_commitments, load_protocol_tree
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", type=int, default=5, help="fresh renders (default 5)")
    parser.add_argument("--cached", type=int, default=50, help="cached downloads (default 50)")
    parser.add_argument("--seed", action="store_true", help="migrate and seed the database first")
    parser.add_argument("--suivi", action="store_true", help="measure the ?suivi=1 edition")
    args = parser.parse_args()

    setup_django()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from commitments.rendering.pdf import ProtocolPdf

    if args.seed:
        call_command("migrate", verbosity=0, interactive=False)
        call_command("seed_protocols", verbosity=0)

    territory, size = largest_territory()
    if territory is None:
        raise SystemExit("Aucun protocole : lancez avec --seed.")
    host = "testserver" if "testserver" in settings.ALLOWED_HOSTS else settings.ALLOWED_HOSTS[0]
    url = reverse("territory_pdf", kwargs={"slug": territory.slug})
    if args.suivi:
        url += "?suivi=1"
    client = Client()

    fresh, fresh_queries = [], set()
    for _ in range(args.fresh):
        cache.delete(ProtocolPdf.for_territory(territory, suivi=args.suivi).cache_key)
        elapsed, queries, response = timed_get(client, url, host)
        fresh.append(elapsed)
        fresh_queries.add(queries)
    cached, cached_queries = [], set()
    for _ in range(args.cached):
        elapsed, queries, response = timed_get(client, url, host)
        cached.append(elapsed)
        cached_queries.add(queries)

    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(response.content)).pages)
    fresh_median = statistics.median(fresh)
    cached_median = statistics.median(cached)
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"PDF {url} — {territory.name}: {size} engagements, {pages} pages, "
        f"{len(response.content) / 1024:.0f} Kio ({database}, cache {backend})"
    )
    print(
        f"fresh render   median {fresh_median * 1000:8.1f} ms  "
        f"(min {min(fresh) * 1000:.1f}, max {max(fresh) * 1000:.1f}, n={len(fresh)}, "
        f"queries {sorted(fresh_queries)})"
    )
    print(
        f"cached download median {cached_median * 1000:7.2f} ms  "
        f"(min {min(cached) * 1000:.2f}, max {max(cached) * 1000:.2f}, n={len(cached)}, "
        f"queries {sorted(cached_queries)})"
    )
    print(
        f"cached/fresh ratio {cached_median / fresh_median:.4f} "
        f"(cached is {fresh_median / cached_median:.0f}× faster)"
    )


if __name__ == "__main__":
    main()
