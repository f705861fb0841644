"""The trailing 24-hour count a chart draws: exact at every change, sampled without losing
the peak, and the same peak as the assessment's, checked against counting by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calculator
from calculator.damages.assessment import default_lookup, replay, replay_basis
from calculator.damages.curve import (
    MAX_POINTS,
    Threshold,
    assessment_curve,
    change_points,
    counted_volume,
    curve_document,
    stored_curve_document,
    trailing_curve,
)

NS = 1_000_000_000
DAY = 86_400 * NS
T0 = 1_740_000_000 * NS  # 2025-02-19T21:20:00Z


def brute_trailing(instants: np.ndarray, posts: np.ndarray, at: int, window: int) -> int:
    """Posts accessed in (at - window, at], one access at a time."""
    return int(sum(int(p) for t, p in zip(instants, posts, strict=True)
                   if at - window < int(t) <= at))


def brute_peak(instants: np.ndarray, posts: np.ndarray, window: int) -> int:
    """The most posts in any [s, s + window), trying every start that can matter."""
    starts = {int(t) for t in instants} | {int(t) - window + 1 for t in instants}
    return max(sum(int(p) for t, p in zip(instants, posts, strict=True) if s <= int(t) < s + window)
               for s in starts)


def _volume(rows: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    totals: dict[int, int] = {}
    for second, count in rows:
        totals[T0 + second * NS] = totals.get(T0 + second * NS, 0) + count
    instants = np.array(sorted(totals), dtype=np.int64)
    return instants, np.array([totals[t] for t in instants], dtype=np.int64)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5 * 86_400), st.integers(0, 900_000)),
                min_size=1, max_size=40))
def test_every_point_is_the_count_by_hand_and_the_top_is_the_peak(rows):
    instants, posts = _volume(rows)
    curve = trailing_curve(instants, posts, DAY)
    assert not curve.sampled
    assert curve.changes == len(change_points(instants, DAY)) == len(curve.points)
    for point in curve.points:
        assert point.posts == brute_trailing(instants, posts, point.at_ns, DAY)
    assert max(p.posts for p in curve.points) == curve.peak.posts == brute_peak(instants, posts,
                                                                                  DAY)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5 * 86_400), st.integers(0, 900_000)),
                min_size=1, max_size=40), st.integers(0, 6 * 86_400))
def test_between_points_the_count_holds(rows, second):
    """A step function: at any instant, the count is the last point's at or before it."""
    instants, posts = _volume(rows)
    curve = trailing_curve(instants, posts, DAY)
    at = T0 + second * NS
    before = [p for p in curve.points if p.at_ns <= at]
    expected = before[-1].posts if before else 0
    assert brute_trailing(instants, posts, at, DAY) == expected


