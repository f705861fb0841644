"""Our full assessment against pandas, polars and DuckDB computing only the 24-hour peak.

The same CSV (N rows over 30 days at one-second resolution, as bench/assess_speed.py makes
it) is given to each, each in a fresh child process on a warm file cache, timing the read
and the computation (imports done):
  - calculator.assess: read, hash, fold, every one of the 18 readings, the peak included;
  - pandas: read_csv, then the most posts in any trailing 24 hours (rolling('24h'));
  - pandas with the pyarrow CSV engine: the same;
  - polars: read_csv, then rolling(period='24h') sums;
  - DuckDB: read_csv, posts per second, then a RANGE window of 24 hours.
A window (t - 24h, t] at one-second resolution is [t - 24h + 1 s, t + 1 s): the largest of
them is the largest count of any [s, s + 24h), which is our peak. Each peer's peak is
checked equal to ours; a peer that disagrees is reported, not timed as a success.

The peers are not runtime dependencies: install them for this bench only,
    pip install -e '.[bench]'        (polars, duckdb; pandas is already there)
    python bench/peers.py            # 10,000,000 rows
    python bench/peers.py --rows 2000000 --keep /tmp/peers.csv --reuse
Goal (issue 12): the full assessment faster than every peer's peak alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assess_speed import prepared_log  # the bench's own log and its options

CHILD = r"""
import json, sys, time
path, what = sys.argv[1], sys.argv[2]
if what == "assess":
    from calculator.damages.assessment import assess, default_lookup
    rules = default_lookup()
    began = time.perf_counter()
    result = assess(path, rules=rules)
    peak = result.peak.posts
elif what in ("pandas", "pandas-pyarrow"):
    import pandas as pd
    began = time.perf_counter()
    engine = {"engine": "pyarrow"} if what == "pandas-pyarrow" else {}
    frame = pd.read_csv(path, **engine)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    series = frame.set_index("timestamp")["posts"].sort_index()
    peak = int(series.rolling("24h").sum().max())
elif what == "polars":
    import polars as pl
    began = time.perf_counter()
    frame = pl.read_csv(path, try_parse_dates=True).sort("timestamp")
    sums = frame.rolling(index_column="timestamp", period="24h").agg(pl.col("posts").sum())
    peak = int(sums["posts"].max())
elif what == "duckdb":
    import duckdb
    duckdb.sql("SET enable_progress_bar = false")
    began = time.perf_counter()
    peak = duckdb.sql(f'''
        WITH per_second AS (
            SELECT CAST(timestamp AS TIMESTAMPTZ) AS ts, SUM(posts) AS posts
            FROM read_csv('{path}') GROUP BY 1)
        SELECT MAX(total) FROM (
            SELECT SUM(posts) OVER (ORDER BY ts RANGE BETWEEN INTERVAL 86399 SECOND PRECEDING
                                    AND CURRENT ROW) AS total
            FROM per_second)''').fetchall()[0][0]
    peak = int(peak)
seconds = time.perf_counter() - began
with open("/proc/self/status") as status:
    memory = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "peak_posts": peak, "peak_bytes": memory}))
"""

PEERS = ("pandas", "pandas-pyarrow", "polars", "duckdb")


def measure(path: Path, what: str, runs: int) -> dict:
    best = None
    for _ in range(runs):
        finished = subprocess.run([sys.executable, "-c", CHILD, str(path), what],
                                  capture_output=True, text=True)
        if finished.returncode:
            reason = (finished.stderr.strip().splitlines() or ["failed"])[-1]
            return {"error": reason}
        run = json.loads(finished.stdout.strip().splitlines()[-1])  # after any chatter
        best = run if best is None or run["seconds"] < best["seconds"] else best
    return best


def main() -> None:
    args, path, _folder = prepared_log(__doc__.splitlines()[0], runs=1)
    ours = measure(path, "assess", args.runs)
    print(f"{'who':<36}{'seconds':>9}{'peak MiB':>10}  24-hour peak")
    print(f"{'calculator.assess (all 18 readings)':<36}{ours['seconds']:9.2f}"
          f"{ours['peak_bytes'] / 2**20:10,.0f}  {ours['peak_posts']:,}")
    slower = []
    for peer in PEERS:
        run = measure(path, peer, args.runs)
        if "error" in run:
            print(f"{peer + ' (peak only)':<36}  could not run: {run['error']}")
            continue
        same = run["peak_posts"] == ours["peak_posts"]
        print(f"{peer + ' (peak only)':<36}{run['seconds']:9.2f}"
              f"{run['peak_bytes'] / 2**20:10,.0f}  {run['peak_posts']:,} "
              f"({'equal to ours' if same else 'DIFFERENT from ours'})")
        if same:
            slower.append(run["seconds"] > ours["seconds"])
    verdict = "met" if slower and all(slower) else "NOT met"
    print(f"goal: the full assessment faster than every peer's peak alone: {verdict} "
          "(the machine may be shared: see the load while it ran)")


if __name__ == "__main__":
    main()
