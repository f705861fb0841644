"""The work a Dask worker does on a log of many files: what one file holds, reduced to what
merges exactly, and the shuffle of post ids.

Per-instant counts are additive, so each file is reduced to its sparse counts (one entry
per distinct instant: posts and rows); any number of them merge by summing equal instants,
in any order. Distinct posts are not additive across files (one post seen in two files is
one post), so each file's (instant, post id) occurrences are split into buckets by a stable
hash of the post id, every bucket is reduced on one worker, and buckets hold disjoint posts:
their distinct totals add up, so do their per-instant counts of different posts, and their
coverages (each post's first and last occurrence per quarter hour) join without double
counting.

Nothing here imports Dask: these are plain functions that any worker (or a test) runs.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from calculator.errors import InvalidInput
from calculator.ingest.crawl_counts import CrawlCounts, count_events
from calculator.ingest.crawlers import CRAWLER_FORMATS, HostMap
from calculator.ingest.events import ReadReport
from calculator.ingest.formats import (
    ReadChoices,
    crawler_options,
    detect_format,
    read_any_table,
    read_crawler_source,
)
from calculator.ingest.many import FileRead, LogFile, _in_file, mixed_forms
from calculator.ingest.post_occurrences import bucket_of_numbers
from calculator.ingest.sorted_arrays import sorted_unique
from calculator.ingest.source import LogSource
from calculator.ingest.tabular import Collector, TableRead
from calculator.ingest.volume import Volume, fold

Counts = tuple[np.ndarray, np.ndarray, np.ndarray]  # instants, posts, rows; ascending instants


@dataclass(frozen=True)
class PostPiece:
    """One file's occurrences of the posts of one bucket: ids written as whole numbers are
    their own number (as the local reader numbers them); other ids stay text, told apart
    by the bucket's reducer, since numbers given in one file mean nothing in another."""

    instants: np.ndarray
    numbers: np.ndarray
    text_instants: np.ndarray
    text_index: np.ndarray  # into ``texts``
    texts: pa.Array


@dataclass(frozen=True)
class CrawlerFile:
    """What reading one crawler's file found, besides its per-instant counts."""

    report: ReadReport
    counts: CrawlCounts  # its scalars and exclusions; volumes emptied (they travel apart)

    @property
    def rows(self) -> int:
        """Lines or records read (events, for a reader that counts no lines)."""
        return self.report.lines or self.counts.events


@dataclass(frozen=True)
class FilePart:
    """What some files hold, reduced: their descriptions (never their names) and what
    reading each found (a table's rows, columns, exclusions and timestamps; a crawler's
    report and tallies), in their order; and their counts and post buckets, joined. Tables
    have one count (rows' posts per instant); crawler files two (requested, accessed)."""

    files: tuple[FileRead, ...]
    reads: tuple[TableRead | CrawlerFile, ...]
    counts: tuple[Counts, ...]
    has_post_ids: bool
    buckets: tuple[PostPiece, ...]


def count_files(files: list[LogFile], fmt: str | None, choices: ReadChoices, hosts: HostMap,
                buckets: int, crawler: bool, named: bool = True) -> FilePart:
    """Read some files of a log, in turn, into one part: one task per group of files, so
    that a log of many small files is not as many round trips to the scheduler.
    ``crawler``: whether the log's first file is a crawler's (a table's otherwise): a file
    of the other kind is refused, as reading the files in turn refuses it. ``named``:
    errors name their file (false for a log of one file, as when it is read here)."""
    return join_parts([count_file(file, fmt, choices, hosts, buckets, crawler, named)
                       for file in files])


def join_parts(parts: list[FilePart]) -> FilePart:
    if len(parts) == 1:
        return parts[0]
    return FilePart(
        files=tuple(f for part in parts for f in part.files),
        reads=tuple(t for part in parts for t in part.reads),
        counts=tuple(merge_counts(*(part.counts[k] for part in parts))
                     for k in range(len(parts[0].counts))),
        has_post_ids=any(part.has_post_ids for part in parts),
        buckets=tuple(_join_pieces([part.buckets[b] for part in parts])
                      for b in range(len(parts[0].buckets))))


def _join_pieces(pieces: list[PostPiece]) -> PostPiece:
    offsets = np.cumsum([0] + [len(p.texts) for p in pieces[:-1]])
    return PostPiece(
        np.concatenate([p.instants for p in pieces]),
        np.concatenate([p.numbers for p in pieces]),
        np.concatenate([p.text_instants for p in pieces]),
        np.concatenate([p.text_index + offset for p, offset in zip(pieces, offsets,
                                                                   strict=True)]),
        pa.concat_arrays([p.texts for p in pieces]))


def count_file(file: LogFile, fmt: str | None, choices: ReadChoices, hosts: HostMap,
               buckets: int, crawler: bool, named: bool = True) -> FilePart:
    """Read one file of a log (a path or URL the worker can reach) into its part. The file
    comes as the client found it, opener and all: expanding its name again here read
    "a[1].csv" as a pattern (a1.csv in its place), and lost a URL's query and credentials,
    which a name never shows."""
    name = file.name
    source = file.open()
    with source:
        try:
            kind = detect_format(source, fmt, choices)
        except InvalidInput as exc:
            raise _in_file(name, exc) if named else exc from None
        if (kind in CRAWLER_FORMATS) != crawler:
            raise mixed_forms(name, crawler)
        try:
            if crawler:
                found = _count_crawler(source, kind, choices, hosts, buckets)
            else:
                found = _count_table(source, kind, choices, buckets)
        except InvalidInput as exc:
            raise _in_file(name, exc) if named else exc from None
        source.finish()
    return replace(found, files=(FileRead(source.sha256, source.size, kind,
                                          source.compressed),))


