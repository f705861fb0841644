"""The worst-case search and the busiest period on posts per instant, as one compiled pass.

``worst_case.worst_case`` evaluates ``V(s) = max(V(s + eps), owed([s, s + W)) + V(s + W))``
only where it can change, block by block with array operations: every point costs two
binary searches over the whole log (the window's count and its first access) and a dozen
passes of six readings. Here the same points are visited once, from the last to the first,
in one loop compiled by numba (decision 0118):

- the points come from three streams merged in descending order: an access leaving
  (``t + eps``), a block's start, and a change of ``V`` one window later (``q - W``). The
  block search also visits where an access enters (``t - W + eps``); going down past such
  a point, the window only loses posts at its end while ``V(s + W)`` stays, so it owes no
  more, and ``V`` neither changes nor takes a window there (decision 0134). Each piece
  between two points is priced by its last start, which holds the most posts;
- the window's count and its first access follow two pointers into the accesses, which
  only move down, so no search is done at all;
- ``V(s + W)`` is read through a third pointer into the recorded changes of ``V``, of
  which only one window's worth is ever kept, in a ring that is written over as the
  search moves down (decision 0149);
- the windows are read back from the pieces where a reading takes one in the compiled code
  too: a dense log has millions of such pieces.

The places where a reading takes a window end where those of the block search end, so the
windows named are the same, not only the totals (a property test holds the two equal).
Distinct post ids go through the same loop as the clusters begun and ended at each instant
(decision 0145): a window's distinct count is the clusters begun before its end less those
ended before its start.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from calculator.damages.pricing import ScaledPricer
from calculator.ingest import compiled_reads

_PRO_RATA, _STARTED, _FULL = 0, 1, 2
# Recorded changes of V and takes held at first (the arrays grow as needed). The changes
# are kept in a ring, whose size is a power of two (decision 0149).
_CAPACITY = 4096
# From this many instants on, the takes get room for one per instant at once (a dense log's
# pro rata readings take a window on about 0.4 pieces per instant each): growing to
# millions by doubling wrote every take about twice and touched twice the fresh pages, on
# the thread that decides how long the search takes. Room not written to holds no memory.
_TAKES_PER_INSTANT_FROM = 1 << 20
_RATE_CODES = {"pro_rata": _PRO_RATA, "per_started_million": _STARTED,
               "per_full_million": _FULL}


@dataclass(frozen=True)
class Terms:
    """The readings' pricing as plain arrays, for the compiled loop: per tariff (its start,
    threshold and posts per block), per reading (its rate, basis and scaled unit price)."""

    starts: np.ndarray  # int64, tariff k in force from starts[k]
    thresholds: np.ndarray  # int64
    per_posts: np.ndarray  # int64
    units: np.ndarray  # int64 [reading, tariff]: scaled amount per post
    rates: np.ndarray  # int64 per reading: _PRO_RATA, _STARTED, _FULL
    excess: np.ndarray  # bool per reading: basis excess_only
    by_first: bool  # priced by the tariff in force at the window's first access

    @property
    def inverses(self) -> np.ndarray:
        """1 / per_posts, for the loop's exact quotients (see ``_quotient``)."""
        return 1.0 / self.per_posts

    @classmethod
    def of(cls, pricers: list[ScaledPricer], by_first_access: bool) -> Terms:
        tariffs = pricers[0].tariffs
        units = np.array([[unit for unit in p.units()] for p in pricers], dtype=np.int64)
        return cls(
            starts=np.array([t.starts_ns for t in tariffs], dtype=np.int64),
            thresholds=np.array([t.threshold for t in tariffs], dtype=np.int64),
            per_posts=np.array([t.per_posts for t in tariffs], dtype=np.int64),
            units=units,
            rates=np.array([_RATE_CODES[p.rate] for p in pricers], dtype=np.int64),
            excess=np.array([p.basis == "excess_only" for p in pricers], dtype=np.bool_),
            # One list of versions: they price alike for every reading, or for none.
            by_first=by_first_access and not pricers[0].uniform)


def shares_tariffs(pricers: list[ScaledPricer]) -> bool:
    """Whether the readings price by one list of clause versions (as an assessment's do)."""
    return all(p.tariffs == pricers[0].tariffs for p in pricers)


