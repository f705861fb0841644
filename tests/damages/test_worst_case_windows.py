"""The worst-case reading is the exact maximum over every placement of non-overlapping windows.

The reference below tries every start at the log's resolution, one by one:
``best(s) = max(best(s + 1), owed([s, s + W)) + best(s + W))``. It is slow and plain on
purpose; the engine must agree with it on every generated log.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.damages import periods
from calculator.damages import worst_case as searches
from calculator.damages.pricing import BASES, RATES, ScaledPricer, Tariff, window_amount
from calculator.damages.window_counts import PostCounter
from calculator.damages.worst_case import worst_case


def tariff(threshold: int, per: int, amount: Fraction, window: int) -> Tariff:
    return Tariff(version=date(2024, 11, 15), starts_ns=-(10**18), ends_ns=None,
                  threshold=threshold, per_posts=per, amount=amount, currency="USD",
                  window_ns=window)


def reference(times: list[int], counts: list[int], window: int, owed) -> Fraction:
    """Best total over every set of non-overlapping windows, trying every integer start."""
    lowest, highest = min(times) - window + 1, max(times)
    best: dict[int, Fraction] = {}
    for start in range(highest, lowest - 1, -1):
        held = sum(c for t, c in zip(times, counts, strict=True) if start <= t < start + window)
        best[start] = max(best.get(start + 1, Fraction(0)),
                          owed(held) + best.get(start + window, Fraction(0)))
    return best[lowest]


def engine(times, counts, window, terms, eps=1):
    instants = np.array(times, dtype=np.int64) * eps
    posts = np.array(counts, dtype=np.int64)
    counter = PostCounter(instants, posts, eps, window * eps)
    scaled = tariff(terms.threshold, terms.per_posts, terms.amount, window * eps)
    pricers = [ScaledPricer([scaled], rate, basis) for rate in RATES for basis in BASES]
    results = worst_case(instants, counter, window * eps, eps,
                         [p.values for p in pricers])
    return pricers, results, counter


logs = st.dictionaries(st.integers(0, 60), st.integers(1, 6), min_size=1, max_size=25)


@settings(max_examples=400, deadline=None)
@given(log=logs, window=st.integers(2, 12), threshold=st.integers(0, 12),
       per=st.integers(1, 4), numerator=st.integers(1, 9), denominator=st.sampled_from([1, 2, 3]))
def test_worst_case_matches_trying_every_start_for_all_six_readings(
        log, window, threshold, per, numerator, denominator):
    times, counts = sorted(log), [log[t] for t in sorted(log)]
    terms = tariff(threshold, per, Fraction(numerator, denominator), window)
    pricers, results, counter = engine(times, counts, window, terms)
    for pricer, result in zip(pricers, results, strict=True):
        def owed(n, pricer=pricer):
            return window_amount(n, terms, pricer.rate, pricer.basis)
        expected = reference(times, counts, window, owed)
        assert Fraction(result.total, pricer.scale) == expected, (pricer.rate, pricer.basis)
        # The windows it names are real: disjoint, each owing, summing to the total.
        assert all(b - a >= window for a, b in pairwise(result.starts))
        held = counter.count(np.array(result.starts, dtype=np.int64),
                             np.array(result.starts, dtype=np.int64) + window)
        assert sum(owed(int(n)) for n in held) == expected
        assert all(owed(int(n)) > 0 for n in held)


@settings(max_examples=100, deadline=None)
@given(log=logs, window=st.integers(2, 12), threshold=st.integers(0, 8))
def test_the_answer_does_not_depend_on_the_unit_of_the_timestamps(log, window, threshold):
    times, counts = sorted(log), [log[t] for t in sorted(log)]
    terms = tariff(threshold, 1, Fraction(1), window)
    _, in_units, _ = engine(times, counts, window, terms)
    _, in_seconds, _ = engine(times, counts, window, terms, eps=1_000_000_000)
    assert [r.total for r in in_units] == [r.total for r in in_seconds]
    assert [[s * 1_000_000_000 for s in r.starts] for r in in_units] == \
        [r.starts for r in in_seconds]


@settings(max_examples=150, deadline=None)
@given(log=st.dictionaries(st.integers(0, 400), st.integers(1, 4), min_size=1, max_size=60),
       window=st.integers(2, 40), threshold=st.integers(0, 10),
       unit=st.sampled_from([1_000_000, 1_000]))
def test_millisecond_and_microsecond_logs_give_the_answer_of_trying_every_start(
        log, window, threshold, unit):
    # Dense logs at a fine resolution: long chains of back-to-back windows, and many more
    # distinct instants than windows; every start at the log's resolution is tried.
    times, counts = sorted(log), [log[t] for t in sorted(log)]
    terms = tariff(threshold, 1, Fraction(1), window)
    pricers, results, counter = engine(times, counts, window, terms, eps=unit)
    for pricer, result in zip(pricers, results, strict=True):
        def owed(n, pricer=pricer):
            return window_amount(n, terms, pricer.rate, pricer.basis)
        assert Fraction(result.total, pricer.scale) == reference(times, counts, window, owed)
        starts = np.array(result.starts, dtype=np.int64)
        assert all(b - a >= window * unit for a, b in pairwise(result.starts))
        assert not np.any(starts % unit)
        held = counter.count(starts, starts + window * unit)
        assert Fraction(sum(pricer.values(held, None)), pricer.scale) == \
            Fraction(result.total, pricer.scale)


def test_the_best_windows_may_neither_start_nor_end_at_an_access():
    # Windows of 10: [0,10) must hold 0 and 9, [20,30) must hold 20 and 29; the middle one
    # can only be [10,20): it starts just after an access and ends just before one.
    times, counts = [0, 9, 15, 19, 20, 29], [1] * 6
    terms = tariff(1, 1, Fraction(1), 10)
    pricers, results, _ = engine(times, counts, 10, terms)
    pro_rata_all = results[[(p.rate, p.basis) for p in pricers].index(("pro_rata", "all_posts"))]
    assert pro_rata_all.starts == [0, 10, 20]
    assert Fraction(pro_rata_all.total, pricers[0].scale) == 6
    # Windows that start at an access get at most 5 here: [0,10) and [15,25).
    assert reference(times, counts, 10, lambda n: Fraction(n) if n > 1 else Fraction(0)) == 6


def test_an_empty_log_owes_nothing():
    counter = PostCounter(np.array([], dtype=np.int64), np.array([], dtype=np.int64), 1, 10)
    pricer = ScaledPricer([tariff(1, 1, Fraction(1), 10)], "pro_rata", "all_posts")
    assert worst_case(np.array([], dtype=np.int64), counter, 10, 1, [pricer.values]) == \
        [type(worst_case([], counter, 10, 1, [pricer.values])[0])(0, [])]


@settings(max_examples=100, deadline=None)
@given(log=st.dictionaries(st.integers(0, 80), st.integers(0, 5), min_size=1, max_size=40),
       window=st.integers(2, 20), slice_size=st.integers(1, 7))
def test_the_peak_counted_in_slices_is_the_peak_counted_at_once(log, window, slice_size):
    times = np.array(sorted(log), dtype=np.int64)
    posts = np.array([log[t] for t in sorted(log)], dtype=np.int64)
    counter = PostCounter(times, posts, 1, window)
    whole = periods.peak(times, counter, window, posts)
    held = [int(posts[(times >= t) & (times < t + window)].sum()) for t in times]
    assert whole.posts == max(held)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(periods, "_PEAK_SLICE", slice_size)
        assert periods.peak(times, counter, window, posts) == whole


@settings(max_examples=150, deadline=None)
@given(log=logs, window=st.integers(2, 12), threshold=st.integers(0, 12),
       per=st.integers(1, 4))
def test_the_readings_searched_on_several_threads_give_the_windows_of_one_thread(
        log, window, threshold, per):
    # Every block goes to the threads (a real log needs tens of thousands of points first).
    times, counts = sorted(log), [log[t] for t in sorted(log)]
    instants, posts = np.array(times, dtype=np.int64), np.array(counts, dtype=np.int64)
    counter = PostCounter(instants, posts, 1, window)
    terms = tariff(threshold, per, Fraction(15, 2), window)
    pricers = [ScaledPricer([terms], rate, basis).values for rate in RATES for basis in BASES]
    alone = worst_case(instants, counter, window, 1, pricers, threads=1)
    held, searches._PARALLEL_POINTS = searches._PARALLEL_POINTS, 0
    try:
        together = worst_case(instants, counter, window, 1, pricers, threads=3)
    finally:
        searches._PARALLEL_POINTS = held
    assert together == alone
