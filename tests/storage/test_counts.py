"""The counts blob: exact round trips, small for real logs, and nothing but numbers."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.ingest.volume import Volume
from calculator.storage.counts import decode_volume, encode_volume

NS = 1_000_000_000


def volume_of(instants, posts, accesses) -> Volume:
    return Volume(np.array(instants, dtype=np.int64), np.array(posts, dtype=np.int64),
                  np.array(accesses, dtype=np.int64))


def assert_same(a: Volume, b: Volume) -> None:
    for name in ("instants", "posts", "accesses"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert getattr(b, name).dtype == np.int64


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-2**62, 2**62), st.integers(0, 2**40),
                          st.integers(1, 2**31)), unique_by=lambda t: t[0], max_size=200))
def test_counts_come_back_exactly(rows):
    rows.sort()
    volume = volume_of(*zip(*rows, strict=True)) if rows else Volume.empty()
    assert_same(volume, decode_volume(encode_volume(volume)))


def test_an_empty_volume_comes_back_empty():
    assert_same(Volume.empty(), decode_volume(encode_volume(Volume.empty())))


def test_a_distinct_posts_volume_comes_back_with_its_occurrences():
    volume = Volume.of_occurrences(np.array([5, 1, 5, 9, 1], dtype=np.int64),
                            np.array([0, 1, 0, 2, 0], dtype=np.int64))
    back = decode_volume(encode_volume(volume))
    assert_same(volume, back)
    assert np.array_equal(back.occurrence_ids, volume.occurrence_ids)
    assert np.array_equal(back.occurrence_instants, volume.occurrence_instants)


def test_a_day_of_accesses_every_second_is_kept_in_a_few_kilobytes():
    start = 1_740_000_000 * NS
    rng = np.random.default_rng(7)
    instants = start + np.arange(86_400, dtype=np.int64) * NS
    volume = volume_of(instants, rng.integers(1, 50, 86_400), rng.integers(1, 3, 86_400))
    blob = encode_volume(volume)
    assert len(blob) < 100_000  # 86,400 instants x 24 bytes = 2 MB raw
    assert_same(volume, decode_volume(blob))


@pytest.mark.parametrize("blob", [b"", b"CNT1", b"XXXX" + bytes(8),
                                  b"CNT1" + (3).to_bytes(8, "little") + zlib.compress(bytes(10)),
                                  b"CNT1" + (1).to_bytes(8, "little") + b"not zlib"])
def test_a_blob_that_is_not_counts_is_refused(blob):
    with pytest.raises(ValueError, match="stored counts"):
        decode_volume(blob)
