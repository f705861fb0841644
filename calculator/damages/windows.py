"""Where 24-hour windows are placed, and how many posts each holds.

All instants are integer nanoseconds (UTC) at the log's own resolution ``eps``
(every instant is a multiple of it), so a window ``[s, s + W)`` and the window
"ending just before an access" (``[t - W + eps, t + eps)``) are both exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np

NS = 1_000_000_000
RESOLUTIONS = (NS, 1_000_000, 1_000, 1)  # seconds, milliseconds, microseconds, nanoseconds

# A dense grid of posts per resolution step is used when it is at most this long: counting
# a window is then two array reads instead of two binary searches.
DENSE_GRID_LIMIT = 16_000_000


def resolution_of(instants: np.ndarray) -> int:
    """The coarsest of s, ms, µs, ns that every instant is a whole multiple of."""
    for step in RESOLUTIONS:
        if not np.any(instants % step):
            return step
    return 1


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
        lo = np.searchsorted(self.instants, starts, side="left")
        hi = np.searchsorted(self.instants, ends, side="left")
        return self.prefix[hi] - self.prefix[lo]


class DistinctCounter:
    """Distinct post ids in any window: counts do not add up across windows.

    An id is in ``[s, e)`` when one of its occurrences is. So the distinct count is the
    occurrences in the window less the pairs of consecutive occurrences of one id that
    both lie in it. For windows of the fixed length ``W``, the pair ``(a, b)`` lies in
    ``[s, s + W)`` exactly when ``b - W < s <= a``: counting pairs becomes counting
    intervals that contain ``s``, two binary searches for any number of windows.
    """

    def __init__(self, instants: np.ndarray, ids: np.ndarray, window: int) -> None:
        # One occurrence per (instant, id), in time order.
        order = np.lexsort((ids, instants))
        instants, ids = instants[order], ids[order]
        keep = np.ones(len(ids), dtype=bool)
        keep[1:] = (instants[1:] != instants[:-1]) | (ids[1:] != ids[:-1])
        self.instants, self.ids = instants[keep], ids[keep]
        self.window = window
        self.total = len(np.unique(self.ids))
        by_id = np.lexsort((self.instants, self.ids))
        same = self.ids[by_id][1:] == self.ids[by_id][:-1]
        earlier = self.instants[by_id][:-1][same]
        later = self.instants[by_id][1:][same]
        self.pair_earlier, self.pair_later = earlier, later
        close = later - earlier < window
        self.opens = np.sort(later[close] - window)  # s > opens ...
        self.closes = np.sort(earlier[close])  # ... and s <= closes

    def occurrences(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        return (np.searchsorted(self.instants, ends, side="left")
                - np.searchsorted(self.instants, starts, side="left"))

    def count(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        result = self.occurrences(starts, ends)
        fixed = (ends - starts) == self.window
        if fixed.any():
            s = starts[fixed]
            inside = (np.searchsorted(self.opens, s, side="left")
                      - np.searchsorted(self.closes, s, side="left"))
            result[fixed] -= inside
        for index in np.flatnonzero(~fixed):  # other lengths (a 23- or 25-hour day): directly
            start, end = starts[index], ends[index]
            result[index] -= int(np.count_nonzero((self.pair_earlier >= start)
                                                  & (self.pair_later < end)))
        return result

    def per_instant(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct ids at each instant (for display; these do not add up over time)."""
        if len(self.instants) == 0:
            return self.instants, self.instants
        starts = np.concatenate(([0], np.flatnonzero(np.diff(self.instants)) + 1))
        return self.instants[starts], np.diff(np.append(starts, len(self.instants)))


def counter_for(instants: np.ndarray, posts: np.ndarray, eps: int, window: int,
                occurrences: tuple[np.ndarray, np.ndarray] | None = None
                ) -> PostCounter | DistinctCounter:
    """The counter a volume needs: distinct post ids when its occurrences are given, posts
    summed per instant otherwise."""
    if occurrences is not None:
        return DistinctCounter(occurrences[0], occurrences[1], window)
    return PostCounter(instants, posts, eps, window)


@dataclass(frozen=True)
class Span:
    """A window ``[start_ns, end_ns)`` and the posts counted in it."""

    start_ns: int
    end_ns: int
    posts: int
    first_ns: int  # the window's first counted access: its prices are the ones in force then


def _first_in(instants: np.ndarray, starts: np.ndarray) -> np.ndarray:
    index = np.searchsorted(instants, starts, side="left")
    return instants[np.minimum(index, len(instants) - 1)]


def partition(instants: np.ndarray, counter: WindowCounter,
              bounds: np.ndarray) -> list[Span]:
    """Posts in consecutive windows ``[bounds[i], bounds[i+1])``; empty windows left out."""
    if len(bounds) < 2:
        return []
    starts, ends = bounds[:-1], bounds[1:]
    posts = counter.count(starts, ends)
    firsts = _first_in(instants, starts)
    return [Span(int(s), int(e), int(p), int(f))
            for s, e, p, f in zip(starts, ends, posts, firsts, strict=True) if p > 0]


