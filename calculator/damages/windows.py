"""Where 24-hour windows are placed, and how many posts each holds.

All instants are integer nanoseconds (UTC) at the log's own resolution ``eps``
(every instant is a multiple of it), so a window ``[s, s + W)`` and the window
"ending just before an access" (``[t - W + eps, t + eps)``) are both exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, partial
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np

from calculator.damages import sweep
from calculator.damages.pricing import ScaledPricer
from calculator.errors import InvalidArgument
from calculator.ingest.volume import by_post, check_cuts, sorted_unique

NS = 1_000_000_000
RESOLUTIONS = (NS, 1_000_000, 1_000, 1)  # seconds, milliseconds, microseconds, nanoseconds

# A dense grid of posts per resolution step is used when it is at most this long: counting
# a window is then two array reads instead of two binary searches.
DENSE_GRID_LIMIT = 16_000_000
# A block with this many points is searched with the pricers on several threads: below it,
# handing the work to threads costs more than it saves.
_PARALLEL_POINTS = 50_000
# From this many counted instants on, posts per instant are searched by the compiled pass
# (``sweep``): importing numba and loading its cached code takes a few tenths of a second,
# which the block search does not need on a small log (decision 0118).
COMPILED_FROM = 500_000


def resolution_of(instants: np.ndarray) -> int:
    """The coarsest of s, ms, µs, ns that every instant is a whole multiple of."""
    for step in RESOLUTIONS:
        if not np.any(instants % step):
            return step
    return 1


_FEW_WINDOWS = 4096  # windows counted one by one, when they cover the log about once
_PEAK_SLICE = 1 << 21  # window starts counted at once for the peak
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
        ids_by_id = self.ids[by_id]
        same = ids_by_id[1:] == ids_by_id[:-1]
        self.total = len(ids_by_id) - int(np.count_nonzero(same))
        instants_by_id = self.instants[by_id]
        earlier = instants_by_id[:-1][same]
        later = instants_by_id[1:][same]
        self.pair_earlier, self.pair_later = earlier, later
        close = later - earlier < window
        self.opens = np.sort(later[close] - window)  # s > opens ...
        self.closes = np.sort(earlier[close])  # ... and s <= closes

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
        for index in other:  # other lengths (a 23- or 25-hour day): directly
            start, end = starts[index], ends[index]
            result[index] -= int(np.count_nonzero((self.pair_earlier >= start)
                                                  & (self.pair_later < end)))
        return result


def counter_for(instants: np.ndarray, posts: np.ndarray, eps: int, window: int,
                occurrences: tuple[np.ndarray, np.ndarray] | None = None,
                slot: int | None = None) -> PostCounter | DistinctCounter:
    """The counter a volume needs: distinct post ids when its occurrences (or coverage, of
    ``slot``) are given, posts summed per instant otherwise."""
    if occurrences is not None:
        return DistinctCounter(occurrences[0], occurrences[1], window, slot)
    return PostCounter(instants, posts, eps, window)


@dataclass(frozen=True)
class Span:
    """A window ``[start_ns, end_ns)`` and the posts counted in it."""

    start_ns: int
    end_ns: int
    posts: int
    first_ns: int  # the window's first counted access: its prices are the ones in force then


def _first_in(instants: np.ndarray, starts: np.ndarray) -> np.ndarray:
    index = locate(instants, starts)
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


def _compiled(asked: bool | None, instants: np.ndarray, counter: WindowCounter) -> bool:
    """Whether the compiled pass (``sweep``) serves: posts per instant of these instants,
    and asked for, or by default a log long enough to pay for loading it."""
    return (isinstance(counter, PostCounter) and counter.instants is instants
            and (asked if asked is not None else len(instants) >= COMPILED_FROM))


def peak(instants: np.ndarray, counter: WindowCounter, window: int,
         posts: np.ndarray | None = None, compiled: bool | None = None) -> Span:
    """The most posts in any ``[s, s + window)``: some window starting at an access holds it.

    Of the windows that hold the most, the first that starts at an access carrying posts
    (given ``posts`` per instant): an access of no posts just before (a robots.txt, an
    empty page) does not move the busiest period earlier than the periods priced, which
    start where their posts start (decision 0062)."""
    if _compiled(compiled, instants, counter):
        # Posts per instant: one compiled pass with two pointers instead of two searches
        # per access (decision 0118).
        highest, first_any, carrying = sweep.busiest(
            instants, counter.posts, counter.posts if posts is None else posts, window)
        best = first_any if posts is None or carrying < 0 else carrying
        start = int(instants[best])
        return Span(start, start + window, highest, start)
    highest, first_any, first_with_posts = -1, 0, None
    for low in range(0, len(instants), _PEAK_SLICE):  # in slices: memory stays bounded
        starts = instants[low:low + _PEAK_SLICE]
        totals = counter.count(starts, starts + window)
        top = int(totals.max())
        if top < highest:
            continue
        most = totals == top
        carrying = None
        if posts is not None and (most & (posts[low:low + _PEAK_SLICE] > 0)).any():
            carrying = low + int(np.argmax(most & (posts[low:low + _PEAK_SLICE] > 0)))
        if top > highest:
            highest, first_any, first_with_posts = top, low + int(np.argmax(most)), carrying
        elif first_with_posts is None:
            first_with_posts = carrying
    best = first_any if first_with_posts is None else first_with_posts
    start = int(instants[best])
    return Span(start, start + window, highest, start)


Pricer = Callable[[np.ndarray, np.ndarray | None], np.ndarray]


@dataclass(frozen=True)
class WorstCase:
    total: int  # in the pricer's scaled units
    starts: list[int]  # the chosen windows' starts, in time order


def _search_block(pricer: Pricer, later: np.ndarray | None, *, posts: np.ndarray,
                  firsts: np.ndarray | None, at_end: np.ndarray | None, rights: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """One pricer's V on a block's points (``later``: its V one block later on the shared
    grid, ``at_end`` each window's end on that grid), and the ends of the pieces where it
    takes a window."""
    value = pricer(posts, firsts)
    if later is not None and at_end is not None:
        after = later[at_end]
        seed = later[0]  # V at the start of the next block
    else:
        after = np.zeros(len(posts), dtype=value.dtype)
        seed = value.dtype.type(0)
    push = value + after
    best = np.maximum(np.maximum.accumulate(push[::-1])[::-1], seed)
    best_next = np.append(best[1:], seed)
    # Take a window only where it beats starting later. Between two points nothing changes,
    # so a take holds for the whole piece up to the next point; the window is placed as
    # late as the piece allows, which is usually at an access.
    return rights[np.flatnonzero((value > 0) & (push > best_next))], best


def worst_case(instants: np.ndarray, counter: WindowCounter, window: int, eps: int,
               pricers: Sequence[Pricer], by_first_access: bool = True,
               threads: int = 1, compiled: bool | None = None) -> list[WorstCase]:
    """For each pricer, the set of non-overlapping windows ``[s, s + window)`` that
    maximizes the total owed, over every start ``s`` at resolution ``eps``.

    ``V(s)``, the best total of windows starting at or after ``s``, obeys
    ``V(s) = max(V(s + eps), owed([s, s + W)) + V(s + W))``. A window's content (and its
    first access) only changes where ``s`` passes an access (``t + eps``) or brings one in
    (``t - W + eps``), so ``owed`` is a step function of ``s`` with those steps, and so is
    ``V``. The search works block by block (one window's length each), from the last to
    the first: in block ``j``, ``V`` changes only at the steps of ``owed`` there and at the
    steps of ``V`` one block later moved back by ``W``. Only those points are evaluated,
    and ``V`` is kept as its steps (where it changes), so the work follows the accesses
    and the steps of ``V``, not (blocks x distinct instants): a millisecond log costs about
    what a one-second log costs. Pricers get each window's first counted access unless
    ``by_first_access`` is false (one price for all). ``threads``: how many pricers are
    searched at once on a large block; one by default, as measured (decision 0098).

    Posts per instant priced by ``ScaledPricer`` readings go through the same points in one
    compiled pass (``sweep``, decision 0118), which names the same windows: by default from
    ``COMPILED_FROM`` instants on (below, loading the compiled code costs more than it
    saves); ``compiled`` true or false forces the choice. Distinct post ids always take the
    block search.
    """
    if len(instants) == 0 or not pricers:
        return [WorstCase(0, []) for _ in pricers]
    lowest = int(instants[0]) - window + eps
    if _compiled(compiled, instants, counter) \
            and all(isinstance(p, ScaledPricer) for p in pricers) \
            and sweep.shares_tariffs(list(pricers)):
        terms = sweep.Terms.of(list(pricers), by_first_access)
        totals, takes = sweep.search(instants, counter.posts, window, eps, terms)
        return [WorstCase(int(total), _read_back(rights, lowest, window, eps))
                for total, rights in zip(totals, takes, strict=True)]
    threads = min(len(pricers), max(threads, 1))
    with ThreadPoolExecutor(threads) if threads > 1 else nullcontext() as pool:
        return _worst_case(instants, counter, window, eps, pricers, by_first_access, pool)


def _worst_case(instants: np.ndarray, counter: WindowCounter, window: int, eps: int,
                pricers: Sequence[Pricer], by_first_access: bool,
                pool: ThreadPoolExecutor | None) -> list[WorstCase]:
    lowest = int(instants[0]) - window + eps  # the earliest start that can hold an access
    last = (int(instants[-1]) - lowest) // window  # the block of the last useful start
    # V one block later, for every pricer on one grid: the points where any pricer's V
    # changes, and each pricer's values there (a step kept where only another pricer's V
    # changes costs nothing, and one search serves all pricers). Beyond the last block
    # nothing can be owed.
    later = np.zeros(0, dtype=np.int64)
    later_values: list[np.ndarray] = []
    takes: list[list[np.ndarray]] = [[] for _ in pricers]  # where each take piece ends
    for j in range(last, -1, -1):
        begin = lowest + j * window
        end = begin + window
        # Where a window's content changes as its start moves through this block: an access
        # leaves (t + eps) or enters (t - W + eps). Taken per block, so that no array of
        # every step of the log is ever held.
        leaving = instants[np.searchsorted(instants, begin - eps):
                           np.searchsorted(instants, end - eps)] + eps
        entering = instants[np.searchsorted(instants, begin + window - eps):
                            np.searchsorted(instants, end + window - eps)] - window + eps
        points = sorted_unique(np.concatenate(
            (np.array([begin], dtype=np.int64), leaving, entering, later - window)),
            runs=True)
        posts = counter.count(points, points + window)
        firsts = _first_in(instants, points) if by_first_access else None
        # V one block later at each window's end (the grid starts at that block's start).
        at_end = (np.searchsorted(later, points + window, side="right") - 1
                  if len(later) else None)
        rights = np.append(points[1:], end)
        changed = np.zeros(len(points), dtype=bool)
        changed[0] = True
        search = partial(_search_block, posts=posts, firsts=firsts, at_end=at_end,
                         rights=rights)
        afters = later_values or [None] * len(pricers)
        # The pricers are independent: with threads, on a large block each runs on its own
        # thread (numpy releases the interpreter lock).
        found = list(pool.map(search, pricers, afters) if pool is not None
                     and len(points) >= _PARALLEL_POINTS else map(search, pricers, afters))
        for r, (taken, best) in enumerate(found):
            takes[r].append(taken)
            changed[1:] |= best[1:] != best[:-1]
        bests = [best for _, best in found]
        later = points[changed]
        later_values = [best[changed] for best in bests]

    return [WorstCase(int(later_values[r][0]) if later_values else 0,
                      _read_back(np.concatenate(takes[r][::-1]), lowest, window, eps))
            for r in range(len(pricers))]  # takes: first block first, so ascending


def _read_back(rights: np.ndarray, lowest: int, window: int, eps: int) -> list[int]:
    """The chosen windows' starts, from the right ends (ascending) of the pieces where a
    reading takes a window."""
    chosen: list[int] = []
    position = lowest
    while True:
        # The first take piece that reaches past ``position``: no start between owes
        # more than it, so the window goes there, as late as the piece allows.
        k = int(np.searchsorted(rights, position, side="right"))
        if k == len(rights):
            return chosen
        start = int(rights[k]) - eps
        chosen.append(start)
        position = start + window
