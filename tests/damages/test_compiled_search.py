"""The compiled pass (calculator.damages.sweep) against the block search and the brute force.

The block search is itself held to trying every start (test_worst_case_windows.py); the
compiled pass visits the same points, so it must name the same windows, not only owe the
same, in one pass or as two searches of the readings on two threads: on logs at s, ms and
µs, with accesses of no posts, with clause versions that price differently from some
instant on, and with its arrays made to grow and to drop what they no longer need from the
first few points on.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.damages import periods, sweep, window_counts
from calculator.damages.pricing import BASES, RATES, ScaledPricer, Tariff, window_amount
from calculator.damages.window_counts import PostCounter
from calculator.damages.worst_case import rate_classes, worst_case
from tests.damages.test_worst_case_windows import reference


def version(starts: int, threshold: int, per: int, amount: Fraction, window: int) -> Tariff:
    return Tariff(version=date(2024, 11, 15), starts_ns=starts, ends_ns=None,
                  threshold=threshold, per_posts=per, amount=amount, currency="USD",
                  window_ns=window)


def pricers_of(window: int, unit: int, first: tuple, later: tuple | None
               ) -> list[ScaledPricer]:
    """Every reading's pricer of a clause with ``first`` terms, and ``later`` ones from an
    instant on (None: one version only)."""
    tariffs = [version(-(10**18), first[0], first[1], Fraction(first[2], first[3]),
                       window * unit)]
    if later is not None:  # a second version of the clause from some instant on
        start, (threshold, per, numerator, denominator) = later
        tariffs.append(version(start * unit, threshold, per, Fraction(numerator, denominator),
                               window * unit))
    return [ScaledPricer(tariffs, rate, basis) for rate in RATES for basis in BASES]


def assert_compiled_names_the_block_windows(instants: np.ndarray, counter, window: int,
                                            unit: int, pricers: list[ScaledPricer],
                                            by_first_access: bool, apart: bool) -> None:
    """The compiled pass names the windows and totals of the block search: over every
    reading at once, or as an assessment runs it (``apart``), the pro rata readings and the
    others in two searches (decisions 0133 and 0168)."""
    found = [None] * len(pricers)
    for group in rate_classes(pricers) if apart else [list(range(len(pricers)))]:
        results = worst_case(instants, counter, window, unit, [pricers[k] for k in group],
                             by_first_access=by_first_access, compiled=True)
        for k, result in zip(group, results, strict=True):
            found[k] = result
    assert found == worst_case(instants, counter, window, unit, pricers,
                               by_first_access=by_first_access, compiled=False)


terms = st.tuples(st.integers(0, 10), st.integers(1, 4), st.integers(1, 9),
                  st.sampled_from([1, 2, 3]))


@pytest.fixture(autouse=True)
def tiny_arrays(monkeypatch):
    # Arrays of two: every run of the loop fills them, so growing and dropping is exercised.
    monkeypatch.setattr(sweep, "_CAPACITY", 2)


@settings(max_examples=300, deadline=None)
@given(log=st.dictionaries(st.integers(0, 120), st.integers(0, 6), min_size=1, max_size=40),
       window=st.integers(2, 30), unit=st.sampled_from([1_000_000_000, 1_000_000, 1_000]),
       first=terms, later=st.none() | st.tuples(st.integers(0, 120), terms),
       by_first_access=st.booleans(), apart=st.booleans())
def test_the_compiled_search_names_the_windows_and_totals_of_the_block_search(
        log, window, unit, first, later, by_first_access, apart):
    # ``apart``: the pro rata readings and the others in two searches.
    times = np.array(sorted(log), dtype=np.int64) * unit
    posts = np.array([log[t] for t in sorted(log)], dtype=np.int64)
    pricers = pricers_of(window, unit, first, later)
    counter = PostCounter(times, posts, unit, window * unit)
    assert_compiled_names_the_block_windows(times, counter, window * unit, unit, pricers,
                                            by_first_access, apart)


@settings(max_examples=400, deadline=None)
@given(log=st.dictionaries(st.integers(0, 150), st.integers(0, 7), min_size=1, max_size=50),
       window=st.integers(2, 30), first=terms,
       later=st.none() | st.tuples(st.integers(0, 150), terms),
       reading=st.sampled_from([(rate, basis) for rate in RATES for basis in BASES]),
       by_first_access=st.booleans())
def test_a_point_that_owes_what_the_last_owed_is_passed_without_missing_a_window(
        log, window, first, later, reading, by_first_access):
    # The compiled pass prices a point again only when its window may owe another amount
    # (decision 0168): a window with one post more or less across a block's edge, or past
    # the threshold, must still change V. Each reading alone, so that no other reading's
    # blocks narrow the counts held (thresholds and blocks need not divide each other).
    unit = 1_000_000
    times = np.array(sorted(log), dtype=np.int64) * unit
    posts = np.array([log[t] for t in sorted(log)], dtype=np.int64)
    pricers = [p for p in pricers_of(window, unit, first, later)
               if (p.rate, p.basis) == reading]
    counter = PostCounter(times, posts, unit, window * unit)
    assert_compiled_names_the_block_windows(times, counter, window * unit, unit, pricers,
                                            by_first_access, apart=False)


@settings(max_examples=200, deadline=None)
@given(log=st.dictionaries(st.integers(0, 400), st.integers(1, 4), min_size=1, max_size=60),
       window=st.integers(2, 40), threshold=st.integers(0, 10), per=st.integers(1, 3),
       unit=st.sampled_from([1_000_000, 1_000]))
def test_the_compiled_search_owes_what_trying_every_start_owes(log, window, threshold, per,
                                                               unit):
    times, counts = sorted(log), [log[t] for t in sorted(log)]
    instants, posts = np.array(times, dtype=np.int64) * unit, np.array(counts, dtype=np.int64)
    terms = version(-(10**18), threshold, per, Fraction(3, 2), window * unit)
    pricers = [ScaledPricer([terms], rate, basis) for rate in RATES for basis in BASES]
    counter = PostCounter(instants, posts, unit, window * unit)
    found = worst_case(instants, counter, window * unit, unit, pricers, compiled=True)
    for pricer, result in zip(pricers, found, strict=True):
        def owed(n, pricer=pricer):
            return window_amount(n, terms, pricer.rate, pricer.basis)
        assert Fraction(result.total, pricer.scale) == reference(times, counts, window, owed)
        starts = np.array(result.starts, dtype=np.int64)
        assert np.all(np.diff(starts) >= window * unit)
        held = counter.count(starts, starts + window * unit)
        assert sum(owed(int(n)) for n in held) == Fraction(result.total, pricer.scale)


@settings(max_examples=200, deadline=None)
@given(log=st.dictionaries(st.integers(0, 80), st.integers(0, 5), min_size=1, max_size=40),
       window=st.integers(1, 20), with_posts=st.booleans())
def test_the_compiled_busiest_period_is_the_one_counted_window_by_window(log, window,
                                                                        with_posts):
    # Ties go to the first window starting at an access that carries posts (decision 0062).
    times = np.array(sorted(log), dtype=np.int64)
    posts = np.array([log[t] for t in sorted(log)], dtype=np.int64)
    counter = PostCounter(times, posts, 1, window)
    given_posts = posts if with_posts else None
    assert periods.peak(times, counter, window, given_posts, compiled=True) == \
        periods.peak(times, counter, window, given_posts, compiled=False)


def test_a_long_log_takes_the_compiled_pass_and_a_short_one_the_block_search(monkeypatch):
    times = np.arange(0, 50, 3, dtype=np.int64)
    posts = np.ones(len(times), dtype=np.int64)
    counter = PostCounter(times, posts, 1, 10)
    pricers = [ScaledPricer([version(-(10**18), 2, 1, Fraction(1), 10)], "pro_rata",
                            "all_posts")]
    calls, real = [], sweep.search
    # Called once, with the posts per instant as they are (not prefix sums, decision 0149).
    monkeypatch.setattr(sweep, "search", lambda *args: calls.append(args[6]) or real(*args))
    short = worst_case(times, counter, 10, 1, pricers)
    assert calls == []
    monkeypatch.setattr(window_counts, "COMPILED_FROM", len(times))
    assert worst_case(times, counter, 10, 1, pricers) == short
    assert calls == [False]


@settings(max_examples=300, deadline=None)
@given(m=st.integers(0, 2**62) | st.integers(0, 10**9), per=st.integers(1, 2**40) |
       st.sampled_from([1, 3, 1_000, 1_000_000, 10**9 + 7]))
def test_a_quotient_by_the_reciprocal_is_the_whole_division(m, per):
    from calculator.damages.sweep_kernels import _quotient

    assert _quotient(np.int64(m), np.int64(per), 1.0 / per) == m // per


@settings(max_examples=200, deadline=None)
@given(log=st.dictionaries(st.integers(0, 200), st.integers(0, 5), min_size=1, max_size=50),
       windows_=st.lists(st.tuples(st.integers(-20, 220), st.integers(0, 60)), max_size=12))
def test_a_few_windows_summed_where_they_lie_count_what_the_prefix_sums_count(log, windows_):
    # The periods and the chosen windows are counted without the prefix sums (decision 0118).
    times = np.array(sorted(log), dtype=np.int64) * 1_000  # µs: no dense grid
    posts = np.array([log[t] for t in sorted(log)], dtype=np.int64)
    starts = np.array([s for s, _ in windows_], dtype=np.int64) * 1_000
    ends = starts + np.array([n for _, n in windows_], dtype=np.int64) * 1_000
    few = PostCounter(times, posts, 1_000, 10**18).count(starts, ends)
    held = [int(posts[(times >= s) & (times < e)].sum()) for s, e in zip(starts, ends,
                                                                          strict=True)]
    assert few.tolist() == held
    counter = PostCounter(times, posts, 1_000, 10**18)
    counter.prefix  # noqa: B018 (built first: the prefix sums answer)
    assert counter.count(starts, ends).tolist() == held


@settings(max_examples=120, deadline=None)
@given(log=st.dictionaries(st.integers(0, 120), st.integers(0, 6), min_size=1, max_size=40),
       window=st.integers(2, 30), first=terms,
       later=st.none() | st.tuples(st.integers(0, 120), terms))
def test_every_reading_is_the_same_when_the_search_starts_beside_the_busiest_period(
        log, window, first, later):
    # A long log's compiled search starts before the busiest period is known, whenever a
    # period from the first access is already over the threshold (decision 0140); the
    # readings must be those of the block search run after it, over the threshold or not.
    from calculator.damages.readings import price_readings
    from calculator.ingest.volume import Volume

    unit = 1_000_000_000
    times = np.array(sorted(log), dtype=np.int64) * unit
    posts = np.array([log[t] for t in sorted(log)], dtype=np.int64)
    tariffs = [version(-(10**18), first[0], first[1], Fraction(first[2], first[3]),
                       window * unit)]
    if later is not None:
        start, (threshold, per, numerator, denominator) = later
        tariffs.append(version(start * unit, threshold, per, Fraction(numerator, denominator),
                               window * unit))
    volume = Volume(times, posts, np.ones(len(times), dtype=np.int64))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(window_counts, "COMPILED_FROM", 1)
        beside = price_readings(volume, tariffs, window * unit, "UTC")
        patch.setattr(window_counts, "COMPILED_FROM", 10**9)
        after = price_readings(volume, tariffs, window * unit, "UTC")
    assert beside == after