def owe_more_for_more_posts(pricers: list[ScaledPricer]) -> bool:
    """Whether no price is negative, so that a window never owes less for holding more
    posts: the compiled pass skips the points where a window only loses an access at its
    end, which can then neither change ``V`` nor take a window (decision 0134)."""
    return all(unit >= 0 for p in pricers for unit in p.units())


def search(instants: np.ndarray, posts: np.ndarray, window: int, eps: int,
           terms: Terms, lost: np.ndarray | None = None, summed: bool = False
           ) -> tuple[np.ndarray, list[list[int]]]:
    """Each reading's best total (scaled) and the starts of the windows it takes, in time
    order. A dense log has millions of take pieces: the windows are read back from them in
    the compiled code, in one pass for all readings (decision 0134).

    A window ``[s, s + W)`` holds the ``posts`` at instants before ``s + W`` less the
    ``lost`` at instants before ``s`` (by default the posts again: posts per instant). For
    distinct post ids they are the clusters begun and ended at each instant (decision
    0145): neither is ever negative, so a window that loses an access at its end never
    holds more, as the skipped points require (decision 0134). ``summed``: both are given
    as prefix sums (one entry more than the instants; entry ``k`` sums the first ``k``),
    as a distinct counter keeps them (decision 0149)."""
    if summed and (lost is None or len(posts) != len(instants) + 1
                   or len(lost) != len(instants) + 1):
        raise ValueError("prefix sums have one entry more than the instants, both given")
    lowest = int(instants[0]) - window + eps
    blocks = (int(instants[-1]) - lowest) // window + 1
    kernels = _kernels()
    # The takes' room is numpy's, not the compiled code's: numpy asks for huge pages for a
    # large array, so the kernel zeroes tens of 2 MB pages where it zeroed and faulted in
    # thousands of small ones (about 7 % of the pro rata search's time on 10 M instants).
    room = max(_CAPACITY, len(instants)) if len(instants) >= _TAKES_PER_INSTANT_FROM \
        else _CAPACITY
    totals, rights, readers = kernels.search(
        instants, posts, posts if lost is None else lost, summed, np.int64(window),
        np.int64(eps), np.int64(lowest), np.int64(blocks), terms.starts, terms.thresholds,
        terms.per_posts, terms.units, terms.inverses, terms.rates, terms.excess,
        terms.by_first, np.int64(_CAPACITY), np.empty(room, dtype=np.int64),
        np.empty(room, dtype=np.int8))
    starts, owners = kernels.read_back(rights, readers, np.int64(len(totals)),
                                       np.int64(lowest), np.int64(window), np.int64(eps))
    return totals, [starts[owners == r].tolist() for r in range(len(totals))]


def busiest(instants: np.ndarray, posts: np.ndarray, carrying: np.ndarray, window: int
            ) -> tuple[int, int, int]:
    """Posts in the busiest ``[t, t + window)`` starting at an access, the first access
    starting one, and the first such access with ``carrying`` posts (-1 if none has)."""
    top, first_any, first_carrying = _kernels().busiest(instants, posts, carrying,
                                                        np.int64(window))
    return int(top), int(first_any), int(first_carrying)


_COMPILED = None
_LOADING: list[threading.Thread] = []


def load_meanwhile() -> None:
    """Start loading the compiled loops on a helper thread, for a log long enough to need
    them: importing numba and reading its cached machine code (a few tenths of a second)
    then overlaps reading the log, which leaves a core idle part of the time. Each loop
    is run once on a tiny log with the argument types of a real search, since numba loads
    the machine code of a loop when first called."""
    if _COMPILED is None and not _LOADING:
        thread = threading.Thread(target=_load, name="compiled-search-load", daemon=True)
        _LOADING.append(thread)
        thread.start()


def _load() -> None:
    one = np.ones(1, dtype=np.int64)
    terms = Terms(starts=one * 0, thresholds=one * 0, per_posts=one, units=np.ones((2, 1),
                  dtype=np.int64), rates=np.array([_PRO_RATA, _STARTED], dtype=np.int64),
                  excess=np.zeros(2, dtype=np.bool_), by_first=False)
    search(one, one, 1, 1, terms)
    busiest(one, one, one, 1)
    compiled_reads.load()  # the read's loops, as numba is loaded now anyway


def _kernels():
    """The compiled loops; numba is imported and the cached machine code loaded on first
    use only, so that commands that never price a log do not pay for it."""
    global _COMPILED
    if _COMPILED is None:
        from calculator.damages import sweep_kernels

        _COMPILED = sweep_kernels
    return _COMPILED
