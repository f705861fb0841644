"""How many posts a window holds, at the log's own resolution.

All instants are integer nanoseconds (UTC) at the log's own resolution ``eps``
(every instant is a multiple of it), so a window ``[s, s + W)`` and the window
"ending just before an access" (``[t - W + eps, t + eps)``) are both exact. Posts per
instant add up across instants (prefix sums); distinct post ids do not (pairs of
occurrences).
"""

from __future__ import annotations

from functools import cached_property
from typing import Protocol

import numpy as np

from calculator.errors import InvalidArgument
from calculator.heap import TRIM_AFTER_ROWS, release
from calculator.ingest.sorted_arrays import add_counts_at, count_unique, sorted_unique
from calculator.ingest.volume import check_cuts

NS = 1_000_000_000
RESOLUTIONS = (NS, 1_000_000, 1_000, 1)  # seconds, milliseconds, microseconds, nanoseconds

# A dense grid of posts per resolution step is used when it is at most this long: counting
# a window is then two array reads instead of two binary searches.
DENSE_GRID_LIMIT = 16_000_000
# From this many counted instants on, posts per instant are searched by the compiled pass
# (``sweep``): importing numba and loading its cached code takes a few tenths of a second,
# which the block search does not need on a small log (decision 0118).
COMPILED_FROM = 500_000


def resolution_of(instants: np.ndarray) -> int:
    """The coarsest of s, ms, µs, ns that every instant is a whole multiple of."""
    for step in RESOLUTIONS:
        # The first instants settle most logs: a whole pass is made only for a step they
        # all fit, a slice at a time, so that the quotients stay in the processor's cache
        # instead of filling a fresh array as long as the log.
        if _multiples(instants[:1024], step) and all(
                _multiples(instants[k:k + _SLICE], step)
                for k in range(0, len(instants), _SLICE)):
            return step
    return 1


def _multiples(instants: np.ndarray, step: int) -> bool:
    """Whether every instant is a whole multiple of ``step``: its floored quotient times
    ``step`` gives it back. numpy divides by one number by a multiplication (libdivide),
    where a remainder is a division per instant: 12 ms for 10 M instants against 25 ms."""
    quotients = instants // step
    quotients *= step
    return bool(np.array_equal(quotients, instants))


_SLICE = 1 << 16  # instants divided at once by ``resolution_of``


_FEW_WINDOWS = 4096  # windows counted one by one, when they cover the log about once
_RUN = 1 << 14  # ascending keys searched per slice of the array


def locate(array: np.ndarray, keys: np.ndarray, side: str = "left") -> np.ndarray:
    """``np.searchsorted(array, keys, side)``, faster for many ascending keys: each run of
    keys is searched only in the slice of ``array`` its first and last keys bound, which
    stays in the processor's cache (a search over the whole array misses it every time)."""
    if len(keys) < 4 * _RUN or np.any(keys[1:] < keys[:-1]):
        return np.searchsorted(array, keys, side=side)
    bounds = np.searchsorted(array, keys[::_RUN], side=side)
    bounds = np.append(bounds, np.searchsorted(array, keys[-1:], side=side))
    out = np.empty(len(keys), dtype=np.int64)
    for index in range(len(bounds) - 1):
        low, high = int(bounds[index]), int(bounds[index + 1])
        run = slice(index * _RUN, (index + 1) * _RUN)
        out[run] = np.searchsorted(array[low:high], keys[run], side=side)
        out[run] += low
    return out


