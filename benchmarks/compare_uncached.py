"""Before/after comparison of the uncached pages on a noisy machine (issue #15).

    .venv/bin/python benchmarks/compare_uncached.py \
        --before /tmp/before postgres://postgres@127.0.0.1:5432/perer_uncached_before \
        --after . postgres://postgres@127.0.0.1:5432/perer_uncached --rounds 3

Runs each checkout's own benchmarks/uncached_pages.py alternately on the two checkouts, each
on its own database (the same seed; each migrated by its own code), `--rounds` times each, so
that both see the same moments of a shared machine; prints, per page, the smallest and the
middle of the runs' medians, before and after, and the after/before ratio of the smallest.
A measurement, not a test.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROW = re.compile(r"^\| `([^`]+)` \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| (\d+) \| (\d+) \|$")


def one_run(checkout, database_url, repeat, mode="warm", clock="wall"):
    # This checkout's script, run with the other checkout's code (its folder first on the path):
    # an older checkout's own script may not know the modes.
    script = Path(__file__).resolve().parent / "uncached_pages.py"
    out = subprocess.run(
        [sys.executable, str(script), "--repeat", str(repeat), "--mode", mode, "--clock", clock],
        cwd=checkout,
        env={**os.environ, "DATABASE_URL": database_url, "PERER_CHECKOUT": str(checkout)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {m[1]: (float(m[2]), int(m[5])) for m in map(ROW.match, out.splitlines()) if m}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", nargs=2, metavar=("CHECKOUT", "DATABASE_URL"), required=True)
    parser.add_argument("--after", nargs=2, metavar=("CHECKOUT", "DATABASE_URL"), required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=12)
    parser.add_argument("--mode", choices=("warm", "cold", "edit"), default="warm")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    runs = {"before": [], "after": []}
    for _ in range(args.rounds):
        for side in ("before", "after"):
            runs[side].append(one_run(*getattr(args, side), args.repeat, args.mode, args.clock))
    print(
        f"mode {args.mode}, {args.clock} clock: {args.rounds} alternate runs each, "
        f"median of {args.repeat}",
        end="",
    )
    print(" requests per run\n")
    print("| page | before ms (min / middle) | after ms (min / middle) | after ÷ before |", end="")
    print(" queries |")
    print("|---|---|---|---|---|")
    for page in runs["before"][0]:
        before = [run[page][0] for run in runs["before"]]
        after = [run[page][0] for run in runs["after"]]
        queries = f"{runs['before'][0][page][1]} → {runs['after'][0][page][1]}"
        print(
            f"| `{page}` | {min(before):.1f} / {statistics.median(before):.1f} | "
            f"{min(after):.1f} / {statistics.median(after):.1f} | "
            f"{min(after) / min(before):.2f} | {queries} |"
        )


if __name__ == "__main__":
    main()
