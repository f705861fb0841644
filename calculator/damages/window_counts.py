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
from calculator.ingest.volume import by_post, check_cuts

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
        # The first instants settle most logs: a whole pass (a division per instant) is
        # made only for a step they all fit, a slice at a time, so that the remainders
        # stay in the processor's cache instead of filling a fresh array as long as the log.
        if not np.any(instants[:1024] % step) and not any(
                np.any(instants[k:k + _SLICE] % step) for k in range(0, len(instants), _SLICE)):
            return step
    return 1


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

    An id is in ``[s, e)`` when one of its occurrences is. So the distinct count is the
    occurrences in the window less the pairs of consecutive occurrences of one id that
    both lie in it. For windows of the fixed length ``W``, the pair ``(a, b)`` lies in
    ``[s, s + W)`` exactly when ``b - W < s <= a``: counting pairs becomes counting
    intervals that contain ``s``, two binary searches for any number of windows.

    ``slot``: the occurrences are a volume's coverage (its first and last of each post in
    each ``slot``, decision 0122), which counts exactly the windows of length ``W`` when
    ``W`` is at least a slot, and the others when no slot holds occurrences on both sides
    of their bounds; None: every occurrence is given.
    """

    def __init__(self, instants: np.ndarray, ids: np.ndarray, window: int,
                 slot: int | None = None) -> None:
        if slot is not None and window < slot:
            raise InvalidArgument("distinct posts are counted in windows of a quarter hour "
                                  "or more; this clause's window is shorter")
        # One occurrence per (instant, id) in time order, and their order by id then time.
        self.instants, self.ids, by_id = by_post(instants, ids)
        self.window = window
        self.slot = slot
        # Listed by id, then time: consecutive entries of one id are its pairs. Only the
        # pairs closer than a window are kept (sorted apart); all of them are found again
        # should a window of another length be asked for (``_pairs``).
        listed = self.ids[by_id]
        close = listed[1:] == listed[:-1]
        np.take(self.instants, by_id, out=listed)
        del by_id
        self.total = len(listed) - int(np.count_nonzero(close))
        gap = np.diff(listed)
        close &= gap < window
        del gap
        self.opens = listed[1:][close]
        self.opens -= window
        self.opens.sort()  # s > opens ...
        self.closes = listed[:-1][close]
        del listed, close
        self.closes.sort()  # ... and s <= closes

    @cached_property
    def _pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Every pair of consecutive occurrences of one id (earlier, later instants)."""
        return _consecutive_pairs(self.instants, self.ids,
                                  np.argsort(self.ids, kind="stable"))

    def occurrences(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        return locate(self.instants, ends) - locate(self.instants, starts)

    def count(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        result = self.occurrences(starts, ends)
        fixed = (ends - starts) == self.window
        if fixed.any():
            s = starts[fixed]
            inside = locate(self.opens, s) - locate(self.closes, s)
            result[fixed] -= inside
        other = np.flatnonzero(~fixed)
        if len(other) and len(self.instants):
            bounds = np.concatenate((starts[other], ends[other]))
            after = np.searchsorted(self.instants, bounds)
            inside = (after > 0) & (after < len(self.instants))
            check_cuts(self.instants, after[inside] - 1, self.slot)
        if len(other):
            pair_earlier, pair_later = self._pairs
        for index in other:  # other lengths (a 23- or 25-hour day): directly
            start, end = starts[index], ends[index]
            result[index] -= int(np.count_nonzero((pair_earlier >= start)
                                                  & (pair_later < end)))
        return result


def _consecutive_pairs(instants: np.ndarray, ids: np.ndarray, by_id: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The (earlier, later) instants of each two consecutive occurrences of one id, given
    the order (``by_id``) that lists occurrences by id, then time."""
    listed = ids[by_id]
    same = listed[1:] == listed[:-1]
    np.take(instants, by_id, out=listed)
    return listed[:-1][same], listed[1:][same]


def counter_for(instants: np.ndarray, posts: np.ndarray, eps: int, window: int,
                occurrences: tuple[np.ndarray, np.ndarray] | None = None,
                slot: int | None = None) -> PostCounter | DistinctCounter:
    """The counter a volume needs: distinct post ids when its occurrences (or coverage, of
    ``slot``) are given, posts summed per instant otherwise."""
    if occurrences is not None:
        return DistinctCounter(occurrences[0], occurrences[1], window, slot)
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
