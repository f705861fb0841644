"""The grant rule against a brute-force reference: n posts at second t are granted exactly
when, with them added, no period of W seconds holds more than the limit; a refusal's
retry instant is the first second from t on at which they would be granted."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.budget.window import Usage, earliest_fit, fits, used_now

usages = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 9)), max_size=25)


def brute_windows(log: Counter, window: int):
    """Every period [s, s + W) that holds any post, with its total."""
    if not log:
        return []
    low, high = min(log) - window, max(log) + window
    return [(s, sum(log[x] for x in range(s, s + window))) for s in range(low, high + 1)]


def brute_fits(log: Counter, t: int, n: int, limit: int, window: int) -> bool:
    """With n posts added at t, every period that contains t is within the limit (the
    others did not change)."""
    after = log + Counter({t: n})
    return all(total <= limit for s, total in brute_windows(after, window)
               if s <= t < s + window)


def usage_of(rows) -> tuple[Usage, Counter]:
    log = Counter()
    for second, posts in rows:
        log[second] += posts
    return Usage.of(list(log.items())), log


@settings(max_examples=400, deadline=None)
@given(usages, st.integers(0, 80), st.integers(1, 30), st.integers(1, 40), st.integers(1, 15))
def test_a_grant_is_exactly_what_every_window_allows(rows, t, n, limit, window):
    usage, log = usage_of(rows)
    assert fits(usage, t, n, limit, window) == brute_fits(log, t, n, limit, window)


@settings(max_examples=300, deadline=None)
@given(usages, st.integers(0, 80), st.integers(1, 30), st.integers(1, 40), st.integers(1, 15))
def test_retry_after_is_the_first_second_the_posts_fit(rows, t, n, limit, window):
    usage, log = usage_of(rows)
    found = earliest_fit(usage, t, n, limit, window)
    if n > limit:
        assert found is None  # more than the whole limit never fits
        return
    horizon = max([t, *log]) + window + 1
    expected = next(x for x in range(t, horizon + 1) if brute_fits(log, x, n, limit, window))
    assert found == expected


@settings(max_examples=200, deadline=None)
@given(usages, st.integers(0, 80), st.integers(1, 15))
def test_used_counts_the_trailing_window_at_one_second(rows, t, window):
    usage, log = usage_of(rows)
    assert used_now(usage, t, window) == sum(p for s, p in log.items() if t - window < s <= t)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 100), st.integers(1, 20)), max_size=40),
       st.integers(5, 40), st.integers(1, 15))
def test_reservations_in_any_order_never_put_a_window_over_the_limit(requests, limit, window):
    # A host whose clock is behind reserves "in the past": still no window goes over.
    log: Counter = Counter()
    for t, n in requests:
        usage = Usage.of(list(log.items()))
        if fits(usage, t, n, limit, window):
            log[t] += n
    assert all(total <= limit for _, total in brute_windows(log, window))
