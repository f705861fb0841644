"""Peak memory of an assessment as the log grows: in rows for counts, in posts for distinct.

Counts (the requested count, one-second CSV over 30 days, as bench/assess_speed.py makes):
the same full assessment at --rows and at --big-rows, side by side; memory should not grow
with rows, only with distinct instants (at most 2,592,000 in 30 days at one second) and
with what is priced over them. The rows alone are compared with a --rows file carrying
the same posts as the --big-rows one (each row ten times the posts): the same instants and
windows over the threshold in a tenth of the rows. The plain --rows file is shown too: it
has a tenth of the posts, fewer windows over the threshold, and a smaller worst-case
search (which keeps up to one take piece per instant and reading).

Distinct posts (Parquet with a post_id column, count="distinct") keep each post's first
and last sighting per quarter hour (its coverage, decision 0122): memory follows those
kept sightings, at most two per post and quarter hour it is seen in, not rows. Three
cases, the coverage's size printed with each run:
- posts each fetched several times within the quarter hour they were found in, the same
  rows with twice the posts: the bytes per distinct post (two kept sightings each);
- a crawler polling the same 10,000 posts for a day, at half and at all the rows: memory
  against rows (a ratio of 1.00 is flat);
- posts seen on random days of 30 (each row a new quarter hour of its post, so each row is
  kept), with the same posts in half the rows: the bytes per kept sighting; and every row
  a different post.
Each distinct run also prints what its state holds, from the arrays' sizes: the coverage
and the window counter (decision 0144). The peak mostly falls in the read, whose own
peak moves by tens of MiB from run to run; these sizes do not.

A fourth distinct case is a millisecond log whose windows hold more than a million
different posts, so that the worst-case search runs (decision 0145); the goal for fine logs
is a peak under 1 GB.

Each run is a fresh child process timing only the call (imports done, rules loaded); peak
memory is the child's VmHWM.

    python bench/memory.py                                # 10 M and 100 M rows
    python bench/memory.py --rows 1000000 --big-rows 5000000 --distinct-rows 2000000
    python bench/memory.py --part distinct              # the distinct-post cases only
    python bench/memory.py --part fine --dir /tmp/b     # the millisecond distinct case only
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
result = assess(sys.argv[1], rules=rules, count=sys.argv[2], tz=sys.argv[3])
seconds = time.perf_counter() - began
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
occurrences = result.volume.occurrences
state = None
if occurrences is not None:  # what the distinct state holds, from its arrays' sizes
    from calculator.damages.window_counts import DistinctCounter
    from calculator.ingest.volume import COVERAGE_SLOT
    counter = DistinctCounter(*occurrences, 86_400 * 10**9, COVERAGE_SLOT,
                              grid=result.volume.instants)
    state = {"coverage": occurrences[0].nbytes + occurrences[1].nbytes,
             "counter": counter.nbytes}
print(json.dumps({"rows": result.input.rows, "state": state, "seconds": seconds, "peak_bytes": peak,
                  "headline": str(result.headline.amount),
                  "distinct_posts": result.counts.get("distinct_posts"),
                  "instants": int(len(result.volume.instants)),
                  "coverage": (None if result.volume.occurrences is None
                               else int(len(result.volume.occurrences[0])))}))
"""


def measure(path: Path, count: str, tz: str = "UTC") -> dict:
    finished = subprocess.run([sys.executable, "-c", CHILD, str(path), count, tz],
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


def write_found_posts(path: Path, rows: int, posts: int, seed: int = 13,
                      days: int = 30) -> None:
    """Rows over ``days`` days; each of ``posts`` posts fetched ``rows / posts`` times within
    one quarter hour of its own (a crawler re-reading a post just after finding it)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(rows) % posts
    found = rng.integers(0, days * 96, posts) * 900  # each post's quarter hour
    seconds = found[ids] + rng.integers(0, 900, rows)
    order = np.argsort(seconds, kind="stable")
    seconds, ids = seconds[order] + START, ids[order] + 1_400_000_000_000_000_000
    stamps = np.char.add(np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s"), "Z")
    pq.write_table(pa.table({"timestamp": stamps, "post_id": ids.astype(str)}), path,
                   row_group_size=1 << 20)


def write_fine(path: Path, rows: int, posts: int, seed: int = 17) -> None:
    """Rows at millisecond resolution over the three days around the end of summer time in
    Berlin (one 25-hour calendar day), each fetching one of ``posts`` posts: most posts are
    seen once or twice, so a day's windows hold more than a million different posts and the
    worst-case search runs."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-10-25T00:00:00", "ms").astype(np.int64) - 2 * 3_600_000
    millis = np.sort(rng.integers(0, 73 * 3_600_000, rows)) + start
    stamps = np.char.add(np.datetime_as_string(millis.astype("datetime64[ms]"), unit="ms"),
                         "Z")
    ids = rng.integers(0, posts, rows) + 1_400_000_000_000_000_000
    pq.write_table(pa.table({"timestamp": stamps, "post_id": ids.astype(str)}), path,
                   row_group_size=1 << 20)


