"""Speed and memory of a full assessment against pyarrow.csv.read_csv on the same file.

Generates a CSV log of N rows over 30 days at one-second resolution (posts 1 to 9 a row,
so every day holds more than a million posts and every reading has windows to price),
then, each in a fresh child process on a warm file cache, timing only the call (imports
done; the rules loaded, as in the running service):
  - pyarrow.csv.read_csv(path): the baseline;
  - calculator.assess(path): the full assessment (read, hash, fold, all 18 readings).
Prints rows per second, seconds, peak memory (max RSS) of each, and the ratio.

    python bench/assess_speed.py                # 10,000,000 rows
    python bench/assess_speed.py --rows 100000000 --keep /tmp/big.csv
Goals (issue 3): ratio <= 2.0; peak memory < 1.5 GB; memory at 100M rows no higher than
at 10M rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

DAYS = 30
START = np.datetime64("2025-03-01T00:00:00", "s").astype(np.int64)

CHILD = r"""
import json, sys, time
path, what = sys.argv[1], sys.argv[2]
if what == "baseline":
    import pyarrow.csv
    began = time.perf_counter()
    table = pyarrow.csv.read_csv(path)
    rows = table.num_rows
    extra = {}
else:
    from calculator.damages.assessment import assess, default_lookup
    rules = default_lookup()  # loaded once at start in the service; not part of an assessment
    began = time.perf_counter()
    result = assess(path, rules=rules)
    rows = result.input.rows
    extra = {"headline": str(result.headline.amount), "low": str(result.low),
             "high": str(result.high), "distinct_instants": int(len(result.volume.instants))}
seconds = time.perf_counter() - began
# VmHWM: this process's own peak resident memory (ru_maxrss would carry the parent's over
# the fork and exec).
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps({"rows": rows, "seconds": seconds, "peak_bytes": peak, **extra}))
"""


def generate(path: Path, rows: int, seed: int = 7, posts_scale: int = 1) -> None:
    """Sorted one-second timestamps over 30 days, written in slices to bound memory; each
    row fetched 1 to 9 posts, times ``posts_scale``."""
    rng = np.random.default_rng(seed)
    span = DAYS * 86_400
    slices = max(1, rows // 5_000_000)
    with pacsv.CSVWriter(str(path), pa.schema([("timestamp", pa.string()),
                                              ("posts", pa.int64())])) as writer:
        for index in range(slices):
            count = rows // slices + (1 if index < rows % slices else 0)
            low, high = span * index // slices, span * (index + 1) // slices
            seconds = np.sort(rng.integers(low, high, count)) + START
            stamps = np.char.add(np.datetime_as_string(seconds.astype("datetime64[s]"),
                                                       unit="s"), "Z")
            writer.write_table(pa.table({"timestamp": pa.array(stamps),
                                         "posts": rng.integers(1, 10, count) * posts_scale}))


def measure(path: Path, what: str) -> dict:
    finished = subprocess.run([sys.executable, "-c", CHILD, str(path), what],
                              capture_output=True, text=True, check=True)
    return json.loads(finished.stdout)


def prepared_log(description: str, runs: int
                 ) -> tuple[argparse.Namespace, Path, tempfile.TemporaryDirectory]:
    """The bench's arguments and its generated log, read once so every side reads from cache."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, help="write the log here and keep it")
    parser.add_argument("--reuse", action="store_true", help="reuse --keep if it exists")
    parser.add_argument("--runs", type=int, default=runs, help="timed runs of each (best kept)")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    path = args.keep or Path(folder.name) / "log.csv"
    if not (args.reuse and path.exists()):
        began = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {args.rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB in "
              f"{time.perf_counter() - began:.1f} s")
    with path.open("rb") as warm:
        while warm.read(1 << 24):
            pass
    return args, path, folder  # the folder lives as long as the caller holds it


def main() -> None:
    args, path, _folder = prepared_log(__doc__.splitlines()[0], runs=2)

    baseline = min((measure(path, "baseline") for _ in range(args.runs)),
                   key=lambda r: r["seconds"])
    assessed = min((measure(path, "assess") for _ in range(args.runs)),
                   key=lambda r: r["seconds"])
    ratio = assessed["seconds"] / baseline["seconds"]
    for name, run in (("pyarrow.csv.read_csv", baseline), ("calculator.assess", assessed)):
        print(f"{name:<22} {run['seconds']:7.2f} s  {run['rows'] / run['seconds']:14,.0f} "
              f"rows/s  peak {run['peak_bytes'] / 2**20:8,.0f} MiB")
    print(f"ratio assess / read_csv: {ratio:.2f} (goal <= 2.00)")
    print(f"assessment: headline {assessed['headline']}, range {assessed['low']} .. "
          f"{assessed['high']}, {assessed['distinct_instants']:,} distinct instants")
    print(f"peak memory of the assessment: {assessed['peak_bytes'] / 2**30:.2f} GiB "
          "(goal < 1.5 GB)")
    if os.environ.get("BENCH_JSON"):
        print(json.dumps({"baseline": baseline, "assess": assessed, "ratio": ratio}))


if __name__ == "__main__":
    main()
