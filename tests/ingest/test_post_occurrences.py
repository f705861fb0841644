"""Occurrences of post ids past the memory bound go to disk, shuffled by post, and come back
as the same distinct volume (decision 0122): what a log of any size is counted from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.damages.assessment import assess
from calculator.ingest import post_occurrences
from calculator.ingest.post_occurrences import PostOccurrences
from calculator.ingest.volume import Volume

NS = 1_000_000_000


def pairs_of(volume: Volume) -> list[tuple[int, ...]]:
    """Each post's kept instants, whatever the numbers the posts were given."""
    seen: dict[int, list[int]] = {}
    for instant, post in zip(volume.occurrences[0].tolist(), volume.occurrences[1].tolist(),
                             strict=True):
        seen.setdefault(post, []).append(instant)
    return sorted(tuple(instants) for instants in seen.values())


@settings(max_examples=200, deadline=None)
@given(chunks=st.lists(st.lists(st.tuples(st.integers(0, 10_000), st.integers(-5, 40)),
                                max_size=30), max_size=8),
       spill_at=st.integers(1, 40), buckets=st.integers(1, 5),
       written=st.integers(1, 50))
def test_spilled_occurrences_give_the_volume_of_every_occurrence(chunks, spill_at, buckets,
                                                                 written):
    """Whatever the memory bound, the buckets and how many occurrences are written at once
    once on disk (pieces joined or written alone)."""
    held = PostOccurrences(spill_at, buckets, written)
    counted = PostOccurrences(spill_at, buckets, written)
    for chunk in chunks:
        for store in (held, counted):
            store.add(np.array([t * NS for t, _ in chunk], dtype=np.int64),
                      np.array([p for _, p in chunk], dtype=np.int64))
    every = [(t * NS, p) for chunk in chunks for t, p in chunk]
    expected = Volume.of_occurrences(np.array([t for t, _ in every], dtype=np.int64),
                                     np.array([p for _, p in every], dtype=np.int64))
    assert counted.distinct_posts() == len({p for _, p in every})
    volume = held.volume()
    assert np.array_equal(volume.instants, expected.instants)
    assert np.array_equal(volume.posts, expected.posts)
    assert np.array_equal(volume.accesses, expected.accesses)
    assert pairs_of(volume) == pairs_of(expected)
    assert volume.occurrences[0].tolist() == sorted(volume.occurrences[0].tolist())


def test_a_log_read_through_the_disk_is_assessed_as_one_read_in_memory(monkeypatch):
    rng = np.random.default_rng(5)
    seconds = rng.integers(0, 3 * 86_400, 6_000)  # rows out of time order
    posts = rng.integers(0, 400, 6_000)
    lines = ["timestamp,post_id"] + [
        f"{np.datetime_as_string(np.datetime64('2025-03-01T00:00:00') + np.timedelta64(s, 's'))}Z,"
        f"{'a' if p % 3 == 0 else ''}{p}" for s, p in zip(seconds, posts, strict=True)]
    log = "\n".join(lines).encode()
    in_memory = assess(log, count="distinct")
    monkeypatch.setattr(post_occurrences, "SPILL_AT", 500)
    through_disk = assess(log, count="distinct")
    assert through_disk.to_document() == in_memory.to_document()


def test_a_crawlers_posts_read_through_the_disk_are_assessed_as_in_memory(monkeypatch):
    from calculator.ingest import crawl_counts
    from calculator.timeutil import parse_instant

    samples = Path(__file__).resolve().parents[3] / "shared" / "samples" / "x-api-json"
    path = samples / "twscrape_raw_user_tweets.json"
    window = (parse_instant("2026-07-09"), parse_instant("2026-07-10"))
    in_memory = assess(path, collection_window=window, embedded_posts=True, count="distinct")
    monkeypatch.setattr(post_occurrences, "SPILL_AT", 7)
    monkeypatch.setattr(crawl_counts, "_FLUSH", 3)
    through_disk = assess(path, collection_window=window, embedded_posts=True,
                          count="distinct")
    assert through_disk.counted_posts == 43
    assert through_disk.to_document() == in_memory.to_document()


@settings(max_examples=100, deadline=None)
@given(occurrences=st.lists(st.tuples(st.integers(0, 4_000), st.integers(0, 30)),
                            max_size=60),
       groups=st.integers(1, 4))
def test_volumes_of_posts_split_apart_join_into_the_volume_of_them_all(occurrences, groups):
    """The Dask client's merge: parts sharing no post, joined, count as all their
    occurrences would (per-instant posts, each post's kept sightings, time order)."""
    every = [(t * NS, p) for t, p in occurrences]
    parts = [Volume.of_occurrences(np.array([t for t, p in every if p % groups == g],
                                            dtype=np.int64),
                                   np.array([p for t, p in every if p % groups == g],
                                            dtype=np.int64))
             for g in range(groups)]
    joined = Volume.of_disjoint(parts)
    expected = Volume.of_occurrences(np.array([t for t, _ in every], dtype=np.int64),
                                     np.array([p for _, p in every], dtype=np.int64))
    assert np.array_equal(joined.instants, expected.instants)
    assert np.array_equal(joined.posts, expected.posts)
    assert pairs_of(joined) == pairs_of(expected)
    assert joined.occurrences[0].tolist() == sorted(joined.occurrences[0].tolist())


@settings(max_examples=200, deadline=None)
@given(chunks=st.lists(st.lists(st.integers(-50, 400), max_size=40), max_size=12),
       merged_at=st.integers(1, 30), ascending=st.booleans())
def test_the_spilled_instants_grid_holds_every_instant_once_in_order(chunks, merged_at,
                                                                     ascending):
    """Chunks in time order (appended), overlapping at their ends (an instant split across
    two), or out of order (waiting, then merged in): the grid the buckets' counts are summed
    on is every instant added, each once, ascending (decision 0149)."""
    if ascending:
        chunks = [sorted(c) for c in sorted(chunks, key=lambda c: min(c, default=0))]
    grid = post_occurrences.InstantGrid()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(post_occurrences, "_LATE_MERGED_AT", merged_at)
        for chunk in chunks:
            grid.add(np.array(chunk, dtype=np.int64))
    assert grid.instants().tolist() == sorted({t for c in chunks for t in c})