def show(name: str, run: dict) -> None:
    kept = "" if run.get("coverage") is None else f", coverage {run['coverage']:,}"
    if run.get("state"):
        kept += (f"; held: coverage {run['state']['coverage'] / 2**20:,.0f} MiB, window "
                 f"counter {run['state']['counter'] / 2**20:,.0f} MiB")
    print(f"  {name:<44} {run['seconds']:7.2f} s  peak {run['peak_bytes'] / 2**20:7,.0f} MiB"
          f"  ({run['instants']:,} instants, distinct posts {run['distinct_posts']}{kept})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--big-rows", type=int, default=100_000_000)
    parser.add_argument("--distinct-rows", type=int, default=10_000_000)
    parser.add_argument("--polled-posts", type=int, default=10_000)
    parser.add_argument("--fine-rows", type=int, default=6_000_000,
                        help="rows of the millisecond log whose windows go over the "
                        "threshold (its posts: two thirds of the rows)")
    parser.add_argument("--dir", type=Path, help="keep the generated files here")
    parser.add_argument("--part", choices=("all", "counts", "distinct", "fine"), default="all")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    where = args.dir or Path(folder.name)
    where.mkdir(parents=True, exist_ok=True)

    if args.part in ("all", "counts"):
        counts(args, where)
    if args.part in ("all", "distinct"):
        distinct(args, where)
    if args.part == "fine":
        fine(args, where)
    print("(the machine may be shared: figures are of one run each)")


def counts(args: argparse.Namespace, where: Path) -> None:
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



def distinct(args: argparse.Namespace, where: Path) -> None:
    rows = args.distinct_rows
    runs = {}

    def run(kind: str, case_rows: int, posts: int, label: str) -> dict:
        path = where / f"{kind}-{case_rows}-{posts}.parquet"
        if not path.exists():
            if kind == "found":
                write_found_posts(path, case_rows, posts)
            else:
                write_ids(path, case_rows, posts, days=1 if kind == "polling" else 30)
        runs[(kind, case_rows, posts)] = measure(path, "distinct")
        show(label, runs[(kind, case_rows, posts)])
        return runs[(kind, case_rows, posts)]

    print("Distinct posts (count=distinct): memory against distinct posts")
    few = run("found", rows, rows // 10, f"{rows:,} rows, {rows // 10:,} posts, each in one "
              "quarter hour")
    more = run("found", rows, rows // 5, f"{rows:,} rows, {rows // 5:,} posts, each in one "
               "quarter hour")
    per_post = (more["peak_bytes"] - few["peak_bytes"]) / (rows // 5 - rows // 10)
    print(f"  bytes per distinct post (same rows, twice the posts, two kept sightings each): "
          f"{per_post:,.0f} at the peak; {held_per(few, more, rows // 5 - rows // 10):,.0f} "
          "held by the distinct state (coverage and window counter), plus 8 while the "
          "counter is built")

    print("A crawler polling the same posts for a day: memory against rows")
    half = run("polling", rows // 2, args.polled_posts,
               f"{rows // 2:,} rows, {args.polled_posts:,} posts, one day")
    full = run("polling", rows, args.polled_posts,
               f"{rows:,} rows, {args.polled_posts:,} posts, one day")
    ratio = full["peak_bytes"] / half["peak_bytes"]
    print(f"  peak at {rows:,} / at {rows // 2:,} rows: {ratio:.2f} "
          f"(goal <= 1.05: {'met' if ratio <= 1.05 else 'NOT met'})")

    print("Posts seen on random days of 30 (each row a new quarter hour of its post)")
    half = run("random", rows // 2, rows // 10, f"{rows // 2:,} rows, {rows // 10:,} posts")
    full = run("random", rows, rows // 10, f"{rows:,} rows, {rows // 10:,} posts")
    run("random", rows, rows, f"{rows:,} rows, {rows:,} posts (each seen once)")
    per_sighting = (full["peak_bytes"] - half["peak_bytes"]) / max(
        1, full["coverage"] - half["coverage"])
    kept = max(1, full["coverage"] - half["coverage"])
    print(f"  bytes per kept sighting (same posts, twice the rows, every row kept): "
          f"{per_sighting:,.0f} at the peak; {held_per(half, full, kept):,.0f} held by the "
          "distinct state")

    fine(args, where)


def fine(args: argparse.Namespace, where: Path) -> None:
    print("A millisecond log whose windows hold more than a million different posts "
          "(the worst-case search runs)")
    fine_rows = args.fine_rows
    path = where / f"fine-{fine_rows}.parquet"
    if not path.exists():
        write_fine(path, fine_rows, fine_rows * 2 // 3)
    fine = measure(path, "distinct", "Europe/Berlin")
    show(f"{fine_rows:,} rows at ms, {fine_rows * 2 // 3:,} posts, 3 days, Berlin", fine)
    print(f"  headline {fine['headline']}; peak {fine['peak_bytes'] / 2**20:,.0f} MiB "
          f"(goal < 1,024 MiB: {'met' if fine['peak_bytes'] < 2**30 else 'NOT met'})")


def held_per(smaller: dict, larger: dict, more: int) -> float:
    """Bytes of the distinct state (the coverage and the window counter, from their
    arrays' sizes) per unit more of what grew between two runs."""
    def held(run: dict) -> int:
        return run["state"]["coverage"] + run["state"]["counter"]
    return (held(larger) - held(smaller)) / more


if __name__ == "__main__":
    main()
