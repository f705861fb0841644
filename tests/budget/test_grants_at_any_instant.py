"""What a budget grants never puts a real period of the clause's 24 hours over its limit,
whatever the instants within their seconds: the budget keeps whole seconds, and a grant at
12:00:00.000 was let through against posts of 12:00:00.900 the day before (86,399.1 s
earlier): at the threshold itself, 1,000,000 posts and then one more, which an assessment
of the same instants prices at $15,000.02."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculator.budget import Budgets
from calculator.storage import Store

DAY_ONE = datetime(2025, 3, 1, tzinfo=UTC)  # X's clause is in force
DAY = timedelta(days=1)
LIMIT = 10_000  # X's threshold of 1,000,000 at a margin of 1 %

# Steps between reservations in milliseconds, near a day apart as often as not; posts up to
# the whole limit.
steps = st.lists(st.tuples(st.one_of(st.integers(0, 2_000),
                                      st.integers(86_398_000, 86_401_000),
                                      st.integers(0, 90_000_000)),
                           st.integers(1, LIMIT)), min_size=1, max_size=20)


def busiest_real_period(granted: list[tuple[datetime, int]]) -> int:
    """The most posts any period [s, s + 24 h) holds, by brute force (a busiest period can
    always start at a grant)."""
    return max((sum(p for t, p in granted if start <= t < start + DAY)
                for start, _ in granted), default=0)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_no_grant_puts_a_real_24_hour_period_over_the_limit(tmp_path_factory, lookup, steps):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('any') / 's.sqlite3'}",
                       migrate=True)
    try:
        fleet = Budgets(store.engine, lookup, "crawler-team")
        name = uuid.uuid4().hex[:20]
        fleet.create(name, "x", "US", 1, DAY_ONE)
        now, granted = DAY_ONE, []
        for step, posts in steps:
            now += timedelta(milliseconds=step)
            if fleet.reserve(name, posts, now).granted:
                granted.append((now, posts))
                assert busiest_real_period(granted) <= LIMIT, granted
    finally:
        store.dispose()


def test_a_grant_a_day_after_posts_later_in_their_second_waits_for_that_second(
        tmp_path, lookup):
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}", migrate=True)
    fleet = Budgets(store.engine, lookup, "crawler-team")
    fleet.create("fleet", "x", "US", 1, DAY_ONE)
    first = DAY_ONE + timedelta(hours=12, milliseconds=900)
    assert fleet.reserve("fleet", LIMIT, first).granted
    refused = fleet.reserve("fleet", 1, DAY_ONE + DAY + timedelta(hours=12))
    assert not refused.granted  # 86,399.1 s after the first: one period holds both
    assert refused.retry_after == DAY_ONE + DAY + timedelta(hours=12, seconds=1)
    assert fleet.reserve("fleet", 1, refused.retry_after).granted  # 86,400.1 s after
    store.dispose()
