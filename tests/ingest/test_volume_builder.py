"""A log's rows, counted block by block as they are read, give the same posts and accesses
per instant as counting all its rows at once, whatever the blocks' order and sizes: an
instant split across two blocks is counted once, with both blocks' posts."""

from __future__ import annotations

from collections import defaultdict
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.ingest import appended_columns, volume
from calculator.ingest.appended_columns import AppendedColumns
from calculator.ingest.volume import VolumeBuilder

# Rows of (instant, posts, accesses): instants from a narrow range repeat in most blocks, from
# a wide one seldom (a fine log), so that each way of folding a block is taken.
rows = st.sampled_from([40, 4_000]).flatmap(lambda spread: st.tuples(
    st.integers(0, spread), st.integers(0, 9), st.integers(1, 3)))
blocks = st.lists(st.lists(rows, max_size=12), max_size=16)


def _per_instant(parts: list[list[tuple[int, int, int]]], with_accesses: bool
                 ) -> dict[int, tuple[int, int]]:
    """The oracle: posts and accesses per instant, one row at a time."""
    counted: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for part in parts:
        for instant, posts, accesses in part:
            counted[instant][0] += posts
            counted[instant][1] += accesses if with_accesses else 1
    return {instant: (posts, accesses) for instant, (posts, accesses) in counted.items()}


@settings(max_examples=400, deadline=None)
@given(blocks, st.booleans(), st.booleans())
def test_rows_counted_block_by_block_give_each_instant_its_posts_and_accesses(
        parts, ordered, with_accesses):
    # ``with_accesses``: rows that stand for several accesses each (a crawler's counts).
    if ordered:  # a log in time order, cut into blocks (instants may repeat across a cut)
        whole = sorted(row for part in parts for row in part)
        cuts = np.cumsum([len(part) for part in parts])[:-1] if parts else []
        parts = [list(map(tuple, piece)) for piece in np.split(np.array(whole).reshape(
            -1, 3), cuts)] if whole else parts
    # Small columns, room reserved and merges, so that growing, reserving, growing past the
    # reserved room, re-folding and restarting all happen.
    with mock.patch.object(appended_columns, "_FIRST_CAPACITY", 3), \
            mock.patch.object(appended_columns, "_RESERVE_PAST", 5), \
            mock.patch.object(appended_columns, "_RESERVED", 24), \
            mock.patch.object(volume, "_MERGE_AT", 7):
        builder = VolumeBuilder()
        for part in parts:
            builder.add(np.array([i for i, _, _ in part], dtype=np.int64),
                        np.array([p for _, p, _ in part], dtype=np.int64),
                        np.array([a for _, _, a in part], dtype=np.int64)
                        if with_accesses else None)
        built = builder.build()
    expected = _per_instant(parts, with_accesses)
    assert built.instants.tolist() == sorted(expected)
    assert built.posts.tolist() == [expected[i][0] for i in sorted(expected)]
    assert built.accesses.tolist() == [expected[i][1] for i in sorted(expected)]


def test_columns_handed_out_stay_as_they_were_when_more_values_are_appended():
    columns = AppendedColumns(2)
    columns.append((np.arange(5, dtype=np.int64), np.arange(5, dtype=np.int64) * 10))
    first, _ = columns.arrays()
    columns.append((np.arange(100_000, dtype=np.int64), np.ones(100_000, dtype=np.int64)))
    columns.add_to_last(1, 4)
    assert first.tolist() == [0, 1, 2, 3, 4]
    instants, posts = columns.arrays()
    assert instants.tolist() == [0, 1, 2, 3, 4, *range(100_000)]
    assert posts[:5].tolist() == [0, 10, 20, 30, 40] and posts[-1] == 5
    assert int(posts[5:-1].sum()) == 99_999


def test_columns_grow_as_needed_where_the_system_refuses_the_room_reserved_at_once():
    # Room for 2**50 values a column is more address space than any system gives: the
    # columns then grow by doubling, as they did before room was reserved.
    with mock.patch.object(appended_columns, "_RESERVED", 1 << 50):
        columns = AppendedColumns(2)
        for start in range(0, 3_000_000, 500_000):
            values = np.arange(start, start + 500_000, dtype=np.int64)
            columns.append((values, values * 2))
        instants, doubled = columns.arrays()
    assert np.array_equal(instants, np.arange(3_000_000))
    assert np.array_equal(doubled, np.arange(3_000_000) * 2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 9), st.integers(1, 3)),
                max_size=60), st.booleans())
def test_a_fine_log_with_a_few_repeated_instants_folds_each_repeat_into_its_instant(
        rows_, with_accesses):
    # Instants drawn from a wide range repeat seldom: the fold for a few repeats is taken.
    rows_ = sorted(rows_)
    instants = np.array([i for i, _, _ in rows_], dtype=np.int64)
    posts = np.array([p for _, p, _ in rows_], dtype=np.int64)
    accesses = np.array([a for _, _, a in rows_], dtype=np.int64) if with_accesses else None
    folded = volume.fold(instants, posts, accesses)
    expected: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for instant, count, times in rows_:
        expected[instant][0] += count
        expected[instant][1] += times if with_accesses else 1
    assert folded[0].tolist() == sorted(expected)
    assert folded[1].tolist() == [expected[i][0] for i in sorted(expected)]
    assert folded[2].tolist() == [expected[i][1] for i in sorted(expected)]


def test_rows_given_in_narrower_integers_are_counted_as_64_bit_ones():
    # A reader may hand over 32-bit posts or accesses; a fold writes 64-bit arrays in place
    # (the builder's columns, or its own), so a narrower block is widened first rather than
    # refused. Each way of folding: every instant once, a few repeats, many repeats.
    for instants in ([0, 1, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 8], [5, 5, 5, 6]):
        rows = (np.array(instants, dtype=np.int32), np.full(len(instants), 2, dtype=np.int32),
                np.full(len(instants), 3, dtype=np.int16))
        builder = VolumeBuilder()
        builder.add(*rows)
        built = builder.build()
        distinct, times = np.unique(instants, return_counts=True)
        for folded in ((built.instants, built.posts, built.accesses), volume.fold(*rows)):
            assert folded[0].tolist() == distinct.tolist()
            assert folded[1].tolist() == (2 * times).tolist()
            assert folded[2].tolist() == (3 * times).tolist()


def test_columns_read_side_by_side_do_not_share_cache_sets():
    # Maps of one size lie a power of two apart: the k-th values of columns that started at
    # the same offset into their maps competed for the same cache sets in every loop that
    # reads the columns together (decision 0169).
    columns = AppendedColumns(3)
    values = np.arange(2_000_000, dtype=np.int64)
    columns.append((values, values, values))
    starts = [array.__array_interface__["data"][0] for array in columns.arrays()]
    for power in (1 << 12, 1 << 21, 1 << 28):
        assert len({start % power for start in starts}) == 3
