"""Post-id occurrences gathered while a log is read, for the distinct count.

A log's (instant, post number) occurrences are held in memory up to ``SPILL_AT``; past it,
they are split by a stable hash of the post number into ``BUCKETS`` anonymous temporary
files (unlinked when made: nothing is left on disk when the read ends or the process
dies). Each bucket then holds every occurrence of its posts and none of another's, so the
distinct volume is built one bucket at a time (its different posts per instant and its
coverage, decision 0122) and the buckets' volumes add up exactly (``Volume.of_disjoint``).
Memory then follows the coverage and one bucket, not every occurrence of the log: the same
shuffle the Dask engine does across workers (decision 0096), done here through the disk.
"""

from __future__ import annotations

import tempfile
import weakref
from typing import IO

import numpy as np

from calculator.heap import release
from calculator.ingest.appended_columns import AppendedColumns
from calculator.ingest.pipeline import cores, in_order
from calculator.ingest.sorted_arrays import add_counts_at, count_unique, sorted_unique
from calculator.ingest.source import spooling
from calculator.ingest.volume import Volume, joined_in_time_order

SPILL_AT = 4_000_000  # occurrences held in memory (16 bytes each) before they go to disk
BUCKETS = 64
# Once on disk, occurrences are written as they come, this many at a time at most: a
# write's temporaries (about 50 bytes an occurrence) stay a few tens of MiB however long
# the log, where splitting the 4 M held at once took 250 MiB.
SPILL_CHUNK = 1 << 20

# A 64-bit odd constant (the golden ratio's): multiplying by it spreads consecutive post
# numbers over the buckets.
_SPREAD = np.uint64(0x9E3779B97F4A7C15)


def bucket_of_numbers(numbers: np.ndarray, buckets: int) -> np.ndarray:
    """A bucket per post number, the same in every process (and on every Dask worker)."""
    return _buckets(numbers, buckets).astype(np.int64)


def _buckets(numbers: np.ndarray, buckets: int) -> np.ndarray:
    """``bucket_of_numbers`` in the narrowest integers that hold it, worked out in place
    in one copy of the numbers (a spill's temporaries are most of a read's peak)."""
    spread = numbers.astype(np.uint64)
    spread *= _SPREAD  # wraps modulo 2**64, as intended
    spread >>= np.uint64(32)
    spread %= np.uint64(buckets)
    return spread.astype(np.uint8 if buckets <= 256 else np.uint16)


