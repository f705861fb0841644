"""The Dask engine: the files of a log read and reduced on a Dask cluster's workers.

Each file is one partition, read in groups of files in name order (about four groups per
worker, so that many small files are not as many round trips). Workers read their files
(paths or fsspec URLs they can reach themselves, with the credentials of their own
environment) into sparse per-instant counts,
which are summed in a tree on the workers; post ids are shuffled by a hash of the id into
buckets, each reduced on one worker (see ``partitions``). The client receives only the
merged counts, each file's description, and, when the distinct count is priced, each
bucket's different posts per instant (sparse counts, summed here) and its coverage (each
post's first and last occurrence per quarter hour, decision 0122). The pricing is the local
engine's, on the same counts: the answer is the same to the cent and to the window
(decision 0096).

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

from calculator import __version__
from calculator.errors import InvalidArgument, InvalidInput
from calculator.ingest import progress
from calculator.ingest.crawl_counts import CrawlCounts
from calculator.ingest.crawlers import CRAWLER_FORMATS, HostMap
from calculator.ingest.formats import (
    COUNTS,
    LogRead,
    ReadChoices,
    detect_format,
    from_table,
    read_of_counts,
)
from calculator.ingest.many import LogFile, ManyRead, _in_file, expand, note_files
from calculator.ingest.merged_reads import merge_reports, merge_tables
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
        # Port 0 for the scheduler's HTTP routes: the default (8787) may be another
        # cluster's on this host. A task's error comes back to the caller, who says it in
        # a line: the workers' own log of it (a traceback on standard error) is not shown.
        with LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.CRITICAL) as cluster, \
                Client(cluster) as client:
            yield client
        return
    _check_address(scheduler)
    try:
        client = Client(scheduler, timeout=_CONNECT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise InvalidArgument(f"scheduler: cannot reach the Dask scheduler at {scheduler} "
                              f"within {_CONNECT_SECONDS} s ({type(exc).__name__})") from None
    with client:
        yield client


def _check_address(scheduler: object) -> None:
    """A scheduler is None, a ``distributed.Client`` or an address with its protocol."""
    if scheduler is None or (not isinstance(scheduler, str) and hasattr(scheduler, "submit")):
        return
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise InvalidArgument(f"scheduler: {scheduler!r} is not a scheduler address; give "
                              "one such as tcp://host:8786")


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
                 choices: ReadChoices, hosts: HostMap, scheduler: str | Any | None = None,
                 max_bytes: int | None = None, many: bool = True) -> ManyRead:
    """Read the log that ``locations`` name on a Dask cluster: the same read as
    ``calculator.ingest.many.read_many`` gives (``many`` false: as one file is read)."""
    if choices.count not in COUNTS:
        raise InvalidArgument(f"count: '{choices.count}' is not one of {', '.join(COUNTS)}")
    _check_address(scheduler)
    files, hidden = expand(locations, max_bytes)
    crawler = _first_is_crawler(files[0], fmt, choices, many)
    with connected(scheduler) as client:
        workers = _check_workers(client)
        buckets = 2 * workers
        size = -(-len(files) // (_TASKS_PER_WORKER * workers))
        groups = [files[i:i + size] for i in range(0, len(files), size)]
        # The futures are released when this returns (or raises), and the workers forget
        # their results: nothing of the log stays on the cluster.
        parts = client.map(p.count_files, groups, fmt=fmt, choices=choices, hosts=hosts,
                           buckets=buckets, crawler=crawler, named=many, pure=False)
        merged = [_merged_counts(client, parts, which)  # merged while files are still read
                  for which in range(2 if crawler else 1)]
        summaries = _summaries(client, parts)
        has_post_ids = any(found for _, _, found in summaries)
        posts = _shuffled_posts(client, parts, buckets, choices.count == "distinct") \
            if has_post_ids else []
        counts = [future.result() for future in merged]
    described = [file for found, _, _ in summaries for file in found]
    reads = [read for _, found, _ in summaries for read in found]
    volume = p.merge_distinct(posts) if choices.count == "distinct" and posts else None
    distinct = sum(b.distinct for b in posts)  # the buckets' posts are disjoint
    if crawler:
        read = _crawler_read(reads, counts, volume, distinct,  # type: ignore[arg-type]
                             choices, "+".join(sorted({f.format for f in described})))
    else:
        read = _table_read(reads, counts[0], has_post_ids,  # type: ignore[arg-type]
                           volume, distinct, choices)
    if many:
        note_files(read, described, hidden, [f.name for f in files])
    return ManyRead(read=read, files=described)


def _first_is_crawler(first: LogFile, fmt: str | None, choices: ReadChoices,
                      many: bool) -> bool:
    """Whether the log's first file is a crawler's: the kind every file must be. (Its head
    is read here, unreported: a worker reads the file and reports its bytes.)"""
    with progress.watching(_Unheard()), first.open() as source:
        try:
            return detect_format(source, fmt, choices) in CRAWLER_FORMATS
        except InvalidInput as exc:
            raise _in_file(first.name, exc) if many else exc from None


class _Unheard:
    def advance(self, bytes_read: int = 0, rows: int = 0) -> None:
        pass


def _table_read(tables: list[TableRead], counts: p.Counts, has_post_ids: bool,
                volume: Volume | None, distinct: int, choices: ReadChoices) -> LogRead:
    collector = Collector(TableRead(format="", volume=Volume.empty()), choices.platform_values(),
                          choices.assume_tz)
    collector.builder.add(*counts)
    collector.has_post_ids = has_post_ids
    whole = merge_tables(tables)
    collector.result = whole
    finished = finish_table(whole, collector, True)
    if has_post_ids:
        finished.build_distinct = None
        finished.distinct = volume
        finished.distinct_posts = distinct
    read = from_table(finished, choices)
    if has_post_ids:
        read.counts["distinct_posts"] = distinct
    return read


def _crawler_read(files: list[p.CrawlerFile], counts: list[p.Counts],
                  volume: Volume | None, distinct: int, choices: ReadChoices,
                  fmt: str) -> LogRead:
    """The crawler files' counts and reports as one log's, as ``read_many`` makes them."""
    whole = CrawlCounts(Volume(*counts[0]), Volume(*counts[1]),
                        volume or Volume.empty(), distinct_posts=distinct)
    for number in ("requests", "responses", "embedded_posts", "events", "log_responses"):
        setattr(whole, number, sum(getattr(f.counts, number) for f in files))
    for found in files:
        for reason, rows in found.counts.excluded_rows.items():
            whole.excluded_rows[reason] = whole.excluded_rows.get(reason, 0) + rows
        for reason, posts in found.counts.excluded_posts.items():
            whole.excluded_posts[reason] = whole.excluded_posts.get(reason, 0) + posts
    reports = [f.report for f in files]
    report = reports[0] if len(reports) == 1 else merge_reports(reports)
    return read_of_counts(whole, report, fmt, choices)


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


def _merged_counts(client: Any, parts: list[Any], which: int) -> Any:
    """Every file's counts (a table's one; a crawler's requested 0 or accessed 1) summed in
    a tree of tasks on the workers (a future)."""
    level = client.map(p.counts_of, parts, which=which)
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
                                  "workers can reach, not standard input, bytes, open "
                                  "files or tables in memory; use the local engine for "
                                  "those")
    return items  # type: ignore[return-value]