class WindowCounter(Protocol):
    def count(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Posts counted in each ``[starts[i], ends[i])``."""


class PostCounter:
    """Posts in any window, by prefix sums over the counted instants."""

    def __init__(self, instants: np.ndarray, posts: np.ndarray, eps: int, window: int) -> None:
        self.instants = instants
        self.posts = posts
        self.total = int(posts.sum())
        self.dense: np.ndarray | None = None
        if len(instants):
            # The grid runs from the earliest useful start to the latest useful end.
            self.base = int(instants[0]) - window + eps
            cells = (int(instants[-1]) + window - self.base) // eps + 1
            if cells <= DENSE_GRID_LIMIT:
                grid = np.zeros(cells, dtype=np.int64)
                grid[(instants - self.base) // eps] = posts
                self.dense = np.concatenate(([0], np.cumsum(grid, dtype=np.int64)))
                self.eps = eps

    def _cell(self, instants: np.ndarray) -> np.ndarray:
        """Grid positions, held to the grid (a calendar day may begin before its base)."""
        cells = (instants - self.base) // self.eps
        np.maximum(cells, 0, out=cells)
        np.minimum(cells, len(self.dense) - 1, out=cells)
        return cells

    @cached_property
    def prefix(self) -> np.ndarray:
        return np.concatenate(([0], np.cumsum(self.posts, dtype=np.int64)))

    def count(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        if self.dense is not None:
            return self.dense[self._cell(ends)] - self.dense[self._cell(starts)]
        lo = locate(self.instants, starts)
        hi = locate(self.instants, ends)
        if "prefix" not in self.__dict__ and len(starts) <= _FEW_WINDOWS \
                and int((hi - lo).sum()) <= 2 * len(self.instants):
            # A few windows (the periods, the chosen worst-case windows): summed where they
            # lie, for no more work than the prefix sums would take, and without holding
            # them (8 bytes an instant) while the compiled search runs.
            return np.array([int(self.posts[a:b].sum()) for a, b in zip(lo, hi, strict=True)],
                            dtype=np.int64)
        return self.prefix[hi] - self.prefix[lo]


class DistinctCounter:
    """Distinct post ids in any window: counts do not add up across windows.

    Of one post's occurrences in time order, those less than ``W`` apart form its
    *clusters*. A window ``[s, s + W)`` holds some occurrence of a cluster with first ``f``
    and last ``l`` exactly when ``f - W < s <= l`` (if it starts after ``f``, the first
    occurrence at or after ``s`` is less than ``W`` after the one before it), and never
    holds two clusters of one post (they are ``W`` or more apart). So the window's distinct
    count is the clusters begun before ``s + W`` less those ended before ``s``: two prefix
    sums over the instants, like posts per instant. Clusters of different posts add up, so
    they are found in one pass over the occurrences in time order, a slice at a time,
    keeping only each post's last instant: the counter holds three numbers per instant and,
    while it is built, one per post, never a copy or a sort of every occurrence
    (decision 0144).

    Windows of other lengths (a 23- or 25-hour calendar day) are counted where they lie,
    from the occurrences themselves (the volume's own arrays, not copied).

    ``slot``: the occurrences are a volume's coverage (its first and last of each post in
    each ``slot``, decision 0122), which counts exactly the windows of length ``W`` when
    ``W`` is at least a slot, and the others when no slot holds occurrences on both sides
    of their bounds; None: every occurrence is given.
    """

    def __init__(self, instants: np.ndarray, ids: np.ndarray, window: int,
                 slot: int | None = None, grid: np.ndarray | None = None) -> None:
        if slot is not None and window < slot:
            raise InvalidArgument("distinct posts are counted in windows of a quarter hour "
                                  "or more; this clause's window is shorter")
        if len(instants) > 1 and np.any(instants[1:] < instants[:-1]):
            order = np.argsort(instants, kind="stable")
            instants, ids = instants[order], ids[order]
        self._occurrences = (instants, ids)
        self.window = window
        self.slot = slot
        # The prefix sums are kept over ``grid`` (the log's instants, ascending) when it
        # holds every instant of the occurrences: instants of no occurrence only repeat a
        # sum, and the log's array is shared, not copied (8 bytes an instant). Otherwise
        # over the occurrences' own distinct instants.
        self._shared = grid is not None and holds_all(grid, instants)
        self.instants = grid if grid is not None and self._shared \
            else sorted_unique(instants, ascending=True)
        self.total, self._begun, self._ended = clusters_per_instant(
            instants, ids, self.instants, window)

    @property
    def nbytes(self) -> int:
        """The bytes the counter holds besides the occurrences and the grid it was given."""
        own = 0 if self._shared else self.instants.nbytes
        return own + self._begun.nbytes + self._ended.nbytes

    def clusters_on(self, instants: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The clusters begun and ended at each of ``instants`` (ascending, holding every
        instant of the occurrences; None if some is missing): a window ``[s, s + W)``
        holds those begun before ``s + W`` less those ended before ``s``. For the compiled
        search (decision 0145): 16 bytes an instant, made when the search needs them."""
        if instants is self.instants:  # the grid the counter was given
            return np.diff(self._begun), np.diff(self._ended)
        if not holds_all(instants, self.instants):
            return None
        at = np.searchsorted(instants, self.instants)
        begun = np.zeros(len(instants), dtype=np.int64)
        ended = np.zeros(len(instants), dtype=np.int64)
        begun[at] = np.diff(self._begun)
        ended[at] = np.diff(self._ended)
        return begun, ended

    def sums_on(self, instants: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The prefix sums over ``instants`` of the clusters begun and ended (entry ``k``:
        those at ``instants[:k]``; None as for ``clusters_on``). Over the grid the counter
        was given these are its own arrays, shared: the compiled search then makes no
        series as long as the log (decision 0149)."""
        if instants is self.instants:
            return self._begun, self._ended
        series = self.clusters_on(instants)
        if series is None:
            return None
        return tuple(np.concatenate(([0], np.cumsum(part, dtype=np.int64)))  # type: ignore[return-value]
                     for part in series)

    def count(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        result = np.empty(len(starts), dtype=np.int64)
        fixed = (ends - starts) == self.window
        if fixed.any():
            result[fixed] = (self._begun[locate(self.instants, ends[fixed])]
                             - self._ended[locate(self.instants, starts[fixed])])
        other = np.flatnonzero(~fixed)
        instants, ids = self._occurrences
        if len(other) and len(instants):
            # The occurrences' neighbours across each bound (not the grid's, which may
            # hold instants of no kept sighting).
            bounds = np.concatenate((starts[other], ends[other]))
            after = np.searchsorted(instants, bounds)
            inside = (after > 0) & (after < len(instants))
            check_cuts(instants, after[inside] - 1, self.slot)
        for index in other:  # other lengths (a 23- or 25-hour day): where they lie
            low, high = np.searchsorted(instants, [starts[index], ends[index]])
            result[index] = count_unique(ids[low:high])
        return result


_CLUSTER_SLICE = 1 << 18  # occurrences taken at once while clusters are found


def holds_all(grid: np.ndarray, instants: np.ndarray) -> bool:
    """Whether ``grid`` (ascending) holds each of ``instants`` (ascending, repeats allowed),
    checked a slice at a time: no array as long as either is made."""
    for low in range(0, len(instants), _CLUSTER_SLICE):
        part = instants[low:low + _CLUSTER_SLICE]
        spanned = grid[_spanned(grid, part)]
        at = np.searchsorted(spanned, part)
        if int(at[-1]) >= len(spanned) or not np.array_equal(spanned[at], part):
            return False
    return True


def _spanned(grid: np.ndarray, part: np.ndarray) -> slice:
    """The part of ``grid`` (ascending) from the first of ``part`` (ascending) to its last:
    a slice's search there stays in the processor's cache, where a search of the whole
    grid missed it at nearly every step."""
    return slice(int(np.searchsorted(grid, part[0])),
                 int(np.searchsorted(grid, part[-1], side="right")))


def clusters_per_instant(instants: np.ndarray, ids: np.ndarray, grid: np.ndarray,
                         window: int, slice_size: int = _CLUSTER_SLICE
                         ) -> tuple[int, np.ndarray, np.ndarray]:
    """How many different ids, and the prefix sums over ``grid`` (ascending, holding every
    one of ``instants``) of the clusters begun and ended at each: entry ``k`` counts those
    at ``grid[:k]``. A cluster is a run of one id's occurrences (time order) each less than
    ``window`` after the one before. One pass in slices of time: each slice is ordered by
    id (its own sort, of a slice), and an id's first occurrence in the slice is compared
    with its last so far (one grid position per id, the ids being small numbers).
    Clusters of groups of ids that share none add up: the prefix sums of a log are the
    sums of its groups' on the same grid.

    Each occurrence is placed on the grid once, searched only in the part of the grid its
    slice spans (which stays in the processor's cache), and an id's last occurrence is kept
    as that place: searching the whole grid for every cluster's two ends was half the
    pricing of a 10 M-row distinct count (1.6 of 3.1 s)."""
    # No more clusters than occurrences: 32-bit sums while they fit, 4 bytes an instant
    # less for each of the two, held through the whole pricing (decision 0149).
    summed = np.int32 if len(instants) < 2**31 else np.int64
    begun = np.zeros(len(grid) + 1, dtype=summed)
    ended = np.zeros(len(grid) + 1, dtype=summed)
    if len(instants) == 0:
        return 0, begun, ended
    if int(ids.min()) < 0 or int(ids.max()) >= 4 * len(ids) + (1 << 20):
        # Not post numbers (any ids given): numbered 0, 1, 2... first.
        ids = np.unique(ids, return_inverse=True)[1].reshape(-1)
    placed = np.int32 if len(grid) < 2**31 else np.int64
    last = np.full(int(ids.max()) + 1, -1, dtype=placed)  # -1: not seen yet
    for low in range(0, len(instants), slice_size):
        times = instants[low:low + slice_size]
        spanned = _spanned(grid, times)
        order = np.argsort(ids[low:low + slice_size], kind="stable")
        posts = ids[low:low + slice_size][order]
        at = (np.searchsorted(grid[spanned], times) + spanned.start).astype(placed)[order]
        times = times[order]
        head = np.empty(len(posts), dtype=bool)  # an id's first occurrence in the slice
        head[0] = True
        np.not_equal(posts[1:], posts[:-1], out=head[1:])
        before = np.empty_like(at)
        before[1:] = at[:-1]
        before[head] = last[posts[head]]
        seen = before >= 0
        # Where a cluster begins, the one before of its id (if any) ended just before.
        begins = ~seen | (times - grid[np.maximum(before, 0)] >= window)
        _add_sorted(begun, np.sort(at[begins]))
        _add_sorted(ended, np.sort(before[begins & seen]))
        tail = np.empty(len(posts), dtype=bool)
        tail[-1] = True
        tail[:-1] = head[1:]
        last[posts[tail]] = at[tail]
    total = 0
    for low in range(0, len(last), slice_size):  # each id's last cluster ends at its last
        closing = last[low:low + slice_size]
        closing = closing[closing >= 0]
        total += len(closing)
        closing.sort()
        _add_sorted(ended, closing)
    del last
    np.cumsum(begun, out=begun)
    np.cumsum(ended, out=ended)
    return total, begun, ended


def _add_sorted(counts: np.ndarray, positions: np.ndarray) -> None:
    """One more at each of ``positions`` (ascending, repeats allowed) of ``counts``, shifted
    by one (entry ``k + 1`` counts position ``k``, for the prefix sums made afterwards)."""
    add_counts_at(counts[1:], positions)


def counter_for(instants: np.ndarray, posts: np.ndarray, eps: int, window: int,
                occurrences: tuple[np.ndarray, np.ndarray] | None = None,
                slot: int | None = None) -> PostCounter | DistinctCounter:
    """The counter a volume needs: distinct post ids when its occurrences (or coverage, of
    ``slot``) are given, posts summed per instant otherwise."""
    if occurrences is not None:
        counter = DistinctCounter(occurrences[0], occurrences[1], window, slot, grid=instants)
        if len(occurrences[0]) >= TRIM_AFTER_ROWS:
            # Building it freed a number per post and each slice's sorts: their pages go
            # back before the periods and the search come on top (decision 0149).
            release()
        return counter
    return PostCounter(instants, posts, eps, window)


def first_in(instants: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The first access at or after each start (the last access for a start past it)."""
    index = locate(instants, starts)
    return instants[np.minimum(index, len(instants) - 1)]


def compiled_serves(asked: bool | None, instants: np.ndarray, counter: WindowCounter) -> bool:
    """Whether the compiled pass (``sweep``) serves: posts per instant of these instants,
    and asked for, or by default a log long enough to pay for loading it."""
    return (isinstance(counter, PostCounter) and counter.instants is instants
            and (asked if asked is not None else len(instants) >= COMPILED_FROM))


def compiled_search_serves(asked: bool | None, instants: np.ndarray,
                           counter: WindowCounter) -> bool:
    """Whether the compiled pass serves the worst-case search: as ``compiled_serves``, and
    for distinct post ids too, through the clusters per instant (decision 0145)."""
    return compiled_serves(asked, instants, counter) or (
        isinstance(counter, DistinctCounter)
        and (asked if asked is not None else len(instants) >= COMPILED_FROM))
