"""Peak memory of an assessment as the log grows: in rows for counts, in posts for distinct.

Counts (the requested count, one-second CSV over 30 days, as bench/assess_speed.py makes):
the same full assessment at --rows and at --big-rows, side by side; memory should not grow
with rows, only with distinct instants (at most 2,592,000 in 30 days at one second) and
with what is priced over them. The rows alone are compared with a --rows file carrying
the same posts as the --big-rows one (each row ten times the posts): the same instants and
windows over the threshold in a tenth of the rows. The plain --rows file is shown too: it
has a tenth of the posts, fewer windows over the threshold, and a smaller worst-case
search (which keeps up to one take piece per instant and reading).

Distinct posts (Parquet with a post_id column, count="distinct"): the same number of rows
with few and with many different posts, and the same posts in half the rows; the
differences give the bytes per distinct post and per row with a post id. The distinct count
keeps each post's first and last sighting per quarter hour (its coverage, decision 0122),
so a row costs memory only when it shows a post in a quarter hour not seen before; the
coverage's size is printed with each run.

Each run is a fresh child process timing only the call (imports done, rules loaded); peak
memory is the child's VmHWM.

    python bench/memory.py                                # 10 M and 100 M rows
    python bench/memory.py --rows 1000000 --big-rows 5000000 --distinct-rows 2000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from assess_speed import START, generate

CHILD = r"""
import json, sys, time
from calculator.damages.assessment import assess, default_lookup
rules = default_lookup()
began = time.perf_counter()
result = assess(sys.argv[1], rules=rules, count=sys.argv[2])
seconds = time.perf_counter() - began
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps({"rows": result.input.rows, "seconds": seconds, "peak_bytes": peak,
                  "headline": str(result.headline.amount),
                  "distinct_posts": result.counts.get("distinct_posts"),
                  "instants": int(len(result.volume.instants)),
                  "coverage": (None if result.volume.occurrences is None
                               else int(len(result.volume.occurrences[0])))}))
"""


def measure(path: Path, count: str) -> dict:
    finished = subprocess.run([sys.executable, "-c", CHILD, str(path), count],
                              capture_output=True, text=True, check=True)
    return json.loads(finished.stdout)


def write_ids(path: Path, rows: int, posts: int, seed: int = 11, days: int = 30) -> None:
    """Rows over ``days`` days at one second, each fetching one of ``posts`` post ids."""
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, days * 86_400, rows)) + START
    stamps = np.char.add(np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s"), "Z")
    ids = rng.permutation(np.arange(rows) % posts) + 1_400_000_000_000_000_000  # X-like ids
    pq.write_table(pa.table({"timestamp": stamps, "post_id": ids.astype(str)}), path,
                   row_group_size=1 << 20)


def show(name: str, run: dict) -> None:
    kept = "" if run.get("coverage") is None else f", coverage {run['coverage']:,}"
    print(f"  {name:<44} {run['seconds']:7.2f} s  peak {run['peak_bytes'] / 2**20:7,.0f} MiB"
          f"  ({run['instants']:,} instants, distinct posts {run['distinct_posts']}{kept})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--big-rows", type=int, default=100_000_000)
    parser.add_argument("--distinct-rows", type=int, default=10_000_000)
    parser.add_argument("--polled-posts", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, help="keep the generated files here")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    where = args.dir or Path(folder.name)
    where.mkdir(parents=True, exist_ok=True)

    print("Counts: memory against rows (requested count, one-second CSV over 30 days)")
    scale = max(1, args.big_rows // args.rows)
    cases = [(args.rows, 1), (args.rows, scale), (args.big_rows, 1)]
    runs = {}
    for rows, posts_scale in cases:
        path = where / f"counts-{rows}-x{posts_scale}.csv"
        if not path.exists():
            generate(path, rows, posts_scale=posts_scale)
        runs[(rows, posts_scale)] = measure(path, "requested")
        more = "" if posts_scale == 1 else f", {posts_scale}x the posts per row"
        show(f"{rows:,} rows ({path.stat().st_size / 1e6:,.0f} MB{more})",
             runs[(rows, posts_scale)])
    big = runs[(args.big_rows, 1)]["peak_bytes"]
    # Rows alone: the same instants and the same posts over them (so the same windows over
    # the threshold and the same worst-case search), in 1/scale of the rows. The plain
    # file with fewer rows also has fewer posts: fewer windows are over the threshold, and
    # the worst-case search keeps fewer take pieces (at most one per instant and reading).
    growth = big / runs[(args.rows, scale)]["peak_bytes"]
    print(f"  peak at {args.big_rows:,} rows / at {args.rows:,} rows with the same posts: "
          f"{growth:.2f} (goal <= 1.00 within noise: {'met' if growth <= 1.05 else 'NOT met'})")
    print(f"  peak at {args.big_rows:,} rows / at {args.rows:,} rows with 1/{scale} of the "
          f"posts: {big / runs[(args.rows, 1)]['peak_bytes']:.2f} (rows and the volume "
          "priced both grow)")

    print("Distinct posts: memory against different posts and against rows (count=distinct)")
    rows = args.distinct_rows
    cases = [(rows, rows // 10), (rows, rows), (rows // 2, rows // 10)]
    found = {}
    for case_rows, posts in cases:
        path = where / f"distinct-{case_rows}-{posts}.parquet"
        if not path.exists():
            write_ids(path, case_rows, posts)
        found[(case_rows, posts)] = measure(path, "distinct")
        show(f"{case_rows:,} rows, {posts:,} posts", found[(case_rows, posts)])
    few, many = found[(rows, rows // 10)], found[(rows, rows)]
    half = found[(rows // 2, rows // 10)]
    per_post = (many["peak_bytes"] - few["peak_bytes"]) / (rows - rows // 10)
    per_row = (few["peak_bytes"] - half["peak_bytes"]) / (rows - rows // 2)
    print(f"  bytes per distinct post (same rows, more posts): {per_post:,.0f}")
    print(f"  bytes per row with a post id (same posts, twice the rows): {per_row:,.0f}")

    print("A crawler polling the same posts for a day (count=distinct): memory against rows")
    polled = []
    for case_rows in (rows // 2, rows):
        path = where / f"polling-{case_rows}.parquet"
        if not path.exists():
            write_ids(path, case_rows, args.polled_posts, days=1)
        polled.append(measure(path, "distinct"))
        show(f"{case_rows:,} rows, {args.polled_posts:,} posts, one day", polled[-1])
    print(f"  peak at {rows:,} / at {rows // 2:,} rows: "
          f"{polled[1]['peak_bytes'] / polled[0]['peak_bytes']:.2f}")
    print("(the machine may be shared: figures are of one run each)")


if __name__ == "__main__":
    main()
