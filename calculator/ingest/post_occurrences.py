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

from calculator.ingest.volume import Volume, count_unique, sorted_unique

SPILL_AT = 4_000_000  # occurrences held in memory (16 bytes each) before they go to disk
BUCKETS = 64

# A 64-bit odd constant (the golden ratio's): multiplying by it spreads consecutive post
# numbers over the buckets.
_SPREAD = np.uint64(0x9E3779B97F4A7C15)


def bucket_of_numbers(numbers: np.ndarray, buckets: int) -> np.ndarray:
    """A bucket per post number, the same in every process (and on every Dask worker)."""
    spread = numbers.astype(np.uint64) * _SPREAD
    return ((spread >> np.uint64(32)) % np.uint64(buckets)).astype(np.int64)


class PostOccurrences:
    """(instant, post number) occurrences of a log, in any order and with repeats."""

    def __init__(self, spill_at: int | None = None, buckets: int | None = None) -> None:
        self._held: list[tuple[np.ndarray, np.ndarray]] = []
        self._count = 0
        self._spill_at = spill_at or SPILL_AT
        self._buckets = buckets or BUCKETS
        self._files: list[IO[bytes]] = []
        # Every instant spilled, ascending: the grid the buckets' per-instant counts are
        # summed on (at most the log's distinct instants).
        self._instants = np.zeros(0, dtype=np.int64)

    def __bool__(self) -> bool:
        return bool(self._held or self._files)

    def add(self, instants: np.ndarray, numbers: np.ndarray) -> None:
        if len(instants) == 0:
            return
        self._held.append((instants, numbers))
        self._count += len(instants)
        if self._count >= self._spill_at:
            self._spill()

    def _take(self) -> tuple[np.ndarray, np.ndarray]:
        nothing = np.zeros(0, dtype=np.int64)
        instants = np.concatenate([h[0] for h in self._held] + [nothing])
        numbers = np.concatenate([h[1] for h in self._held] + [nothing])
        self._held, self._count = [], 0
        return instants, numbers

    def _spill(self) -> None:
        instants, numbers = self._take()
        self._instants = sorted_unique(np.concatenate((self._instants,
                                                       sorted_unique(instants))), runs=True)
        if not self._files:
            # Open until the volume is built, or until these occurrences are let go (a count
            # other than distinct asks only how many posts): written chunk after chunk.
            self._files = [tempfile.TemporaryFile()  # noqa: SIM115
                           for _ in range(self._buckets)]
            self._closer = weakref.finalize(self, _close_all, self._files)
        # Small keys sort by radix in linear time.
        which = bucket_of_numbers(numbers, self._buckets).astype(np.uint16)
        order = np.argsort(which, kind="stable")
        bounds = np.searchsorted(which[order], np.arange(self._buckets + 1, dtype=np.uint16))
        pairs = np.empty((len(order), 2), dtype=np.int64)
        pairs[:, 0] = instants[order]
        pairs[:, 1] = numbers[order]
        for bucket, file in enumerate(self._files):
            file.write(pairs[bounds[bucket]:bounds[bucket + 1]].tobytes())

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
        grid = self._instants
        posts = np.zeros(len(grid), dtype=np.int64)
        covered: list[np.ndarray] = []
        numbers: list[np.ndarray] = []
        past = 0  # posts of the buckets before: each bucket's numbers are moved past them
        for file in self._files:
            part = Volume.of_occurrences(*self._read(file))
            posts[np.searchsorted(grid, part.instants)] += part.posts  # each instant once
            instants, ids = part.occurrences  # type: ignore[misc]
            covered.append(instants)
            numbers.append(ids + past)  # numbered 0, 1, 2... within the bucket
            past += int(ids.max()) + 1 if len(ids) else 0
        self._close()
        seen = posts > 0
        # Joined into one coverage in time order, each list let go as soon as it is joined.
        instants = np.concatenate(covered)
        covered.clear()
        order = np.argsort(instants, kind="stable")
        instants = instants[order]
        ids = np.concatenate(numbers)
        numbers.clear()
        return Volume.of_coverage(grid[seen], posts[seen], instants, ids[order])


def _close_all(files: list[IO[bytes]]) -> None:
    for file in files:
        file.close()