def _count_table(source: LogSource, kind: str, choices: ReadChoices,
                 buckets: int) -> FilePart:
    collector = Collector(TableRead(format="", volume=Volume.empty()), choices.platform_values(),
                          choices.assume_tz)
    table = read_any_table(source, kind, choices, shared=collector)
    volume = collector.builder.build()
    instants, numbers = collector.occurrences.all()
    return FilePart(
        files=(), reads=(replace(table, volume=Volume.empty(), distinct=None),),
        counts=(_counts(volume),), has_post_ids=collector.has_post_ids,
        buckets=_split_posts(instants, numbers, list(collector.post_numbers.other_ids), buckets))


def _count_crawler(source: LogSource, kind: str, choices: ReadChoices, hosts: HostMap,
                   buckets: int) -> FilePart:
    # Every gzip layer counted against this file's budget (decision 0050), as when read here.
    events, report = read_crawler_source(source, kind,
                                         crawler_options(choices, hosts, source.budget))
    counts = count_events(events, choices.platform, choices.embedded_posts, True)
    instants, numbers = counts.occurrences or (np.zeros(0, np.int64), np.zeros(0, np.int64))
    # A crawler's post ids are all text to the shuffle: its numbers are its own sight order.
    pieces = _split_posts(instants, -1 - numbers, counts.post_ids, buckets)
    kept = replace(counts, requested=Volume.empty(), accessed=Volume.empty(),
                   distinct=Volume.empty(), post_ids=[], occurrences=None)
    return FilePart(files=(), reads=(CrawlerFile(report, kept),),
                    counts=(_counts(counts.requested), _counts(counts.accessed)),
                    has_post_ids=True, buckets=pieces)


def _counts(volume: Volume) -> Counts:
    return volume.instants, volume.posts, volume.accesses


def _split_posts(instants: np.ndarray, numbers: np.ndarray, post_ids: list[str],
                 buckets: int) -> tuple[PostPiece, ...]:
    """Occurrences split by bucket of post id: numbers from 0 are ids written as whole
    numbers; number ``-1 - k`` is the text ``post_ids[k]``."""
    texts = pa.array(post_ids, pa.string())
    text_bucket = np.array([zlib.crc32(t.encode()) % buckets for t in post_ids],
                           dtype=np.int64)
    numeric = numbers >= 0
    number_bucket = bucket_of_numbers(numbers[numeric], buckets)
    text_index = -1 - numbers[~numeric]
    text_instants = instants[~numeric]
    of_text = text_bucket[text_index]
    pieces = []
    for bucket in range(buckets):
        mine = number_bucket == bucket
        theirs = of_text == bucket
        pieces.append(PostPiece(instants[numeric][mine], numbers[numeric][mine],
                                text_instants[theirs], text_index[theirs], texts))
    return tuple(pieces)


def piece_of(part: FilePart, bucket: int) -> PostPiece:
    """One bucket of a file's part (run where the part is, so only the piece moves)."""
    return part.buckets[bucket]


def summary_of(part: FilePart) -> tuple[tuple[FileRead, ...],
                                        tuple[TableRead | CrawlerFile, ...], bool]:
    """The files' descriptions and readings, without their counts."""
    return part.files, part.reads, part.has_post_ids


def counts_of(part: FilePart, which: int) -> Counts:
    return part.counts[which]


def merge_counts(*parts: Counts) -> Counts:
    """Sparse counts summed: one entry per distinct instant of all the parts, ascending."""
    if len(parts) == 1:
        return parts[0]
    return fold(*(np.concatenate([p[k] for p in parts]) for k in range(3)))


@dataclass(frozen=True)
class BucketPosts:
    """A bucket's posts after the shuffle: how many different posts, and (when the distinct
    count is priced) its distinct volume: the different posts at each instant and the
    coverage (each post's first and last in every quarter hour, decision 0122), ids
    numbered so that no two buckets share a number."""

    distinct: int
    volume: Volume | None


def reduce_bucket(bucket: int, buckets: int, keep_occurrences: bool,
                  *pieces: PostPiece) -> BucketPosts:
    """Every file's occurrences of one bucket's posts, joined and reduced. Text ids are told
    apart by their text, over all the files; they get negative numbers
    ``-1 - bucket - buckets * k``, which no other bucket gives."""
    numbers = np.concatenate([p.numbers for p in pieces] or [np.zeros(0, np.int64)])
    instants = np.concatenate([p.instants for p in pieces] or [np.zeros(0, np.int64)])
    used = [p for p in pieces if len(p.text_index)]
    if used:
        words = pa.chunked_array([p.texts.take(pa.array(p.text_index)) for p in used],
                                 pa.string())
        encoded = pc.dictionary_encode(words).combine_chunks()
        codes = np.asarray(encoded.indices, dtype=np.int64)
        numbers = np.concatenate((numbers, -1 - bucket - buckets * codes))
        instants = np.concatenate([instants, *(p.text_instants for p in used)])
    distinct = len(sorted_unique(numbers))
    if not keep_occurrences:
        return BucketPosts(distinct, None)
    return BucketPosts(distinct, Volume.of_occurrences(instants, numbers))


def merge_distinct(parts: list[BucketPosts]) -> Volume:
    """The distinct volume of buckets of disjoint posts: their counts summed by instant,
    their coverages joined in time order (no post is in two)."""
    return Volume.of_disjoint([b.volume for b in parts if b.volume is not None])
