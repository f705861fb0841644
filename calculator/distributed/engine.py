"""The Dask engine: the files of a log read and reduced on a Dask cluster's workers.

Each file is one partition, read in groups of files in name order (about four groups per
worker, so that many small files are not as many round trips). Workers read their files
(paths or fsspec URLs they can reach themselves, with the credentials of their own
environment) into sparse per-instant counts,
which are summed in a tree on the workers; post ids are shuffled by a hash of the id into
buckets, each reduced on one worker (see ``partitions``). The client receives only the
merged counts, each file's description, and, when the distinct count is priced, one
occurrence per (instant, post). The pricing is the local engine's, on the same counts: the
answer is the same to the cent and to the window (decision 0096).

Where the cluster comes from: a scheduler address (``tcp://host:8786``), a
``distributed.Client`` the caller made (for Kubernetes, YARN...; decision 0097), or, when
neither is given, a local cluster of one worker process per core, started for the call.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from calculator import __version__
from calculator.errors import InvalidArgument
from calculator.ingest import progress
from calculator.ingest.formats import COUNTS, ReadChoices, from_table
from calculator.ingest.many import ManyRead, expand, merge_tables, note_files
from calculator.ingest.tabular import Collector, TableRead, finish_table
from calculator.ingest.volume import Volume

from . import partitions as p

ENGINES = ("local", "dask")
_FAN_IN = 8  # count parts merged by one task of the tree
_TASKS_PER_WORKER = 4  # groups of files per worker: fewer round trips, still balanced
_CONNECT_SECONDS = 10


def worker_version() -> str:
    """The engine version a worker runs (every worker must run this one)."""
    return __version__


@contextmanager
def connected(scheduler: str | Any | None) -> Iterator[Any]:
    """A client of the cluster ``scheduler`` names: an address, a ``distributed.Client``
    (used as it is, not closed), or None for a local cluster of worker processes, one per
    core, for the time of the call."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InvalidArgument("engine: the dask engine needs dask.distributed; install it "
                              "(pip install 'scraping-cost-calculator[dask]')") from None
    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler is None:
        with LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as client:
            yield client
        return
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise InvalidArgument(f"scheduler: {scheduler!r} is not a scheduler address; give "
                              "one such as tcp://host:8786")
    try:
        client = Client(scheduler, timeout=_CONNECT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise InvalidArgument(f"scheduler: cannot reach the Dask scheduler at {scheduler} "
                              f"within {_CONNECT_SECONDS} s ({type(exc).__name__})") from None
    with client:
        yield client


def _check_workers(client: Any) -> int:
    """How many workers there are, once each has said it runs this engine's version."""
    try:
        versions = client.run(worker_version)
    except ImportError:
        raise InvalidArgument("engine: the Dask workers cannot import the calculator; "
                              f"install scraping-cost-calculator {__version__} on them"
                              ) from None
    if not versions:
        raise InvalidArgument("scheduler: the Dask cluster has no workers")
    other = sorted({v for v in versions.values() if v != __version__})
    if other:
        raise InvalidArgument(f"engine: the Dask workers run calculator {', '.join(other)}, "
                              f"not {__version__}: the answer must come from one engine "
                              "version; install the same version on them")
    return len(versions)


def read_on_dask(locations: Sequence[str | os.PathLike[str]], fmt: str | None,
                 choices: ReadChoices, scheduler: str | Any | None = None,
                 max_bytes: int | None = None, many: bool = True) -> ManyRead:
    """Read the log that ``locations`` name on a Dask cluster: the same read as
    ``calculator.ingest.many.read_many`` gives (``many`` false: as one file is read)."""
    if choices.count not in COUNTS:
        raise InvalidArgument(f"count: '{choices.count}' is not one of {', '.join(COUNTS)}")
    files, hidden = expand(locations, max_bytes)
    names = [f.name for f in files]
    with connected(scheduler) as client:
        workers = _check_workers(client)
        buckets = 2 * workers
        size = -(-len(names) // (_TASKS_PER_WORKER * workers))
        groups = [names[i:i + size] for i in range(0, len(names), size)]
        parts = client.map(p.count_files, groups, fmt=fmt, choices=choices, buckets=buckets,
                           max_bytes=max_bytes, pure=False)
        # The futures are released when this returns (or raises), and the workers forget
        # their results: nothing of the log stays on the cluster.
        merged = _merged_counts(client, parts)  # merging while files are still read
        summaries = _summaries(client, parts)
        has_post_ids = any(found for _, _, found in summaries)
        posts = _shuffled_posts(client, parts, buckets, choices.count == "distinct") \
            if has_post_ids else []
        counts = merged.result()
    collector = Collector(TableRead(format="", volume=Volume.empty()), choices.platform,
                          choices.assume_tz)
    collector.builder.add(*counts)
    collector.has_post_ids = has_post_ids
    kept = [b for b in posts if b.instants is not None]
    if kept:
        collector.occurrences = [(np.concatenate([b.instants for b in kept]),
                                  np.concatenate([b.numbers for b in kept]))]
    whole = merge_tables([table for _, tables, _ in summaries for table in tables])
    collector.result = whole
    read = from_table(finish_table(whole, collector, True), choices)
    if has_post_ids:  # the buckets' posts are disjoint: their numbers add up
        read.counts["distinct_posts"] = sum(b.distinct for b in posts)
    if many:
        note_files(read, len(files), hidden)
    return ManyRead(read=read, files=[file for files, _, _ in summaries for file in files])


def _summaries(client: Any, parts: list[Any]) -> list[tuple[Any, Any, bool]]:
    """Each group's descriptions and readings, in the files' order; progress reported as
    groups finish; the first file (in order) that cannot be read raises its own error, as
    the local engine would."""
    from distributed import as_completed, wait

    futures = client.map(p.summary_of, parts)
    for done in as_completed(futures):
        if done.status == "finished":
            files, tables, _ = done.result()
            progress.bytes_read(sum(file.bytes for file in files))
            progress.rows_read(sum(table.rows for table in tables))
    wait(futures)
    for future in futures:
        if future.status == "error":
            raise future.exception()
    return client.gather(futures)


def _merged_counts(client: Any, parts: list[Any]) -> Any:
    """Every file's counts summed in a tree of tasks on the workers (a future)."""
    level = client.map(p.counts_of, parts)
    while len(level) > 1:
        level = [client.submit(p.merge_counts, *level[i:i + _FAN_IN])
                 for i in range(0, len(level), _FAN_IN)]
    return level[0]


def _shuffled_posts(client: Any, parts: list[Any], buckets: int,
                    keep_occurrences: bool) -> list[p.BucketPosts]:
    """Each bucket's posts, reduced on one worker from the pieces of every file."""
    reduced = []
    for bucket in range(buckets):
        pieces = [client.submit(p.piece_of, part, bucket) for part in parts]
        reduced.append(client.submit(p.reduce_bucket, bucket, buckets, keep_occurrences,
                                     *pieces))
    return client.gather(reduced)


def sources_for(source: object, engine: str) -> list[str | os.PathLike[str]]:
    """The locations of a log for ``engine`` (only paths and URLs: the workers open the
    files themselves)."""
    if engine not in ENGINES:
        raise InvalidArgument(f"engine: '{engine}' is not one of {', '.join(ENGINES)}")
    items = list(source) if isinstance(source, list | tuple) else [source]
    for item in items:
        if not isinstance(item, str | os.PathLike) or os.fspath(item) == "-":
            raise InvalidArgument("engine: the dask engine reads files and URLs that its "
                                  "workers can reach, not standard input, bytes or open "
                                  "files; use the local engine for those")
    return items  # type: ignore[return-value]
