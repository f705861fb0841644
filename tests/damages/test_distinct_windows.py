"""Distinct-post readings: a window counts each post id once, and windows do not add up."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.damages.pricing import BASES, RATES, ScaledPricer, window_amount
from calculator.damages.window_counts import DistinctCounter, clusters_per_instant
from calculator.damages.worst_case import worst_case
from calculator.ingest.volume import Volume

from .test_worst_case_windows import tariff

occurrences = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6)), min_size=1,
                       max_size=40)


def brute_distinct(pairs, start, end) -> int:
    return len({post for t, post in pairs if start <= t < end})


@settings(max_examples=300, deadline=None)
@given(pairs=occurrences, window=st.integers(1, 12), start=st.integers(-15, 45),
       length=st.integers(1, 15))
def test_a_window_counts_each_post_id_once(pairs, window, start, length):
    counter = DistinctCounter(np.array([t for t, _ in pairs], dtype=np.int64),
                              np.array([p for _, p in pairs], dtype=np.int64), window)
    starts = np.array([start, start], dtype=np.int64)
    ends = np.array([start + window, start + length], dtype=np.int64)
    assert counter.count(starts, ends).tolist() == [
        brute_distinct(pairs, start, start + window), brute_distinct(pairs, start, start + length)]


@settings(max_examples=200, deadline=None)
@given(pairs=occurrences, window=st.integers(2, 10), threshold=st.integers(0, 4))
def test_the_distinct_worst_case_matches_trying_every_start(pairs, window, threshold):
    terms = tariff(threshold, 1, Fraction(1), window)
    instants = np.array([t for t, _ in pairs], dtype=np.int64)
    counter = DistinctCounter(instants, np.array([p for _, p in pairs], dtype=np.int64), window)
    times = np.unique(counter.instants)
    pricers = [ScaledPricer([terms], rate, basis) for rate in RATES for basis in BASES]
    results = worst_case(times, counter, window, 1, [p.values for p in pricers])
    for pricer, result in zip(pricers, results, strict=True):
        best: dict[int, Fraction] = {}
        for s in range(int(times[-1]), int(times[0]) - window, -1):
            owed = window_amount(brute_distinct(pairs, s, s + window), terms, pricer.rate,
                                 pricer.basis)
            best[s] = max(best.get(s + 1, Fraction(0)), owed + best.get(s + window, Fraction(0)))
        assert Fraction(result.total, pricer.scale) == best[int(times[0]) - window + 1]


def test_the_same_post_seen_in_two_windows_counts_in_each_but_once_in_the_whole_log():
    instants = np.array([0, 5, 10, 15], dtype=np.int64)
    ids = np.array([7, 7, 7, 8], dtype=np.int64)
    counter = DistinctCounter(instants, ids, 10)
    assert counter.count(np.array([0, 10]), np.array([10, 20])).tolist() == [1, 2]
    assert counter.total == 2


@settings(max_examples=300, deadline=None)
@given(pairs=occurrences)
def test_a_distinct_volume_counts_each_post_once_per_instant_and_once_in_all(pairs):
    volume = Volume.of_occurrences(np.array([t for t, _ in pairs], dtype=np.int64),
                                   np.array([p for _, p in pairs], dtype=np.int64))
    per_instant = {t: len({p for u, p in pairs if u == t}) for t, _ in pairs}
    assert volume.instants.tolist() == sorted(per_instant)
    assert volume.posts.tolist() == [per_instant[t] for t in sorted(per_instant)]
    assert volume.total_posts == len({p for _, p in pairs})
    kept = list(zip(volume.occurrence_instants.tolist(), volume.occurrence_ids.tolist(),
                    strict=True))
    assert len(kept) == len(set(kept)) and {t for t, _ in kept} <= {t for t, _ in pairs}
    assert len({p for _, p in kept}) == len({p for _, p in pairs})  # no post lost
    assert volume.occurrence_instants.tolist() == sorted(volume.occurrence_instants.tolist())


spread = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 8)), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(pairs=spread, window=st.integers(1, 20), slice_size=st.integers(1, 9),
       large_ids=st.booleans(), starts=st.lists(st.integers(-25, 70), min_size=1, max_size=8),
       unsighted=st.lists(st.integers(-10, 70), max_size=20))
def test_a_window_counts_each_post_once_whatever_slices_the_log_is_read_in(
        pairs, window, slice_size, large_ids, starts, unsighted):
    """``unsighted``: instants of the log where no kept sighting fell, which the grid of a
    volume's instants holds besides its coverage's."""
    pairs = sorted(pairs, key=lambda pair: pair[0])  # occurrences in time order
    instants = np.array([t for t, _ in pairs], dtype=np.int64)
    ids = np.array([p for _, p in pairs], dtype=np.int64)
    if large_ids:  # ids as a platform writes them, not the volume's post numbers
        ids = ids * 1_000_000_007 + 1_400_000_000_000_000_000
    grid = np.unique(np.concatenate([instants, np.array(unsighted, dtype=np.int64)]))
    total, begun, ended = clusters_per_instant(instants, ids, grid, window, slice_size)
    assert total == len({p for _, p in pairs})
    for start in starts:
        held = begun[np.searchsorted(grid, start + window)] - ended[np.searchsorted(grid, start)]
        assert held == brute_distinct(pairs, start, start + window)


@settings(max_examples=200, deadline=None)
@given(pairs=spread, window=st.integers(1, 20), groups=st.integers(1, 4))
def test_posts_split_into_groups_that_share_none_add_up_to_the_whole_log(pairs, window,
                                                                         groups):
    pairs = sorted(pairs, key=lambda pair: pair[0])
    instants = np.array([t for t, _ in pairs], dtype=np.int64)
    ids = np.array([p for _, p in pairs], dtype=np.int64)
    grid = np.unique(instants)
    whole = clusters_per_instant(instants, ids, grid, window)
    parts = [clusters_per_instant(instants[ids % groups == g], ids[ids % groups == g], grid,
                                  window) for g in range(groups)]
    assert sum(part[0] for part in parts) == whole[0]
    assert (sum(part[1] for part in parts) == whole[1]).all()
    assert (sum(part[2] for part in parts) == whole[2]).all()