def first_access_bounds(instants: np.ndarray, window: int) -> np.ndarray:
    """Consecutive windows starting at the first counted access."""
    first, last = int(instants[0]), int(instants[-1])
    return np.arange(first, last + window + 1, window, dtype=np.int64)[: (last - first)
                                                                         // window + 2]


@dataclass(frozen=True)
class CalendarDays:
    bounds: np.ndarray
    irregular: list[tuple[date, float]]  # days that are not 24 hours long, and their hours


def calendar_bounds(instants: np.ndarray, zone_name: str) -> CalendarDays:
    """Midnights (as UTC ns) of every calendar day in ``zone_name`` from the first counted
    access to the last; a day is what the zone's clock says, 23 or 25 hours across DST."""
    zone = ZoneInfo(zone_name)

    def local_day(ns: int) -> date:
        return datetime.fromtimestamp(ns // NS, UTC).astimezone(zone).date()

    def midnight(day: date) -> int:
        local = datetime.combine(day, time(), zone)
        return (int(local.astimezone(UTC).timestamp()) * NS)

    first, last = local_day(int(instants[0])), local_day(int(instants[-1]))
    days = [first + timedelta(days=k) for k in range((last - first).days + 2)]
    bounds = np.array([midnight(d) for d in days], dtype=np.int64)
    lengths = np.diff(bounds)
    irregular = [(days[i], float(lengths[i]) / (3600 * NS)) for i in np.flatnonzero(
        lengths != 86400 * NS)]
    return CalendarDays(bounds, irregular)


def peak(instants: np.ndarray, counter: WindowCounter, window: int) -> Span:
    """The most posts in any ``[s, s + window)``: some window starting at an access holds it."""
    totals = counter.count(instants, instants + window)
    best = int(np.argmax(totals))
    start = int(instants[best])
    return Span(start, start + window, int(totals[best]), start)


Pricer = Callable[[np.ndarray, np.ndarray | None], np.ndarray]


def _phases(relative: np.ndarray, window: int, eps: int
            ) -> tuple[np.ndarray, np.ndarray, int]:
    """The distinct phases of accesses modulo the window, each with the first block (window
    length) it appears in, and the last block where a state can lie."""
    phase = relative % window
    block = relative // window  # ascending, since the accesses are
    last = int(block[-1]) + 1
    slots = window // eps
    if slots <= DENSE_GRID_LIMIT:
        # Writing in reverse leaves each phase's earliest block: no sort needed.
        first = np.full(slots, -1, dtype=np.int64)
        first[(phase // eps)[::-1]] = block[::-1]
        present = np.flatnonzero(first >= 0)
        return present * eps, first[present], last
    phases, inverse = np.unique(phase, return_inverse=True)
    first = np.full(len(phases), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, inverse, block)
    return phases, first, last


@dataclass(frozen=True)
class WorstCase:
    total: int  # in the pricer's scaled units
    starts: list[int]  # the chosen windows' starts, in time order


def worst_case(instants: np.ndarray, counter: WindowCounter, window: int, eps: int,
               pricers: Sequence[Pricer], by_first_access: bool = True) -> list[WorstCase]:
    """For each pricer, the set of non-overlapping windows ``[s, s + window)`` that
    maximizes the total owed, over every start ``s`` at resolution ``eps``.

    A window's content only changes when ``s`` passes an access (``t + eps``) or brings
    one in (``t - window + eps``), and after a window the next may start at its end, so
    every start worth trying is ``t + eps + k * window`` for an access ``t`` and
    ``k >= -1``. The search keeps, per block of one window's length, the value
    ``V(x)`` of the best windows starting at or after each such state ``x``:
    ``V(x) = max(V(next state), value([x, x + W)) + V(x + W))``, from the last block to
    the first. States in one block are the accesses' phases modulo the window, so the
    work is (blocks x distinct phases), never (instants squared). Pricers get each
    window's first counted access unless ``by_first_access`` is false (one price for all).
    """
    if len(instants) == 0 or not pricers:
        return [WorstCase(0, []) for _ in pricers]
    t0 = int(instants[0])
    base = t0 - window + eps  # the earliest start that can hold an access
    phases, first_block, last = _phases(instants - t0, window, eps)

    takes: list[list[np.ndarray]] = [[] for _ in pricers]
    following: list[np.ndarray | None] = [None] * len(pricers)
    following_phases: np.ndarray | None = None
    for j in range(last, -1, -1):
        present = phases[first_block <= j]
        starts = base + j * window + present
        posts = counter.count(starts, starts + window)
        firsts = _first_in(instants, starts) if by_first_access else None
        if following_phases is not None:
            # The same phase one block later; every phase present here is present there.
            same = (slice(None) if len(following_phases) == len(present)
                    else np.searchsorted(following_phases, present))
        for r, pricer in enumerate(pricers):
            value = pricer(posts, firsts)
            after = following[r]
            if after is None:
                push, seed = value, value.dtype.type(0)
            else:
                push, seed = value + after[same], after[0]
            best = np.maximum(np.maximum.accumulate(push[::-1])[::-1], seed)
            best_next = np.append(best[1:], seed)
            # Take a window only where it beats starting later: among equal totals the
            # windows start as late as they can, which is usually at an access.
            takes[r].append(np.flatnonzero((value > 0) & (push > best_next)))
            following[r] = best
        following_phases = present

    results = []
    for r in range(len(pricers)):
        chosen_takes = takes[r][::-1]  # indexed by block, first block first
        chosen: list[int] = []
        j, position = 0, 0
        while j <= last:
            candidates = chosen_takes[j]
            k = int(np.searchsorted(candidates, position))
            if k == len(candidates):
                j, position = j + 1, 0
                continue
            present = phases[first_block <= j]
            picked = int(present[candidates[k]])
            chosen.append(base + j * window + picked)
            j += 1
            if j <= last:
                position = int(np.searchsorted(phases[first_block <= j], picked))
        results.append(WorstCase(int(following[r][0]), chosen))
    return results
