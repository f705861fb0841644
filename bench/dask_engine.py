"""The Dask engine on a LocalCluster of worker processes against the local engine, on one
partitioned log, side by side in one run.

Writes N Parquet files (default 100 x 1,000,000 rows: 100 M rows) of one crawl over 30 days,
each file a consecutive stretch of it as a partitioned dataset is written (timestamp at one
second, posts 1 to 9 a row, and with --ids a post id column). Then, in this process:
  - pyarrow.parquet.read_table of the same columns of every file (the bare read, a baseline)
  - calculator.assess(folder)                                   (the local engine)
  - calculator.assess(folder, engine="dask", scheduler=client)  (a LocalCluster of --workers
                                                                 worker processes)
and prints each time, the speed-up of the Dask engine over the local one, the client's peak
memory, and whether the two documents are the same (they must be, to the cent and window).

    python bench/dask_engine.py                                 # 100 files x 1 M rows
    python bench/dask_engine.py --files 20 --rows 500000 --ids  # smaller, distinct counted
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DAYS = 30
START = np.datetime64("2025-03-01T00:00:00", "s").astype(np.int64)


def write_files(folder: Path, files: int, rows: int, ids: bool) -> None:
    span = DAYS * 86_400 // files  # seconds each file covers
    for number in range(files):
        rng = np.random.default_rng(number)
        seconds = START + number * span + np.sort(rng.integers(0, span, rows))
        columns = {"timestamp": pa.array(seconds, pa.timestamp("s", "UTC")),
                   "posts": rng.integers(1, 10, rows)}
        if ids:  # posts seen again across files: a pool of 50 M numeric ids
            columns["post_id"] = pa.array(rng.integers(0, 50_000_000, rows)).cast(pa.string())
        pq.write_table(pa.table(columns), folder / f"part-{number:04d}.parquet",
                       row_group_size=1_000_000)


def timed(what, *args, **kwargs) -> tuple[float, object]:
    began = time.perf_counter()
    answer = what(*args, **kwargs)
    return time.perf_counter() - began, answer


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """Processor time of this process so far (user and system, all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per file")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ids", action="store_true",
                        help="add a post id column and price the distinct count")
    parser.add_argument("--folder", type=Path, default=None,
                        help="keep the files here (written once, reused by later runs)")
    options = parser.parse_args()

    from distributed import Client, LocalCluster

    import calculator
    from calculator.damages.assessment import default_lookup

    default_lookup()  # rules loaded before any timing, as in a running service
    temporary = None
    folder = options.folder
    if folder is None:
        temporary = tempfile.TemporaryDirectory()
        folder = Path(temporary.name)
    folder.mkdir(parents=True, exist_ok=True)
    if not any(folder.glob("*.parquet")):
        seconds, _ = timed(write_files, folder, options.files, options.rows, options.ids)
        print(f"wrote {options.files} files x {options.rows:,} rows in {seconds:.1f} s")
    paths = sorted(folder.glob("*.parquet"))
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    size = sum(p.stat().st_size for p in paths)
    count = "distinct" if options.ids else "requested"
    columns = ["timestamp", "posts"] + (["post_id"] if options.ids else [])
    print(f"{len(paths)} Parquet files, {rows:,} rows, {size / 2**20:,.0f} MiB; count {count}; "
          f"machine shared with other work")

    read_s, _ = timed(lambda: sum(pq.read_table(p, columns=columns).num_rows for p in paths))
    before = cpu_seconds()
    local_s, local = timed(calculator.assess, str(folder), count=count)
    local_cpu = cpu_seconds() - before
    local_peak = peak_rss_mb()
    with LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.run(lambda: __import__("calculator.distributed.partitions"))  # warm workers
        workers_before = sum(client.run(cpu_seconds).values())
        before = cpu_seconds()
        dask_s, on_dask = timed(calculator.assess, str(folder), count=count, engine="dask",
                                scheduler=client)
        client_cpu = cpu_seconds() - before
        workers_cpu = sum(client.run(cpu_seconds).values()) - workers_before
    same = json.dumps(local.to_document(), sort_keys=True) == json.dumps(
        on_dask.to_document(), sort_keys=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{'pyarrow read_table (same columns)':<42}{read_s:>9.1f} s")
    print(f"{'local engine':<42}{local_s:>9.1f} s   {local_cpu:6.1f} CPU s   "
          f"peak RSS {local_peak:,.0f} MB")
    print(f"{f'dask engine, {options.workers}-worker LocalCluster':<42}{dask_s:>9.1f} s   "
          f"{client_cpu:6.1f} CPU s here + {workers_cpu:.1f} on the workers   "
          f"speed-up {local_s / dask_s:.2f}x over the local engine")
    print(f"{os.cpu_count()} cores; load average {load} (the machine is shared: wall times "
          "include waiting for a core)")
    print(f"headline {local.currency} {local.headline.amount} local, "
          f"{on_dask.currency} {on_dask.headline.amount} dask; range {local.low}-{local.high}; "
          f"documents identical: {same}")
    if temporary is not None:
        temporary.cleanup()
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