class PostOccurrences:
    """(instant, post number) occurrences of a log, in any order and with repeats."""

    def __init__(self, spill_at: int | None = None, buckets: int | None = None,
                 chunk: int | None = None) -> None:
        self._held: list[tuple[np.ndarray, np.ndarray]] = []
        self._count = 0
        self._spill_at = spill_at or SPILL_AT
        self._chunk = chunk or SPILL_CHUNK
        self._buckets = buckets or BUCKETS
        self._files: list[IO[bytes]] = []
        # Every instant spilled, ascending: the grid the buckets' per-instant counts are
        # summed on (at most the log's distinct instants).
        self._grid = InstantGrid()

    def __bool__(self) -> bool:
        return bool(self._held or self._files)

    def add(self, instants: np.ndarray, numbers: np.ndarray) -> None:
        if len(instants) == 0:
            return
        self._held.append((instants, numbers))
        self._count += len(instants)
        if self._count >= (self._chunk if self._files else self._spill_at):
            self._spill()

    def _take(self) -> tuple[np.ndarray, np.ndarray]:
        nothing = np.zeros(0, dtype=np.int64)
        instants = np.concatenate([h[0] for h in self._held] + [nothing])
        numbers = np.concatenate([h[1] for h in self._held] + [nothing])
        self._held, self._count = [], 0
        return instants, numbers

    def _spill(self) -> None:
        """Every held occurrence to its bucket's file, a chunk at a time, each piece let go
        as soon as it is written (the held ones are never joined into one array)."""
        held, self._held, self._count = self._held, [], 0
        if not self._files:
            # Open until the volume is built, or until these occurrences are let go (a count
            # other than distinct asks only how many posts): written chunk after chunk.
            self._files = [tempfile.TemporaryFile()  # noqa: SIM115
                           for _ in range(self._buckets)]
            self._closer = weakref.finalize(self, _close_all, self._files)
        held.reverse()  # taken from the end: each piece is let go once written
        while held:
            chunk = [held.pop()]
            size = len(chunk[0][0])
            while held and size + len(held[-1][0]) <= self._chunk:
                chunk.append(held.pop())
                size += len(chunk[-1][0])
            if len(chunk) == 1:
                instants, numbers = chunk[0]
            else:
                instants = np.concatenate([c[0] for c in chunk])
                numbers = np.concatenate([c[1] for c in chunk])
            chunk.clear()
            with spooling():
                self._write(instants, numbers)
            del instants, numbers

    def _write(self, instants: np.ndarray, numbers: np.ndarray) -> None:
        self._grid.add(instants)
        which = _buckets(numbers, self._buckets)
        # Small keys sort by radix in linear time.
        order = np.argsort(which, kind="stable")
        bounds = np.zeros(self._buckets + 1, dtype=np.int64)
        np.cumsum(np.bincount(which, minlength=self._buckets), out=bounds[1:])
        del which
        pairs = np.empty((len(order), 2), dtype=np.int64)
        np.take(instants, order, out=pairs[:, 0])
        np.take(numbers, order, out=pairs[:, 1])
        del order
        for bucket, file in enumerate(self._files):
            file.write(pairs[bounds[bucket]:bounds[bucket + 1]].data)

    def _close(self) -> None:
        self._closer()
        self._files = []

    @staticmethod
    def _read(file: IO[bytes]) -> tuple[np.ndarray, np.ndarray]:
        file.seek(0)
        pairs = np.frombuffer(file.read(), dtype=np.int64).reshape(-1, 2)
        file.seek(0, 2)
        return pairs[:, 0].copy(), pairs[:, 1].copy()

    def all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every occurrence (instants, numbers), in no particular order; asked for once."""
        if not self._files:
            return self._take()
        if self._held:
            self._spill()
        parts = [self._read(file) for file in self._files]
        self._close()
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))

    def distinct_posts(self) -> int:
        """How many different post numbers: one sort of them (bucket by bucket once on
        disk, their posts being disjoint)."""
        if not self._files:
            return count_unique(np.concatenate([h[1] for h in self._held]
                                               + [np.zeros(0, np.int64)]))
        if self._held:
            self._spill()
        return sum(count_unique(self._read(file)[1]) for file in self._files)

    def volume(self) -> Volume:
        """The distinct-post volume of every occurrence (``Volume.of_occurrences``); asked
        for once (the occurrences are let go)."""
        if not self._files:
            return Volume.of_occurrences(*self._take())
        if self._held:
            self._spill()
        # The read's batches are gone by now: the pages their arrays left in the heaps are
        # handed back before the buckets are read, or the join below would come on top of
        # them (about 470 MiB of a 10 M-row log's, decision 0149).
        release()
        grid = self._grid.instants()
        self._grid = InstantGrid()
        # Each bucket's coverage kept as positions on the grid (32-bit while they fit) and
        # numbers, and how many entries of the joined coverage fall on each instant.
        narrow = np.int32 if len(grid) < 2**31 else np.int64
        # The numbers too, while every post's number fits (there are fewer posts than
        # occurrences held): 8 bytes a kept sighting until the join, not 12. And the counts
        # per instant, which never pass the occurrences (decision 0149).
        spilled = sum(file.seek(0, 2) for file in self._files) // 16  # 16 bytes each
        numbered = np.int32 if spilled < 2**31 else np.int64
        posts = np.zeros(len(grid), dtype=numbered)
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        per_instant = np.zeros(len(grid), dtype=numbered)
        past = 0  # posts of the buckets before: each bucket's numbers are moved past them
        # The buckets' volumes are built two at a time where two cores are there (the read
        # is over: nothing else runs), and summed here in bucket order, so the join is the
        # same whichever finishes first.
        placed = in_order(lambda file: _on_grid(self._read(file), grid, narrow), self._files,
                          workers=min(2, cores()))
        for at, bucket_posts, on_grid, ids in placed:
            posts[at] += bucket_posts  # each instant once
            add_counts_at(per_instant, on_grid)  # in time order: ascending
            numbers = ids.astype(numbered)  # numbered 0, 1, 2... within the bucket
            numbers += past
            past += int(ids.max()) + 1 if len(ids) else 0
            del ids
            parts.append((on_grid, numbers))
        self._close()
        seen = posts > 0
        ids = joined_in_time_order(parts, per_instant)
        # The buckets' reads, sorts and parts (small blocks, kept by the C library's heap
        # once freed) are handed back before the instants are spread out.
        release()
        instants = np.repeat(grid, per_instant)
        del per_instant
        return Volume.of_coverage(grid[seen], posts[seen].astype(np.int64), instants, ids)


def _on_grid(occurrences: tuple[np.ndarray, np.ndarray], grid: np.ndarray,
             narrow: type) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A bucket's volume placed on the grid: its instants' places and different posts
    there, and its coverage's places and post numbers (0, 1, 2... within the bucket)."""
    part = Volume.of_occurrences(*occurrences)
    at = np.searchsorted(grid, part.instants)
    instants, ids = part.occurrences  # type: ignore[misc]
    # The coverage's instants are among the bucket's own: each is found there (an array
    # that stays in the processor's cache) and placed on the grid through them. A second
    # search of the whole grid per bucket missed the cache at nearly every step: a quarter
    # of a 6 M-row millisecond log's assessment.
    on_grid = at[np.searchsorted(part.instants, instants)].astype(narrow)
    return at, part.posts, on_grid, ids


