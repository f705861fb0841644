"""The distinct count of post ids, sorted batch by batch as a log is read and merged at the
end, is the number of different ids however the log is cut into batches."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.ingest import compiled_reads
from calculator.ingest.unique_count import UniqueCount
from tests.ingest.helpers import loops

batches = st.lists(st.lists(st.one_of(st.integers(-5, 40), st.integers(-2**63, 2**63 - 1)),
                            max_size=60), max_size=24)


@pytest.mark.parametrize("compiled", [False, True])  # the table marked by numpy or a loop
@settings(deadline=None)  # a thread per batch: a shared machine's pauses are not the property
@given(batches)
def test_post_ids_read_in_any_batches_count_each_different_id_once(compiled, parts):
    with loops(compiled):
        counter = UniqueCount()
        for part in parts:
            counter.add(np.array(part, dtype=np.int64))
        assert counter.count() == len({value for part in parts for value in part})


def test_ids_repeated_across_many_batches_count_once():
    counter = UniqueCount()
    for start in range(0, 300, 3):
        counter.add(np.arange(start, start + 50, dtype=np.int64)[::-1])
    assert counter.count() == 347


# Ids near each other (numbered in order of first sight, or one platform's numeric ids)
# with now and then one far away: the table of their span grows on either side, and gives
# way to sorted runs once it would cost more than a sorted array of the different ids.
near_and_far = st.lists(st.lists(st.one_of(st.integers(-300, 300), st.integers(-300, 300),
                                           st.integers(-2**40, 2**40)),
                                 max_size=40), max_size=16)


@pytest.mark.parametrize("compiled", [False, True])
@settings(deadline=None)
@given(near_and_far, st.integers(0, 600))
def test_a_table_of_the_ids_span_counts_as_sorting_them_would(compiled, parts, floor):
    with loops(compiled):
        counter = UniqueCount(dense_floor=floor)
        for done, part in enumerate(parts, 1):
            counter.add(np.array(part, dtype=np.int64))
            counter._wait()  # the table's size is checked after each batch
            different = len({value for earlier in parts[:done] for value in earlier})
            if counter._seen is not None:
                assert len(counter._seen) <= max(floor, 8 * different)
        assert counter.count() == len({value for part in parts for value in part})


@given(st.lists(st.integers(-2**63, 2**63 - 1), min_size=1, max_size=50))
def test_the_compiled_span_is_the_lowest_and_highest_id(values):
    with loops(True):
        assert compiled_reads.value_span(np.array(values, dtype=np.int64)) == \
            (min(values), max(values))


@pytest.mark.parametrize("value", [-1, 3, 2**62])
def test_the_compiled_marking_refuses_an_id_outside_the_table(value):
    """numpy's marking raised IndexError there; the loop reads no bounds of its own, so it
    checks each id against the table, and a miss is the caller's fault, said as one."""
    seen = np.zeros(3, dtype=bool)
    with loops(True), pytest.raises(AssertionError, match="outside the table"):
        compiled_reads.mark_seen(np.array([0, value], dtype=np.int64), 0, seen)
    assert seen.tolist() == [True, False, False]


def test_ids_numbered_in_order_of_first_sight_stay_in_one_table():
    counter = UniqueCount(dense_floor=0)
    for start in range(0, 10_000, 1_000):  # each batch brings 1,000 new numbers, downwards
        counter.add(-1 - np.arange(start, start + 1_000, dtype=np.int64))
        counter.add(-1 - np.arange(0, start + 1_000, 7, dtype=np.int64))  # and old ones
    counter._wait()
    assert counter._seen is not None
    assert counter.count() == 10_000


def test_ids_spread_over_a_huge_range_are_counted_without_a_table_of_their_span():
    tracemalloc.start()
    try:
        counter = UniqueCount()
        for seed in range(5):
            counter.add(np.random.default_rng(seed).integers(0, 2**60, 10_000))
        counted = counter.count()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert counted == 50_000
    assert peak < 8 << 20  # a table of the span would be exabytes; sorted runs ~1 MB
