"""A distinct-post volume keeps only each post's first and last occurrence per quarter hour
(its coverage, decision 0122): every answer drawn from it must be the one every occurrence
gives, to the window and the cent.

The reference keeps every (instant, post) occurrence (the counter built on them is checked
against brute force in test_distinct_windows.py). Generated logs crowd posts into the same
quarter hours, at second, millisecond and microsecond resolution, across 23- and 25-hour
calendar days and with the clause coming into force at a midnight inside the log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.damages.curve import trailing_curve
from calculator.damages.pricing import Tariff
from calculator.damages.readings import price_readings
from calculator.errors import InvalidArgument
from calculator.ingest.volume import COVERAGE_SLOT, Volume, by_post
from calculator.storage.counts import decode_volume, encode_volume

NS = 1_000_000_000
DAY = 86_400 * NS
QUARTER = 900 * NS
# Days that begin a short (23-hour) or long (25-hour) Berlin day, and a plain one.
FIRST_DAYS = [date(2025, 3, 29), date(2025, 10, 25), date(2025, 6, 1)]
ZONES = ["UTC", "Europe/Berlin", "Asia/Kathmandu", "America/St_Johns"]


def every_occurrence(instants: np.ndarray, ids: np.ndarray) -> Volume:
    """The reference: the same per-instant counts, with every occurrence kept."""
    counted = Volume.of_occurrences(instants, ids)
    unique_instants, unique_ids, _ = by_post(instants, ids)
    return Volume(counted.instants, counted.posts, counted.accesses, unique_instants,
                  unique_ids, None)


def midnight(day: date, zone: str) -> int:
    return int(datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC).timestamp()) * NS


def tariffs(threshold: int) -> list[Tariff]:
    return [Tariff(version=date(2024, 11, 15), starts_ns=-(10**18), ends_ns=None,
                   threshold=threshold, per_posts=2, amount=Fraction(15), currency="USD",
                   window_ns=DAY)]


occurrences = st.lists(
    st.tuples(st.integers(0, 3 * 96 - 1),  # the quarter hour, over three days
              st.integers(0, 899),  # seconds into it
              st.integers(0, 999),  # the finer part, at ms or µs
              st.integers(0, 7)),  # the post
    min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(found=occurrences, first=st.sampled_from(FIRST_DAYS), zone=st.sampled_from(ZONES),
       eps=st.sampled_from([NS, 1_000_000, 1_000]), threshold=st.integers(0, 5),
       cut_day=st.integers(-1, 3))
def test_the_coverage_prices_every_reading_as_every_occurrence_does(
        found, first, zone, eps, threshold, cut_day):
    base = midnight(first, "UTC")
    fine = NS // eps  # finer steps in a second at this resolution (1 at seconds)
    instants = np.array([base + q * QUARTER + s * NS + (f % fine) * eps
                         for q, s, f, _ in found], dtype=np.int64)
    ids = np.array([p for *_, p in found], dtype=np.int64)
    kept, reference = Volume.of_occurrences(instants, ids), every_occurrence(instants, ids)
    if cut_day >= 0:  # in force from a midnight of the zone inside the log, as rules say
        cut = midnight(first + timedelta(days=cut_day), zone)
        kept, reference = kept.select(kept.instants >= cut), \
            reference.select(reference.instants >= cut)
    assert kept.total_posts == reference.total_posts
    assert kept.total_accesses == reference.total_accesses
    assert np.array_equal(kept.posts, reference.posts)
    assert len(kept.occurrences[0]) <= len(reference.occurrences[0])
    assert price_readings(kept, tariffs(threshold), DAY, zone) == \
        price_readings(reference, tariffs(threshold), DAY, zone)
    if len(kept.instants):
        ours = trailing_curve(kept.instants, kept.posts, DAY, 10, (), kept.occurrences,
                              kept.coverage_slot)
        theirs = trailing_curve(reference.instants, reference.posts, DAY, 10, (),
                                reference.occurrences)
        assert np.array_equal(ours.instants, theirs.instants)
        assert np.array_equal(ours.posts, theirs.posts)
        assert ours.peak == theirs.peak
    back = decode_volume(encode_volume(kept))
    assert price_readings(back, tariffs(threshold), DAY, zone) == \
        price_readings(kept, tariffs(threshold), DAY, zone)


@settings(max_examples=200, deadline=None)
@given(found=st.lists(st.tuples(st.integers(0, 20 * QUARTER // NS), st.integers(0, 5)),
                      min_size=1, max_size=80))
def test_the_coverage_is_each_posts_first_and_last_in_every_quarter_hour(found):
    instants = np.array([t * NS for t, _ in found], dtype=np.int64)
    ids = np.array([p for _, p in found], dtype=np.int64)
    volume = Volume.of_occurrences(instants, ids)
    groups: dict[tuple[int, int], list[int]] = {}
    for t, p in set(zip(instants.tolist(), ids.tolist(), strict=True)):
        groups.setdefault((p, t // COVERAGE_SLOT), []).append(t)
    expected: dict[int, set[int]] = {}
    for (p, _), ts in groups.items():
        expected.setdefault(p, set()).update((min(ts), max(ts)))
    kept: dict[int, list[int]] = {}
    for t, p in zip(volume.occurrences[0].tolist(), volume.occurrences[1].tolist(),
                    strict=True):
        kept.setdefault(p, []).append(t)
    assert sorted(kept.values()) == sorted(sorted(ts) for ts in expected.values())  # once each
    first_sight = sorted(expected, key=lambda p: min(expected[p]))
    assert sorted(kept) == list(range(len(first_sight)))  # renumbered 0, 1, 2...
    assert [min(kept[k]) for k in range(len(kept))] == [min(expected[p]) for p in first_sight]
    assert volume.occurrences[0].tolist() == sorted(volume.occurrences[0].tolist())


def test_a_post_fetched_every_second_for_a_day_keeps_two_occurrences_a_quarter_hour():
    seconds = np.arange(0, 86_400, dtype=np.int64) * NS
    volume = Volume.of_occurrences(np.concatenate((seconds, seconds)),
                                   np.repeat(np.array([7, 9], dtype=np.int64), len(seconds)))
    assert volume.total_accesses == 2 * 86_400  # every (second, post) still counted
    assert len(volume.occurrences[0]) == 2 * 2 * 96
    assert volume.total_posts == 2


def test_a_period_cut_inside_a_quarter_hour_is_refused_rather_than_miscounted():
    instants = np.array([0, 60, 120], dtype=np.int64) * NS
    volume = Volume.of_occurrences(instants, np.array([1, 1, 1], dtype=np.int64))
    with pytest.raises(InvalidArgument, match="quarter hour"):
        volume.select(volume.instants >= 100 * NS)
    assert volume.select(volume.instants >= 0).total_accesses == 3


def test_stored_counts_of_every_occurrence_still_read_as_the_same_volume():
    from calculator.storage.counts import OCCURRENCES, _deltas, _pack

    instants = np.array([0, 5, 5, 70, 2000], dtype=np.int64) * NS
    ids = np.array([1, 1, 2, 1, 1], dtype=np.int64)
    old = _pack(OCCURRENCES, [_deltas(instants), ids])
    back = decode_volume(old)
    fresh = Volume.of_occurrences(instants, ids)
    assert np.array_equal(back.instants, fresh.instants)
    assert np.array_equal(back.posts, fresh.posts)
    assert np.array_equal(back.occurrences[0], fresh.occurrences[0])
    assert back.coverage_slot == COVERAGE_SLOT


def test_numeric_post_ids_are_neither_kept_nor_stored_only_their_order_of_first_sight():
    ids = np.array([1_850_000_000_000_000_123, 1_850_000_000_000_000_007,
                    1_850_000_000_000_000_123], dtype=np.int64)
    volume = Volume.of_occurrences(np.array([0, 1, 2], dtype=np.int64) * NS, ids)
    assert volume.occurrences[1].tolist() == [0, 1, 0]
    back = decode_volume(encode_volume(volume))
    assert back.occurrences[1].tolist() == [0, 1, 0]
    assert b"".join(int(i).to_bytes(8, "little") for i in ids) not in encode_volume(volume)