def test_a_long_log_is_sampled_to_the_bound_and_keeps_the_peak_and_the_troughs():
    rng = np.random.default_rng(6)
    instants = np.unique(T0 + rng.integers(0, 60 * 86_400, 20_000) * NS)
    posts = rng.integers(1, 200, len(instants)).astype(np.int64)
    posts[len(posts) // 3] = 5_000_000  # one spike, which the chart must show
    curve = trailing_curve(instants, posts, DAY, max_points=500)
    assert curve.sampled and curve.changes > 500
    assert len(curve.points) <= 500
    assert curve.points[0].at_ns == instants[0] and curve.points[-1].posts == 0
    # Checked against an independent count (prefix sums over (t - W, t]) at every change.
    at = change_points(instants, DAY)
    prefix = np.concatenate(([0], np.cumsum(posts)))
    exact = (prefix[np.searchsorted(instants, at, side="right")]
             - prefix[np.searchsorted(instants, at - DAY, side="right")])
    kept = dict(zip(at.tolist(), exact.tolist(), strict=True))
    assert all(kept[p.at_ns] == p.posts for p in curve.points)
    assert max(p.posts for p in curve.points) == exact.max() == curve.peak.posts
    assert min(p.posts for p in curve.points) == exact.min()


def test_time_above_the_threshold_is_summed_over_the_exact_curve():
    # 600k at 18:00 and 600k at 06:00 next day: above 1,000,000 from 06:00 to 18:00 (12 h).
    instants = np.array([T0, T0 + 12 * 3600 * NS, T0 + 5 * DAY], dtype=np.int64)
    posts = np.array([600_000, 600_000, 2_000_000], dtype=np.int64)
    limit = (Threshold("2024-11-15", 0, None, 1_000_000),)
    curve = trailing_curve(instants, posts, DAY, thresholds=limit)
    assert curve.above.first_ns == T0 + 12 * 3600 * NS
    assert curve.above.until_ns == T0 + 6 * DAY
    assert curve.above.total_ns == 12 * 3600 * NS + DAY
    assert curve.above.stretches == 2


def test_a_log_that_stays_under_the_threshold_is_never_above_it():
    instants = np.array([T0, T0 + 3600 * NS], dtype=np.int64)
    posts = np.array([10, 20], dtype=np.int64)
    curve = trailing_curve(instants, posts, DAY,
                           thresholds=(Threshold("2024-11-15", 0, None, 1_000_000),))
    assert curve.above is None and curve.peak.posts == 30


def test_an_empty_log_has_no_curve():
    nothing = np.array([], dtype=np.int64)
    curve = trailing_curve(nothing, nothing, DAY)
    assert curve.points == [] and curve.peak is None and curve.changes == 0


@pytest.mark.parametrize("points", [0, 9, MAX_POINTS + 1])
def test_the_number_of_points_is_bounded(points):
    one = np.array([T0], dtype=np.int64)
    with pytest.raises(ValueError, match="max_points"):
        trailing_curve(one, one, DAY, max_points=points)


def test_the_curve_of_an_assessment_counts_what_it_counted_and_peaks_where_it_does():
    log = (b"timestamp,posts,platform,authorized\n"
           b"2024-11-14T23:00:00Z,900000,x,\n"  # before the clause: left out
           b"2025-03-01T18:00:00Z,600000,x,\n"
           b"2025-03-01T20:00:00Z,400000,reddit,\n"  # another platform: left out
           b"2025-03-01T21:00:00Z,700000,x,true\n"  # authorized: left out
           b"2025-03-02T06:00:00Z,600000,x,\n")
    result = calculator.assess(log)
    counted = counted_volume(result)
    assert counted.total_posts == result.counted_posts == 1_200_000
    curve = assessment_curve(result)
    document = result.to_document()
    assert curve.peak.posts == document["peak_24h"]["posts"] == 1_200_000
    assert [t.posts for t in curve.thresholds] == [
        v["parameters"]["threshold_posts"] for v in document["clause"]["versions"]]
    assert curve.window_ns == DAY
    assert [(p.posts) for p in curve.points] == [600_000, 1_200_000, 600_000, 0]


def test_the_curve_of_a_distinct_count_peaks_at_the_assessments_distinct_peak():
    import calculator

    log = (b"timestamp,post_id\n2025-03-01T00:00:00Z,1\n2025-03-01T01:00:00Z,1\n"
           b"2025-03-01T02:00:00Z,2\n2025-03-02T00:30:00Z,3\n")
    result = calculator.assess(log, count="distinct")
    curve = assessment_curve(result)
    # Four rows but three posts: the 24 hours from 01:00 hold post 1 (once), 2 and 3.
    assert result.peak.posts == 3
    assert int(curve.posts.max()) == result.peak.posts


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-10**6, 10**6), max_size=60), st.integers(1, 10**5))
def test_change_points_are_the_accesses_and_one_window_on_each_once_in_order(seconds, window):
    instants = np.unique(np.array(seconds, dtype=np.int64) * NS)
    assert np.array_equal(change_points(instants, window * NS),
                          np.union1d(instants, instants + window * NS))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400 * 86_400), st.integers(0, 900_000)),
                min_size=1, max_size=30), st.sampled_from(["rest-of-world", "eu-efta-uk"]))
def test_a_stored_assessments_chart_from_its_counts_is_the_chart_of_its_full_replay(rows, region):
    # Dates from 2024-09 into 2025-10 cross the clause's first version coming into force.
    start = 1_725_000_000  # 2024-08-30
    log = "timestamp,posts\n" + "".join(
        f"{np.datetime_as_string(np.datetime64(start + s, 's'))}Z,{p}\n" for s, p in rows)
    assessment = calculator.assess(log.encode(), region=region)
    lookup = default_lookup()
    fast = stored_curve_document(replay_basis(assessment), lookup)
    full = curve_document(replay(replay_basis(assessment), lookup))
    assert {k: fast[k] for k in ("platform", "region", "clause", "ruleset_revision", "input",
                                 "counted")} == \
        {k: full[k] for k in ("platform", "region", "clause", "ruleset_revision", "input",
                              "counted")}
    one, other = fast["curve"], full["curve"]
    assert np.array_equal(one.instants, other.instants)
    assert np.array_equal(one.posts, other.posts)
    assert (one.peak, one.thresholds, one.above, one.changes, one.sampled) == \
        (other.peak, other.thresholds, other.above, other.changes, other.sampled)
