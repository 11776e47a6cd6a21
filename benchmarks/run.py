"""Measure the portal under Gunicorn on PostgreSQL, at seed size and at scale size.

    .venv/bin/python benchmarks/run.py                 # full run: ~4 minutes
    .venv/bin/python benchmarks/run.py --duration 10   # quicker
    .venv/bin/python benchmarks/run.py --reuse-db --keep-scale-data   # same rows as last run

What it does: (re)creates the PostgreSQL database `perer_bench`, migrates, seeds the seven
protocols, counts SQL queries per page, adds the synthetic scale data (`generate_demo_data
--territories 100 --actions 20000`), counts again (the counts must be equal), starts Gunicorn in
production mode (DEBUG=0, Redis cache) and drives each scenario with a second process
(benchmarks/loadgen.py: 32 keep-alive clients on loopback). Prints a Markdown table and writes
benchmarks/results/latest.json. This is a measurement script, not a test: it asserts nothing
about wall-clock time; docs/benchmarks.md records its results.
"""

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PORT = 8765
DB = os.environ.get("PERER_BENCH_DB", "perer_bench")  # another database: PERER_BENCH_DB=…

QUERY_COUNT_SNIPPET = r"""
import json, time, django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from commitments.models import Action
from django.db.models import Count
key = Action.tree.territory + "__slug"
slug = Action.objects.values(key).annotate(n=Count("pk")).order_by("-n").first()[key]
paths = {
    "home": "/",
    "protocol page (largest)": f"/territoires/{slug}/",
    "protocol page (grigny)": "/territoires/grigny/",
    "search": "/engagements/?q=emploi",
    "api list": "/api/v1/actions/?territoire=grigny",
    "dashboard": "/tableau-de-bord/",
    "thematic": "/thematiques/emploi/",
}
client = Client()
counts = {}
for name, path in paths.items():
    # A unique, ignored parameter defeats the page cache: this counts a full rendering.
    fresh = path + ("&" if "?" in path else "?") + "_n=count-" + str(time.time_ns())
    client.get(fresh)  # warm what is legitimately cached across pages (e.g. the glossary)
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(fresh + "2").status_code
    with CaptureQueriesContext(connection) as cached:
        client.get(path)
    counts[name] = {"path": path, "status": status, "queries": len(ctx.captured_queries),
                    "cached_queries": len(cached.captured_queries)}
print(json.dumps({"largest": slug, "actions": Action.objects.count(), "counts": counts}))
"""


def sh(*args, env=None, capture=False):
    result = subprocess.run(args, cwd=ROOT, env=env, check=True, text=True, capture_output=capture)
    return result.stdout


def manage(env, *args):
    sh(PYTHON, "manage.py", *args, env=env)


def query_counts(env):
    return json.loads(sh(PYTHON, "-c", QUERY_COUNT_SNIPPET, env=env, capture=True).splitlines()[-1])


def wait_for(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer at {url}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency-duration", type=float, default=15)
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument(
        "--reuse-db", action="store_true", help="keep perer_bench as a previous run left it"
    )
    parser.add_argument(
        "--keep-scale-data",
        action="store_true",
        help="with --reuse-db: keep the synthetic data a previous run added (the same rows for "
        "a before/after comparison; the counts at seed size are then not measured)",
    )
    args = parser.parse_args()

    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_SETTINGS_MODULE="perer.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
        SECURE_SSL_REDIRECT="0",
        CONN_MAX_AGE="60",
        AXES_ENABLED="0",
        API_ANON_RATE="1000000/minute",
        LOG_LEVEL="ERROR",
    )
    if not args.no_redis:
        env["REDIS_URL"] = "redis://127.0.0.1:6379/9"
        env["CACHE_KEY_PREFIX"] = f"bench-{secrets.token_hex(4)}"
    psql = ("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-qc")
    if not args.reuse_db:
        sh(*psql, f"DROP DATABASE IF EXISTS {DB}")
        sh(*psql, f"CREATE DATABASE {DB}")
        manage(env, "migrate", "-v0")
        manage(env, "seed_protocols")
    manage(env, "collectstatic", "--noinput", "-v0")
    if args.keep_scale_data:
        at_seed = None
    else:
        manage(env, "generate_demo_data", "--remove")
        at_seed = query_counts(env)
        manage(env, "generate_demo_data", "--territories", "100", "--actions", "20000")
    # Fresh statistics, as autovacuum would leave them on a server in use: the planner's choices
    # on 20,000 new rows depend on them.
    sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-qc", "VACUUM ANALYZE")
    at_scale = query_counts(env)

    slug = at_scale["largest"]
    searches = [
        "/engagements/?q=emploi%20insertion",
        "/engagements/?q=illectronisme",
        "/engagements/?q=education&niveau=action",
        "/engagements/?q=logement%20social&thematique=logement",
        "/engagements/?q=violences%20femmes",
        "/engagements/?q=jeunes&statut=en_cours",
    ]
    # (name, paths, bust): bust appends a unique parameter so that no cache can answer.
    scenarios = [
        ("home", ["/"], False),
        ("protocol page (largest), cached", [f"/territoires/{slug}/"], False),
        ("protocol page (largest), uncached", [f"/territoires/{slug}/"], True),
        ("full-text search, uncached (6 queries)", searches, True),
        ("API list, uncached", ["/api/v1/actions/?thematique=emploi"], True),
        ("cached PDF (grigny)", ["/territoires/grigny/protocole.pdf"], False),
    ]
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "perer.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    results = []
    try:
        base = f"http://127.0.0.1:{PORT}"
        wait_for(base + "/")
        for _, paths, _ in scenarios:  # warm-up: first PDF render, connection pools
            for path in paths:
                urllib.request.urlopen(base + path, timeout=120).read()
        for name, paths, bust in scenarios:
            for concurrency in (1, args.concurrency):
                out = sh(
                    PYTHON,
                    str(ROOT / "benchmarks/loadgen.py"),
                    *[base + path for path in paths],
                    "--concurrency",
                    str(concurrency),
                    "--duration",
                    str(args.duration if concurrency > 1 else args.latency_duration),
                    *(["--bust"] if bust else []),
                    capture=True,
                )
                result = json.loads(out)
                result["scenario"] = name
                results.append(result)
                print(json.dumps(result), flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    report = {
        "query_counts": {"seed": at_seed, "scale": at_scale},
        "load": results,
        "workers": args.workers,
        "redis": not args.no_redis,
    }
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))

    seed_size = at_seed["actions"] if at_seed else "not measured"
    print(
        f"\nSQL queries per page (seed: {seed_size} actions, "
        f"scale: {at_scale['actions']} actions)\n"
    )
    print("| page | seed | scale | equal | served from the page cache |\n|---|---|---|---|---|")
    for name, scale in at_scale["counts"].items():
        seed = at_seed["counts"][name]["queries"] if at_seed else "—"
        equal = "—" if not at_seed else "yes" if seed == scale["queries"] else "NO"
        print(f"| {name} | {seed} | {scale['queries']} | {equal} | {scale['cached_queries']} |")
    print(
        f"\nLoad: 1 client for {args.latency_duration:.0f} s, then {args.concurrency} "
        f"concurrent clients for {args.duration:.0f} s, "
        f"gunicorn {args.workers} workers, {'Redis' if not args.no_redis else 'local'} cache\n"
    )
    print("| scenario | clients | requests/s | p50 ms | p95 ms | requests | errors |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['scenario']} | {r['concurrency']} | {r['rps']} | {r['p50_ms']} | "
            f"{r['p95_ms']} | {r['requests']} | {r['errors']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
