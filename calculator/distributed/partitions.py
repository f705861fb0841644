"""The work a Dask worker does on a log of many files: what one file holds, reduced to what
merges exactly, and the shuffle of post ids.

Per-instant counts are additive, so each file is reduced to its sparse counts (one entry
per distinct instant: posts and rows); any number of them merge by summing equal instants,
in any order. Distinct posts are not additive across files (one post seen in two files is
one post), so each file's (instant, post id) occurrences are split into buckets by a stable
hash of the post id, every bucket is reduced on one worker, and buckets hold disjoint posts:
their distinct counts add up, and their occurrences join without double counting.

Nothing here imports Dask: these are plain functions that any worker (or a test) runs.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from calculator.errors import InvalidInput
from calculator.ingest.crawlers import CRAWLER_FORMATS
from calculator.ingest.formats import ReadChoices, detect_format, read_any_table
from calculator.ingest.many import FileRead, _in_file, expand
from calculator.ingest.tabular import Collector, TableRead
from calculator.ingest.volume import Volume, fold, pair_order, sorted_unique

Counts = tuple[np.ndarray, np.ndarray, np.ndarray]  # instants, posts, rows; ascending instants

# A 64-bit odd constant (the golden ratio's): multiplying by it spreads consecutive numeric
# post ids over the buckets.
_SPREAD = np.uint64(0x9E3779B97F4A7C15)


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
class FilePart:
    """What some files hold, reduced: their descriptions (never their names) and what
    reading each found (rows, columns, exclusions, timestamps), in their order; and their
    counts and post buckets, joined."""

    files: tuple[FileRead, ...]
    tables: tuple[TableRead, ...]  # with no volume: the counts travel apart
    counts: Counts
    has_post_ids: bool
    buckets: tuple[PostPiece, ...]


def count_files(names: list[str], fmt: str | None, choices: ReadChoices, buckets: int,
                max_bytes: int | None = None) -> FilePart:
    """Read some files of a log, in turn, into one part: one task per group of files, so
    that a log of many small files is not as many round trips to the scheduler."""
    return join_parts([count_file(name, fmt, choices, buckets, max_bytes) for name in names])


def join_parts(parts: list[FilePart]) -> FilePart:
    if len(parts) == 1:
        return parts[0]
    return FilePart(
        files=tuple(f for part in parts for f in part.files),
        tables=tuple(t for part in parts for t in part.tables),
        counts=merge_counts(*(part.counts for part in parts)),
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


def count_file(name: str, fmt: str | None, choices: ReadChoices, buckets: int,
               max_bytes: int | None = None) -> FilePart:
    """Read one file of a log (a path or URL the worker can reach) into its part."""
    files, _ = expand([name], max_bytes)
    source = files[0].open()
    with source:
        try:
            kind = detect_format(source, fmt, choices)
        except InvalidInput as exc:
            raise _in_file(name, exc) from None
        if kind in CRAWLER_FORMATS:
            raise InvalidInput(
                f"{name}: a crawler's file ({kind}); the dask engine reads tables (CSV, JSON "
                "Lines, JSON, Parquet, Arrow): assess crawler files with the local engine")
        collector = Collector(TableRead(format="", volume=Volume.empty()), choices.platform,
                              choices.assume_tz)
        try:
            table = read_any_table(source, kind, choices, shared=collector)
        except InvalidInput as exc:
            raise _in_file(name, exc) from None
        source.finish()
    volume = collector.builder.build()
    return FilePart(
        files=(FileRead(source.sha256, source.size, kind, source.compressed),),
        tables=(replace(table, volume=Volume.empty(), distinct=None),),
        counts=(volume.instants, volume.posts, volume.accesses),
        has_post_ids=collector.has_post_ids,
        buckets=_split_posts(collector, buckets))


def _split_posts(collector: Collector, buckets: int) -> tuple[PostPiece, ...]:
    """The collector's occurrences, split by bucket of post id."""
    if collector.occurrences:
        instants = np.concatenate([o[0] for o in collector.occurrences])
        numbers = np.concatenate([o[1] for o in collector.occurrences])
    else:
        instants = numbers = np.zeros(0, dtype=np.int64)
    texts = pa.array(list(collector.post_ids), pa.string())  # number -1 - k is texts[k]
    text_bucket = np.array([zlib.crc32(t.encode()) % buckets for t in collector.post_ids],
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


def bucket_of_numbers(numbers: np.ndarray, buckets: int) -> np.ndarray:
    """A bucket per numeric post id, the same on every worker."""
    spread = numbers.astype(np.uint64) * _SPREAD
    return ((spread >> np.uint64(32)) % np.uint64(buckets)).astype(np.int64)


def piece_of(part: FilePart, bucket: int) -> PostPiece:
    """One bucket of a file's part (run where the part is, so only the piece moves)."""
    return part.buckets[bucket]


def summary_of(part: FilePart) -> tuple[tuple[FileRead, ...], tuple[TableRead, ...], bool]:
    """The files' descriptions and readings, without their counts."""
    return part.files, part.tables, part.has_post_ids


def counts_of(part: FilePart) -> Counts:
    return part.counts


def merge_counts(*parts: Counts) -> Counts:
    """Sparse counts summed: one entry per distinct instant of all the parts, ascending."""
    if len(parts) == 1:
        return parts[0]
    return fold(*(np.concatenate([p[k] for p in parts]) for k in range(3)))


@dataclass(frozen=True)
class BucketPosts:
    """A bucket's posts after the shuffle: how many different posts, and (when the distinct
    count is priced) one occurrence per (instant, post), ids numbered so that no two buckets
    share a number."""

    distinct: int
    instants: np.ndarray | None
    numbers: np.ndarray | None


def reduce_bucket(bucket: int, buckets: int, keep_occurrences: bool,
                  *pieces: PostPiece) -> BucketPosts:
    """Every file's occurrences of one bucket's posts, joined. Text ids are told apart by
    their text, over all the files; they get negative numbers ``-1 - bucket - buckets * k``,
    which no other bucket gives."""
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
        return BucketPosts(distinct, None, None)
    order = pair_order(instants, numbers)
    instants, numbers = instants[order], numbers[order]
    keep = np.ones(len(numbers), dtype=bool)
    keep[1:] = (instants[1:] != instants[:-1]) | (numbers[1:] != numbers[:-1])
    return BucketPosts(distinct, instants[keep], numbers[keep])
