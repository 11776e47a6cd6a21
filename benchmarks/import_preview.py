"""Time of the spreadsheet import's preview (the admin's dry run) by file size (a measurement,
not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perer_bench_import \\
        .venv/bin/python benchmarks/import_preview.py --setup     # migrate, seed, 10,000 actions
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perer_bench_import \\
        .venv/bin/python benchmarks/import_preview.py             # 500, 2,000, 10,000 rows

The file is the tracking export of N actions with every tenth row given a new status and
progress (the others unchanged, as a city sends it back); the preview is
`ActionTrackingResource().import_data(dataset, dry_run=True)`, what the admin runs on upload.
Prints the median of --runs runs per size, the time per row and the rows per second; a linear
import keeps the time per row flat. `--setup` uses `generate_demo_data` (synthetic territories);
`generate_demo_data --remove` deletes them.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_data(actions):
    python = str(ROOT / ".venv" / "bin" / "python")
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["seed_protocols", "-v0"],
        ["generate_demo_data", "--territories", "20", "--actions", str(actions)],
    ):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, check=True)


def file_of(size):
    import tablib

    from commitments.models import Action
    from commitments.services.spreadsheet import ActionTrackingResource

    pks = list(Action.objects.order_by("pk").values_list("pk", flat=True)[:size])
    if len(pks) < size:
        raise SystemExit(f"{len(pks)} actions in the database, {size} asked: run --setup")
    exported = ActionTrackingResource().export(queryset=Action.objects.filter(pk__in=pks))
    status, progress = exported.headers.index("statut"), exported.headers.index("avancement")
    rows = []
    for number, row in enumerate(exported):
        row = list(row)
        if number % 10 == 0:
            row[status], row[progress] = "En cours", "40"
        rows.append(row)
    return tablib.Dataset(*rows, headers=exported.headers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true", help="migrate, seed, add demo data")
    parser.add_argument("--sizes", default="500,2000,10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.setup:
        setup_data(max(sizes))
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perer.settings")
    import django

    django.setup()
    from commitments.services.spreadsheet import ActionTrackingResource

    print("| rows | median s | ms per row | rows/s |")
    print("|---|---|---|---|")
    for size in sizes:
        dataset = file_of(size)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = ActionTrackingResource().import_data(dataset, dry_run=True)
            times.append(time.perf_counter() - start)
            if result.has_errors() or result.has_validation_errors():
                raise SystemExit(f"{size} rows: the preview found errors")
        median = statistics.median(times)
        print(f"| {size} | {median:.2f} | {1000 * median / size:.2f} | {size / median:.0f} |")


if __name__ == "__main__":
    main()