class InstantGrid:
    """Instants added chunk by chunk, each kept once, handed out ascending. A chunk that
    comes after every instant before it (a log in time order) is written once at the end
    of a column that grows in place; one that does not waits, and those waiting are merged
    in once they are as many as the column's. Sorting the whole grid again with every chunk,
    as before, held three copies of it at once by the end of a long read (decision 0149)."""

    def __init__(self) -> None:
        self._column = AppendedColumns(1)
        self._late: list[np.ndarray] = []
        self._late_count = 0

    def add(self, instants: np.ndarray) -> None:
        # A log in time order hands its chunks over ascending: checked in one pass, where
        # sorting each chunk anyway was half the counting of a 10 M-row Parquet log's
        # batches (0.46 of 1.05 s).
        fresh = sorted_unique(instants, ascending=bool(np.all(instants[1:] >= instants[:-1])))
        if len(fresh) == 0:
            return
        column = self._column
        if column.length:
            last = column.last(0)
            if fresh[0] == last:  # an instant split across two chunks
                fresh = fresh[1:]
            elif fresh[0] < last:
                self._late.append(fresh)
                self._late_count += len(fresh)
                if self._late_count >= max(column.length, _LATE_MERGED_AT):
                    merged = self.instants()
                    self._column = AppendedColumns(1)
                    self._column.append((merged,))
                    self._late, self._late_count = [], 0
                return
        column.append((fresh,))

    def instants(self) -> np.ndarray:
        """Every instant added, once each, ascending."""
        (ascending,) = self._column.arrays()
        if not self._late:
            return ascending
        return sorted_unique(np.concatenate([ascending, *self._late]), runs=True)


# Instants out of order wait for at least this many before they are merged into the grid.
_LATE_MERGED_AT = 1 << 20


def _close_all(files: list[IO[bytes]]) -> None:
    for file in files:
        file.close()
