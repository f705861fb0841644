"""The trailing count a budget shows over its last window, checked against counting the
window that ends at each point by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.budget.curve import budget_curve
from calculator.damages.curve import NS

NOW = datetime(2025, 3, 3, tzinfo=UTC)
T = int(NOW.timestamp())
DAY = 86_400


def by_hand(rows: list[tuple[int, int]], at: int) -> int:
    """Posts in (at - DAY, at]."""
    return sum(p for s, p in rows if at - DAY < s <= at)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(T - 2 * DAY + 1, T), st.integers(1, 10_000), max_size=40))
def test_each_point_counts_the_window_that_ends_at_it(usage):
    rows = sorted(usage.items())  # as the store keeps them: one row per second
    curve = budget_curve(rows, NOW, DAY)
    ats = [p.at_ns // NS for p in curve.points]
    assert ats[0] == T - DAY and ats[-1] == T  # from one window ago until now
    assert ats == sorted(set(ats))
    for point in curve.points:
        assert point.posts == by_hand(rows, point.at_ns // NS)
    # The count is a step function: between points it holds, so the busiest point is the
    # most the window held at any second of the last day.
    assert curve.busiest == max(by_hand(rows, t) for t in
                                {T - DAY, T, *(s for s, _ in rows if s > T - DAY)})
    assert not curve.sampled


def test_a_budget_without_posts_is_flat_at_zero():
    curve = budget_curve([], NOW, DAY)
    assert [(p.at_ns // NS, p.posts) for p in curve.points] == [(T - DAY, 0), (T, 0)]


def test_a_busy_day_is_sampled_and_keeps_its_peak():
    rows = [(T - 2 * DAY + 60 * k, 1 + k % 7) for k in range(2 * DAY // 60)]
    peak = max(by_hand(rows, t) for t in range(T - DAY, T + 1, 60))
    curve = budget_curve(rows, NOW, DAY, max_points=200)
    assert curve.sampled and len(curve.points) <= 200
    assert curve.busiest == peak
    assert curve.start == NOW - timedelta(days=1)
