"""Every reading of a damages clause priced on counted posts per instant: calendar days,
periods from the first access, and the worst-case periods; each window priced by the clause
version in force at its first counted access."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from functools import partial

import numpy as np

from calculator.damages import periods
from calculator.damages.clause import tariff_at
from calculator.damages.periods import Span
from calculator.damages.pricing import (
    ALL_READINGS,
    BASES,
    RATES,
    ScaledPricer,
    Tariff,
    window_amount,
)
from calculator.damages.results import PricedWindow, ReadingResult
from calculator.damages.window_counts import (
    WindowCounter,
    compiled_search_serves,
    counter_for,
    resolution_of,
)
from calculator.damages.worst_case import rate_classes, worst_case
from calculator.errors import InvalidArgument
from calculator.ingest.volume import Volume


def price_readings(counted: Volume, tariffs: list[Tariff], window: int, tz: str
                   ) -> tuple[list[ReadingResult], Span | None, set[int], list, bool]:
    """Each reading's result, the busiest period, the boundaries of clause versions that
    windows span, the calendar days that are not 24 hours long, and whether some
    worst-case window had to start before its first access."""
    instants, posts = counted.instants, counted.posts
    if len(instants) == 0:
        return [ReadingResult(r, Fraction(0), ()) for r in ALL_READINGS], None, set(), [], \
            False
    eps = resolution_of(instants)
    counter = counter_for(instants, posts, eps, window, counted.occurrences,
                            counted.coverage_slot)
    rolling = periods.partition(instants, counter, periods.first_access_bounds(instants,
                                                                               window))
    threshold = min(t.threshold for t in tariffs)
    pairs = [(rate, basis) for rate in RATES for basis in BASES]
    pricers = [ScaledPricer(tariffs, rate, basis) for rate, basis in pairs]
    # The search runs as two (decisions 0133 and 0168): the pro rata readings, the longer,
    # on a helper thread, and the others on this thread once the busiest period and the
    # calendar days are done, so that no third thread takes turns with the two. Apart, the
    # others pass the points whose window owes no more than the last one priced, which
    # beside a pro rata reading (owing more for every post) they seldom can: the two cost
    # no more CPU than one search. Each thread counts its own readings' windows.
    groups = [[pairs[k] for k in group] for group in rate_classes(pricers)]
    search = partial(_worst_windows, instants, counter, window, eps, tariffs)
    chosen: dict[tuple[str, str], list[Span]] = {pair: [] for pair in pairs}
    placed_early = False
    with ThreadPoolExecutor(1) as meanwhile:
        # Each period from the first access is a window of the clause's length, so the
        # busiest period holds at least as many posts: when one is over the threshold, the
        # worst-case windows are needed, and a long log's compiled search starts at once
        # beside the busiest period and the calendar days (decision 0140).
        searching = None
        if compiled_search_serves(None, instants, counter) \
                and any(span.posts > threshold for span in rolling):
            _check_exact(counter, pricers)
            searching = meanwhile.submit(search, groups[0])
        peak_span = periods.peak(instants, counter, window, posts)
        days = periods.calendar_bounds(instants, tz)
        spans = {"calendar_day": periods.partition(instants, counter, days.bounds),
                 "rolling_first_access": rolling}
        if peak_span.posts > threshold:
            if searching is None:
                _check_exact(counter, pricers)
                parts = [search(pairs)]
            else:
                parts = [search(group) for group in groups[1:]] + [searching.result()]
            for found, early in parts:
                chosen.update(found)
                placed_early |= early
    results = []
    spanning: set[int] = set()
    for reading in ALL_READINGS:
        found_spans = (chosen[(reading.rate, reading.basis)]
                       if reading.window == "rolling_worst_case" else spans[reading.window])
        priced = []
        for span in found_spans:
            tariff = tariff_at(tariffs, span.first_ns)
            priced.append(PricedWindow(span.start_ns, span.end_ns, span.posts,
                                       window_amount(span.posts, tariff, reading.rate,
                                                     reading.basis),
                                       tariff.version.isoformat()))
            spanning.update(t.starts_ns for t in tariffs[1:]
                            if span.start_ns < t.starts_ns < span.end_ns)
        results.append(ReadingResult(reading, sum((p.amount for p in priced), Fraction(0)),
                                     tuple(priced)))
    return results, peak_span, spanning, days.irregular, placed_early


def _check_exact(counter: WindowCounter, pricers: list[ScaledPricer]) -> None:
    """Refuse a log whose worst-case sums could leave exact 64-bit arithmetic."""
    if counter.total * 2 * max(p.max_unit() for p in pricers) >= 2**62:
        raise InvalidArgument("the log's volume is too large to price exactly in one "
                              "assessment; split it by period")


def _worst_windows(instants: np.ndarray, counter: WindowCounter, window: int, eps: int,
                   tariffs: list[Tariff], pairs: list[tuple[str, str]]
                   ) -> tuple[dict[tuple[str, str], list[Span]], bool]:
    """The worst-case windows of the readings (rate, basis) in ``pairs``, in one search,
    each as a period counted and placed at its first access where it can be; and whether
    some window had to start before it."""
    pricers = [ScaledPricer(tariffs, rate, basis) for rate, basis in pairs]
    found = worst_case(instants, counter, window, eps, pricers,
                       by_first_access=not all(p.uniform for p in pricers))
    chosen: dict[tuple[str, str], list[Span]] = {}
    placed_early = False
    for pair, pricer, result in zip(pairs, pricers, found, strict=True):
        picked = np.array(result.starts, dtype=np.int64)
        held = counter.count(picked, picked + window)
        firsts = instants[np.searchsorted(instants, picked, side="left")] \
            if len(picked) else picked
        picked, early = _at_first_access(picked, held, firsts, counter, window)
        placed_early |= early
        chosen[pair] = [Span(int(s), int(s) + window, int(n), int(f))
                        for s, n, f in zip(picked, held, firsts, strict=True)]
        exact = sum((window_amount(s.posts, tariff_at(tariffs, s.first_ns), *pair)
                     for s in chosen[pair]), Fraction(0))
        if exact * pricer.scale != result.total:
            raise AssertionError("worst-case windows do not add up to the search's total")
    return chosen, placed_early


def _at_first_access(starts: np.ndarray, held: np.ndarray, firsts: np.ndarray,
                     counter: WindowCounter, window: int) -> tuple[np.ndarray, bool]:
    """Worst-case windows moved to start at their first counted access, as the busiest
    period does, wherever that keeps the same count and overlaps no later window (the same
    posts and first access: the same amount). The search places a window as late as its
    count allows, which can be just before its first access; said in the assumptions when a
    window has to stay there (moving it would take in the next access). Decision 0062."""
    if len(starts) == 0:
        return starts, False
    moved = counter.count(firsts, firsts + window)
    following = np.append(starts[1:], np.iinfo(np.int64).max)
    keeps = (moved == held) & (firsts + window <= following)
    return np.where(keeps, firsts, starts), bool((~keeps & (firsts != starts)).any())

