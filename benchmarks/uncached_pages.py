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

--mode (issue #22, the caches of what changes rarely: rendering/protocol_fragments.py):
- `warm` (default): as above — the page cache bypassed, the fragment caches warm (filled by the
  warm-up request), the state of a busy site between two edits;
- `cold`: the whole cache emptied before every request (after a deploy, or with a new code
  version): every fragment rendered again;
- `edit`: the protocol page (PROTOCOL_PAGE) only, each timed request preceded (untimed) by the
  edit of one of its actions through the admin's write path (services/elements.save_element,
  its text changed back and forth): the next view of its protocol page after an edit.
Each mode runs the same way on a checkout without the fragment caches (the page cache bypassed
by the same unique parameter), so that before and after compare (benchmarks/compare_uncached.py
--mode).

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

# PERER_CHECKOUT: another checkout's code measured by this script (compare_uncached.py).
sys.path.insert(0, os.environ.get("PERER_CHECKOUT") or str(Path(__file__).resolve().parent.parent))
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
PROTOCOL_PAGE = "/territoires/evry-courcouronnes/"
# --clock cpu: this process's CPU time (time.process_time) instead of the wall clock, which a
# machine shared with other work makes noisy; it leaves out the database server's time.
CLOCK = time.perf_counter

# CaptureQueriesContext indexes the query log before the request; request_started would empty it
# (reset_queries) and the count would come out short.
request_started.disconnect(reset_queries)
# DEBUG=0 redirects plain HTTP to HTTPS: every request is made with secure=True.
_counter = iter(range(10**9))


def fresh(path):
    return f"{path}{'&' if '?' in path else '?'}_n={next(_counter)}"


def _no_preparation():
    pass


def _empty_cache():
    from django.core.cache import cache

    cache.clear()


class _ActionEdit:
    """Edit one action of PROTOCOL_PAGE's protocol as the admin does, its text changed back and
    forth (the database is left as it was, but for the stamps)."""

    def __init__(self):
        from commitments.models import Action

        slug = PROTOCOL_PAGE.strip("/").split("/")[-1]
        self.action = (
            Action.objects.filter(
                operational_objective__strategic_objective__section__protocol__territory__slug=slug
            )
            .order_by("pk")
            .first()
        )
        self.original = self.action.text
        self.count = 0

    def __call__(self):
        from commitments.services.elements import save_element

        self.count += 1
        self.action.text = self.original if self.count % 2 == 0 else self.original + " (revu)"
        save_element(self.action)

    def restore(self):
        from commitments.services.elements import save_element

        if self.action.text != self.original:
            self.action.text = self.original
            save_element(self.action)


def measure(client, path, repeat, prepare=_no_preparation):
    client.get(fresh(path), secure=True)  # warm-up: imports, compiled templates, connection
    prepare()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(fresh(path), secure=True)
    assert response.status_code == 200, (path, response.status_code)
    query_count = len(queries.captured_queries)  # now: the log is a view that later requests move
    times = []
    for _ in range(repeat):
        url = fresh(path)
        prepare()
        start = CLOCK()
        client.get(url, secure=True)
        times.append((CLOCK() - start) * 1000)
    return {
        "median": statistics.median(times),
        "min": min(times),
        "queries": query_count,
        "bytes": len(response.content),
    }


def run(repeat, label, mode="warm"):
    client = Client()
    if mode == "edit":
        edit = _ActionEdit()
        try:
            results = {PROTOCOL_PAGE: measure(client, PROTOCOL_PAGE, repeat, edit)}
        finally:
            edit.restore()
        results[BASELINE] = measure(client, BASELINE, repeat)
    else:
        prepare = _empty_cache if mode == "cold" else _no_preparation
        results = {path: measure(client, path, repeat, prepare) for path in PAGES}
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
    parser.add_argument("--mode", choices=("warm", "cold", "edit"), default="warm")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.profile or args.profile_summary:
        profile(args.profile or args.profile_summary, args.repeat, bool(args.profile_summary))
        return 0
    from commitments.models import Action

    actions = Action.objects.count()
    print(f"database: {connection.vendor}, actions: {actions}")
    seed = run(args.repeat, f"{actions} actions, mode {args.mode}", args.mode)
    if not args.scale:
        return 0
    from territories.models import Territory

    if not Territory.objects.filter(slug__startswith="demo-").exists():
        call_command("generate_demo_data", territories=100, actions=20000, verbosity=0)
    print(f"\nactions: {Action.objects.count()}")
    label = "scale data (generate_demo_data --territories 100 --actions 20000)"
    scaled = run(args.repeat, f"{label}, mode {args.mode}", args.mode)
    changed = [p for p in seed if seed[p]["queries"] != scaled[p]["queries"]]
    print(f"\nquery counts equal at both sizes: {'yes' if not changed else 'NO: ' + str(changed)}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
