"""The worst-case reading's windows: the non-overlapping 24-hour windows that owe the most,
over every start at the log's resolution, searched block by block (or, on a long log, by
the compiled pass of ``sweep``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

import numpy as np

from calculator.damages import sweep
from calculator.damages.pricing import ScaledPricer
from calculator.damages.window_counts import (
    DistinctCounter,
    PostCounter,
    WindowCounter,
    compiled_search_serves,
    first_in,
)
from calculator.ingest.sorted_arrays import sorted_unique

# A block with this many points is searched with the pricers on several threads: below it,
# handing the work to threads costs more than it saves.
_PARALLEL_POINTS = 50_000

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
    saves); ``compiled`` true or false forces the choice. Distinct post ids go through it
    too, as the clusters begun and ended at each instant (decision 0145). The compiled pass
    is one search of all the pricers given: ``rate_classes`` splits them in the two groups
    an assessment searches apart (decisions 0133 and 0168).
    """
    if len(instants) == 0 or not pricers:
        return [WorstCase(0, []) for _ in pricers]
    series = _series(counter, instants) \
        if compiled_search_serves(compiled, instants, counter) \
        and all(isinstance(p, ScaledPricer) for p in pricers) \
        and sweep.shares_tariffs(list(pricers)) \
        and sweep.owe_more_for_more_posts(list(pricers)) else None
    if series is not None:
        gained, lost, summed = series
        terms = sweep.Terms.of([p for p in pricers if isinstance(p, ScaledPricer)],
                               by_first_access)
        totals, chosen = sweep.search(instants, gained, window, eps, terms, lost, summed)
        return [WorstCase(int(total), starts)
                for total, starts in zip(totals, chosen, strict=True)]
    threads = min(len(pricers), max(threads, 1))
    with ThreadPoolExecutor(threads) if threads > 1 else nullcontext() as pool:
        return _worst_case(instants, counter, window, eps, pricers, by_first_access, pool)


def _series(counter: WindowCounter, instants: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray | None, bool] | None:
    """What the compiled pass counts at each instant, and whether as prefix sums: the posts
    (counted where a window starts and where it ends alike), or a distinct count's
    clusters begun and ended there, summed as the counter keeps them (decisions 0145 and
    0149); None where it cannot serve."""
    if isinstance(counter, DistinctCounter):
        sums = counter.sums_on(instants)
        return None if sums is None else (sums[0], sums[1], True)
    if isinstance(counter, PostCounter):
        return counter.posts, None, False
    return None


def rate_classes(pricers: Sequence[ScaledPricer]) -> list[list[int]]:
    """The readings' positions in the two groups of the compiled pass, the longer first:
    pro rata (whose V changes at almost every point, and which take a window on millions
    of pieces of a dense log) and the per-million rates (whose V changes seldom, and which,
    searched apart, pass almost every point: decision 0168)."""
    pro_rata = [k for k, p in enumerate(pricers) if p.rate == "pro_rata"]
    others = [k for k, p in enumerate(pricers) if p.rate != "pro_rata"]
    return [group for group in (pro_rata, others) if group]


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
        firsts = first_in(instants, points) if by_first_access else None
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
