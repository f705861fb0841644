"""Distinct post ids through the compiled worst-case search (decision 0145): fed the
clusters begun and ended at each instant, it names the windows and totals of the block
search and owes what trying every start owes, whether the occurrences are all given or
kept as a coverage, and whatever instants of no kept sighting the log also holds."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.damages import readings, sweep, window_counts
from calculator.damages.pricing import BASES, RATES, ScaledPricer, window_amount
from calculator.damages.window_counts import DistinctCounter
from calculator.damages.worst_case import worst_case
from calculator.errors import InvalidArgument
from calculator.ingest.volume import Volume

from .test_compiled_search import (
    assert_compiled_names_the_block_windows,
    pricers_of,
    terms,
    version,
)
from .test_distinct_windows import brute_distinct

sightings = st.lists(st.tuples(st.integers(0, 90), st.integers(0, 8)), min_size=1,
                     max_size=50)


@pytest.fixture(autouse=True)
def tiny_arrays(monkeypatch):
    # Arrays of two: every run of the loop fills them, so growing and dropping is exercised.
    monkeypatch.setattr(sweep, "_CAPACITY", 2)


@settings(max_examples=250, deadline=None)
@given(pairs=sightings, quiet=st.sets(st.integers(0, 90), max_size=10),
       window=st.integers(2, 30), unit=st.sampled_from([1_000_000_000, 1_000_000, 1_000]),
       first=terms, later=st.none() | st.tuples(st.integers(0, 90), terms),
       by_first_access=st.booleans(), apart=st.booleans(), slot=st.booleans())
def test_distinct_posts_searched_compiled_name_the_windows_of_the_block_search(
        pairs, quiet, window, unit, first, later, by_first_access, apart, slot):
    # ``quiet``: accesses where no post is kept (an empty page, a sighting the coverage
    # dropped), which are points of the search all the same. ``slot``: the occurrences are
    # read as a coverage of slots of two steps.
    times = np.array([t for t, _ in pairs], dtype=np.int64) * unit
    ids = np.array([p for _, p in pairs], dtype=np.int64)
    counter = DistinctCounter(times, ids, window * unit, 2 * unit if slot else None)
    instants = np.union1d(times, np.array(sorted(quiet), dtype=np.int64) * unit)
    pricers = pricers_of(window, unit, first, later)
    assert_compiled_names_the_block_windows(instants, counter, window * unit, unit, pricers,
                                            by_first_access, apart)


@settings(max_examples=150, deadline=None)
@given(pairs=sightings, window=st.integers(2, 25), threshold=st.integers(0, 5),
       per=st.integers(1, 3))
def test_distinct_posts_searched_compiled_owe_what_trying_every_start_owes(
        pairs, window, threshold, per):
    terms_ = version(-(10**18), threshold, per, Fraction(3, 2), window)
    pricers = [ScaledPricer([terms_], rate, basis) for rate in RATES for basis in BASES]
    counter = DistinctCounter(np.array([t for t, _ in pairs], dtype=np.int64),
                              np.array([p for _, p in pairs], dtype=np.int64), window)
    found = worst_case(counter.instants, counter, window, 1, pricers, compiled=True)
    lowest, highest = min(t for t, _ in pairs) - window + 1, max(t for t, _ in pairs)
    for pricer, result in zip(pricers, found, strict=True):
        best: dict[int, Fraction] = {}
        for s in range(highest, lowest - 1, -1):
            owed = window_amount(brute_distinct(pairs, s, s + window), terms_, pricer.rate,
                                 pricer.basis)
            best[s] = max(best.get(s + 1, Fraction(0)), owed + best.get(s + window, Fraction(0)))
        assert Fraction(result.total, pricer.scale) == best[lowest]
        starts = np.array(result.starts, dtype=np.int64)
        assert np.all(np.diff(starts) >= window)
        assert sum(window_amount(brute_distinct(pairs, int(s), int(s) + window), terms_,
                                 pricer.rate, pricer.basis) for s in starts) \
            == Fraction(result.total, pricer.scale)


@settings(max_examples=200, deadline=None)
@given(pairs=sightings, quiet=st.sets(st.integers(0, 90), max_size=10),
       window=st.integers(2, 30), first=terms, later=st.none() | st.tuples(
           st.integers(0, 90), terms), by_first_access=st.booleans(), ring=st.sampled_from(
           [2, 4, 1 << 12]))
def test_the_search_fed_the_counters_sums_names_what_it_names_fed_the_clusters(
        pairs, quiet, window, first, later, by_first_access, ring):
    # Decision 0149: the counter's prefix sums, read as they are, count each window as the
    # clusters begun and ended at each instant do; and the recorded changes of V kept in a
    # ring of any size (two: it grows on almost every point; 4096: never) give the same.
    times = np.array([t for t, _ in pairs], dtype=np.int64)
    counter = DistinctCounter(times, np.array([p for _, p in pairs], dtype=np.int64), window)
    search_terms = sweep.Terms.of(pricers_of(window, 1, first, later), by_first_access)
    for instants in (counter.instants, np.union1d(times, np.array(sorted(quiet),
                                                                  dtype=np.int64))):
        gained, lost = counter.clusters_on(instants)
        begun, ended = counter.sums_on(instants)
        assert begun.tolist() == [0, *np.cumsum(gained).tolist()]
        assert ended.tolist() == [0, *np.cumsum(lost).tolist()]
        totals, starts = sweep.search(instants, gained, window, 1, search_terms, lost)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sweep, "_CAPACITY", ring)
            summed_totals, summed_starts = sweep.search(instants, begun, window, 1,
                                                        search_terms, ended, summed=True)
        assert summed_totals.tolist() == totals.tolist()
        assert summed_starts == starts


def test_a_counter_missing_some_instant_of_its_occurrences_is_left_to_the_block_search():
    counter = DistinctCounter(np.array([0, 5, 9], dtype=np.int64),
                              np.array([1, 2, 1], dtype=np.int64), 10)
    assert counter.clusters_on(np.array([0, 9], dtype=np.int64)) is None
    begun, ended = counter.clusters_on(np.array([0, 3, 5, 9], dtype=np.int64))
    # Post 1's sightings 9 apart are one cluster (begun at 0, ended at 9); post 2's at 5.
    assert begun.tolist() == [1, 0, 1, 0]
    assert ended.tolist() == [0, 0, 1, 1]


def test_a_long_distinct_log_is_priced_by_the_compiled_search_as_by_the_block_search(
        monkeypatch):
    # Through the readings, with the search begun beside the busiest period (decision
    # 0140): a log of many more posts in a window than the threshold.
    rng = np.random.default_rng(5)
    times = np.sort(rng.integers(0, 3 * 86_400, 3_000)).astype(np.int64) * 1_000_000_000
    ids = rng.integers(0, 1_500, 3_000).astype(np.int64)
    volume = Volume.of_occurrences(times, ids)
    tariffs = pricers_of(86_400, 1_000_000_000, (300, 100, 3, 2), None)[0].tariffs
    calls, real = [], sweep.search
    # Whether each search is given the counter's prefix sums (decision 0149).
    monkeypatch.setattr(sweep, "search", lambda *args: calls.append(args[6]) or real(*args))
    blocks = readings.price_readings(volume, tariffs, 86_400 * 10**9, "Europe/Berlin")
    assert calls == []
    monkeypatch.setattr(window_counts, "COMPILED_FROM", 1)
    compiled = readings.price_readings(volume, tariffs, 86_400 * 10**9, "Europe/Berlin")
    assert calls and all(summed is True for summed in calls)
    assert compiled == blocks
    assert any(r.amount > 0 for r in compiled[0] if r.reading.window == "rolling_worst_case")


@settings(max_examples=200, deadline=None)
@given(pairs=sightings, quiet=st.sets(st.integers(-5, 95), max_size=10),
       window=st.integers(3, 30), slot=st.booleans(),
       bounds=st.lists(st.tuples(st.integers(-40, 130), st.integers(1, 40)), max_size=8))
def test_a_counter_kept_over_the_logs_instants_counts_and_refuses_as_over_its_own(
        pairs, quiet, window, slot, bounds):
    # The log's instants may hold accesses of no kept sighting: the prefix sums only repeat
    # there, and a bound between two sightings of one quarter hour is still refused.
    times = np.array(sorted(t for t, _ in pairs), dtype=np.int64)
    ids = np.array([p for _, p in sorted(pairs)], dtype=np.int64)
    grid = np.union1d(times, np.array(sorted(quiet), dtype=np.int64))
    size = 3 if slot else None
    shared = DistinctCounter(times, ids, window, size, grid=grid)
    own = DistinctCounter(times, ids, window, size)
    # It holds two prefix sums over the log's instants, 32-bit (decision 0149), and not the
    # instants again.
    assert shared.instants is grid and shared.nbytes == 2 * 4 * (len(grid) + 1)
    starts = np.array([s for s, _ in bounds] * 2, dtype=np.int64)
    ends = starts + np.array([window] * len(bounds) + [n for _, n in bounds], dtype=np.int64)
    answers = []
    for counter in (shared, own):
        try:
            answers.append(counter.count(starts, ends).tolist())
        except InvalidArgument:
            answers.append("refused")
    assert answers[0] == answers[1]
    if answers[0] != "refused":
        assert answers[0] == [brute_distinct(pairs, int(s), int(e))
                              for s, e in zip(starts, ends, strict=True)]
    missing = np.setdiff1d(grid, times[:1])  # a grid without a sighting's instant: not kept
    assert DistinctCounter(times, ids, window, size, grid=missing).instants is not missing


def test_a_bound_beside_an_access_of_no_kept_sighting_is_not_refused():
    # Quarter hours of three steps: the sighting at 0 and the empty access at 1 share one,
    # yet a day from 1 cuts no kept sighting off from another.
    times, ids = np.array([0, 7], dtype=np.int64), np.array([4, 5], dtype=np.int64)
    counter = DistinctCounter(times, ids, 6, 3, grid=np.array([0, 1, 7], dtype=np.int64))
    assert counter.count(np.array([1, 1]), np.array([7, 9])).tolist() == [0, 1]
