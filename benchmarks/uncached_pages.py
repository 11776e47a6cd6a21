"""Uncached public pages, in process (issue #15): median time, SQL queries and bytes per page.

Setup (once), then run:

    createdb -h 127.0.0.1 -U postgres perer_uncached
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perer_uncached
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_protocols
    .venv/bin/python benchmarks/uncached_pages.py            # seed size
    .venv/bin/python benchmarks/uncached_pages.py --scale    # + generate_demo_data, measured again
    .venv/bin/python benchmarks/uncached_pages.py --profile /territoires/evry-courcouronnes/

What it measures: each page of the issue's table through Django's test client, DEBUG=0 (set by
this script with a throw-away SECRET_KEY), on the database of DATABASE_URL, with a unique
ignored query parameter on every request (`_n=…`) so that no page cache answers; one warm-up
request, then the median of --repeat (8) requests. The ratio divides each median by the median
of /glossaire/ measured in the same run, so that two runs on a shared, noisy machine compare.
--scale runs `generate_demo_data --territories 100 --actions 20000` (once: skipped when demo
territories exist), measures again and exits with status 1 if a page's query count changed.
--profile PATH prints the cProfile of --repeat renders of one page (cumulative, top 45), and
--profile-summary PATH splits that time into template rendering, ORM/database and the rest.

A measurement, not a test: it asserts nothing about wall-clock time.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perer.settings")
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 60)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.signals import request_started  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PAGES = [
    "/territoires/evry-courcouronnes/",
    "/tableau-de-bord/",
    "/engagements/?q=illectronisme",
    "/thematiques/emploi/",
    "/api/v1/actions/",
    "/glossaire/",
]
BASELINE = "/glossaire/"

# CaptureQueriesContext indexes the query log before the request; request_started would empty it
# (reset_queries) and the count would come out short.
request_started.disconnect(reset_queries)
# DEBUG=0 redirects plain HTTP to HTTPS: every request is made with secure=True.
_counter = iter(range(10**9))


def fresh(path):
    return f"{path}{'&' if '?' in path else '?'}_n={next(_counter)}"


def measure(client, path, repeat):
    client.get(fresh(path), secure=True)  # warm-up: imports, compiled templates, connection
    with CaptureQueriesContext(connection) as queries:
        response = client.get(fresh(path), secure=True)
    assert response.status_code == 200, (path, response.status_code)
    query_count = len(queries.captured_queries)  # now: the log is a view that later requests move
    times = []
    for _ in range(repeat):
        url = fresh(path)
        start = time.perf_counter()
        client.get(url, secure=True)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "median": statistics.median(times),
        "min": min(times),
        "queries": query_count,
        "bytes": len(response.content),
    }


def run(repeat, label):
    client = Client()
    results = {path: measure(client, path, repeat) for path in PAGES}
    base = results[BASELINE]["median"]
    print(f"\n### {label}\n")
    print("| page | median ms | min ms | ratio to /glossaire/ | queries | bytes |")
    print("|---|---|---|---|---|---|")
    for path, r in results.items():
        print(
            f"| `{path}` | {r['median']:.1f} | {r['min']:.1f} | {r['median'] / base:.1f} "
            f"| {r['queries']} | {r['bytes']} |"
        )
    return results


def profile(path, repeat, summary):
    client = Client()
    client.get(fresh(path), secure=True)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        client.get(fresh(path), secure=True)
    profiler.disable()
    stats = pstats.Stats(profiler)
    if summary:
        print_summary(stats, path, repeat)
        return
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats("cumulative").print_stats(45)
    print(out.getvalue())


def print_summary(stats, path, repeat):
    """Cumulative time of the outermost template render and of the SQL execution, per request."""
    total = render = sql = compile_ = 0.0
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if name == "get_response" and filename.endswith("django/core/handlers/base.py"):
            total = max(total, ct)
        if name == "render" and filename.endswith("django/template/backends/django.py"):
            render = max(render, ct)
        if name == "execute" and filename.endswith("django/db/backends/utils.py"):
            sql = max(sql, ct)
        if name == "as_sql" and filename.endswith("django/db/models/sql/compiler.py"):
            compile_ = max(compile_, ct)
    per = 1000 / repeat
    print(
        f"{path}: total {total * per:.1f} ms/request; template render (incl. lazy queries run "
        f"from templates) {render * per:.1f}; SQL execute {sql * per:.1f}; SQL compile "
        f"{compile_ * per:.1f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--profile")
    parser.add_argument("--profile-summary")
    args = parser.parse_args()
    if args.profile or args.profile_summary:
        profile(args.profile or args.profile_summary, args.repeat, bool(args.profile_summary))
        return 0
    from commitments.models import Action

    actions = Action.objects.count()
    print(f"database: {connection.vendor}, actions: {actions}")
    seed = run(args.repeat, f"{actions} actions")
    if not args.scale:
        return 0
    from territories.models import Territory

    if not Territory.objects.filter(slug__startswith="demo-").exists():
        call_command("generate_demo_data", territories=100, actions=20000, verbosity=0)
    print(f"\nactions: {Action.objects.count()}")
    scaled = run(args.repeat, "scale data (generate_demo_data --territories 100 --actions 20000)")
    changed = [p for p in PAGES if seed[p]["queries"] != scaled[p]["queries"]]
    print(f"\nquery counts equal at both sizes: {'yes' if not changed else 'NO: ' + str(changed)}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
