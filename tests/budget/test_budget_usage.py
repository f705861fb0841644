"""Posts recorded after the fact (they count, even over the limit, and the answer says by how
much), reservations that give back what they did not use, and the recorded log read in
chunks, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calculator.budget import Budgets
from calculator.errors import InvalidArgument, RecordNotFound
from calculator.storage import Store

DAY_ONE = datetime(2025, 3, 1, tzinfo=UTC)  # X's damages clause is in force
DAY = 86_400


@pytest.fixture
def store(database_url):
    opened = Store.open(database_url, migrate=True)
    yield opened
    opened.dispose()


@pytest.fixture
def fleet(store, lookup) -> Budgets:
    budgets = Budgets(store.engine, lookup, "crawler-team")
    budgets.create("fleet", "x", "US", 100, DAY_ONE)
    return budgets


def test_posts_fetched_without_asking_count_even_over_the_limit_and_say_by_how_much(fleet):
    fleet.reserve("fleet", 900_000, DAY_ONE)
    recorded = fleet.record("fleet", 250_000, DAY_ONE + timedelta(hours=1))
    assert (recorded.busiest, recorded.over_by, recorded.over_threshold_by) == (
        1_150_000, 150_000, 150_000)
    assert recorded.standing.used == 1_150_000 and recorded.standing.left == 0
    # Nothing more is granted until the 900,000 posts of 00:00 leave the window; the
    # 250,000 of 01:00 then leave room for 750,000 more.
    refused = fleet.reserve("fleet", 750_000, DAY_ONE + timedelta(hours=2))
    assert not refused.granted
    # The seconds are whole: the 00:00 posts may lie anywhere in their second, so they
    # leave every period that could hold them one second after the day.
    assert refused.retry_after == DAY_ONE + timedelta(days=1, seconds=1)


def test_over_a_safety_margin_is_not_yet_over_the_threshold(store, lookup):
    careful = Budgets(store.engine, lookup, "crawler-team")
    careful.create("careful", "x", "US", 95, DAY_ONE)
    recorded = careful.record("careful", 980_000, DAY_ONE)
    assert (recorded.over_by, recorded.over_threshold_by) == (30_000, 0)


def test_posts_recorded_within_the_limit_are_not_over(fleet):
    recorded = fleet.record("fleet", 10, DAY_ONE)
    assert (recorded.over_by, recorded.over_threshold_by, recorded.busiest) == (0, 0, 10)


def test_posts_fetched_earlier_count_in_the_windows_around_when_they_were_fetched(fleet):
    now = DAY_ONE + timedelta(hours=30)
    fleet.reserve("fleet", 700_000, DAY_ONE + timedelta(hours=20))
    # Fetched at 01:00 on day one: the window [01:00, 01:00 + 24h) also holds the 700,000.
    recorded = fleet.record("fleet", 400_000, now, DAY_ONE + timedelta(hours=1))
    assert recorded.at == DAY_ONE + timedelta(hours=1)
    assert recorded.over_by == 100_000
    assert recorded.standing.used == 700_000  # the trailing window of now no longer holds them


def test_posts_cannot_be_recorded_as_fetched_in_the_future(fleet):
    with pytest.raises(InvalidArgument) as refused:
        fleet.record("fleet", 1, DAY_ONE, DAY_ONE + timedelta(seconds=1))
    assert refused.value.problems[0].field == "at"
    assert fleet.log("fleet") == []


def test_a_returnable_reservation_gives_back_what_it_did_not_use(fleet):
    decision = fleet.reserve("fleet", 1_000, DAY_ONE, returnable=True)
    reservation = decision.reservation
    assert reservation is not None and reservation.kept == 1_000
    later = DAY_ONE + timedelta(seconds=5)
    given, standing = fleet.give_back("fleet", reservation.id, 400, later)
    assert (given.returned, given.kept, standing.used) == (400, 600, 600)
    assert fleet.log("fleet") == [(DAY_ONE, 600)]
    with pytest.raises(InvalidArgument, match="at most that many"):
        fleet.give_back("fleet", reservation.id, 601, later)
    given, standing = fleet.give_back("fleet", reservation.id, 600, later)
    assert given.kept == 0 and standing.used == 0
    assert fleet.log("fleet") == []  # as if never reserved


def test_posts_given_back_can_be_granted_again_at_once(fleet):
    block = fleet.reserve("fleet", 1_000_000, DAY_ONE, returnable=True).reservation
    assert block is not None
    assert not fleet.reserve("fleet", 1, DAY_ONE).granted
    fleet.give_back("fleet", block.id, 300_000, DAY_ONE)
    assert fleet.reserve("fleet", 300_000, DAY_ONE).granted
    assert not fleet.reserve("fleet", 1, DAY_ONE).granted


def test_only_a_returnable_reservation_of_this_budget_within_its_window_gives_back(
        fleet, store, lookup):
    plain = fleet.reserve("fleet", 10, DAY_ONE)
    assert plain.reservation is None
    old = fleet.reserve("fleet", 10, DAY_ONE, returnable=True).reservation
    assert old is not None
    other = Budgets(store.engine, lookup, "another-team")
    other.create("fleet", "x", "US", 100, DAY_ONE)
    with pytest.raises(RecordNotFound):
        other.give_back("fleet", old.id, 1, DAY_ONE)
    with pytest.raises(RecordNotFound):
        fleet.give_back("fleet", "0" * 32, 1, DAY_ONE)
    # A day (and the second its posts may lie anywhere in) on, its posts decide no grant
    # any more: it is forgotten, whether or not a reservation since has cleared it away
    # (posts given back after that rewrote the log).
    later = DAY_ONE + timedelta(days=1, seconds=1)
    with pytest.raises(RecordNotFound, match="one window"):
        fleet.give_back("fleet", old.id, 1, later)
    fleet.reserve("fleet", 10, later, returnable=True)
    with pytest.raises(RecordNotFound, match="one window"):
        fleet.give_back("fleet", old.id, 1, later)
    assert sum(posts for _, posts in fleet.log("fleet")) == 30


def test_the_log_is_read_in_chunks_oldest_first(fleet):
    for minute in (5, 1, 3):
        fleet.record("fleet", minute, DAY_ONE + timedelta(hours=1),
                     DAY_ONE + timedelta(minutes=minute))
    chunks = list(fleet.log_chunks("fleet", size=2))
    assert [len(c) for c in chunks] == [2, 1]
    start = int(DAY_ONE.timestamp())
    assert [row for c in chunks for row in c] == [(start + 60, 1), (start + 180, 3),
                                                  (start + 300, 5)]
    with pytest.raises(RecordNotFound):
        fleet.log_chunks("nobody")


def _busiest_by_brute_force(rows: list[tuple[int, int]], t: int) -> int:
    """The most posts one real 24-hour period holding second t may hold, as the budget
    keeps posts by the second: posts of second s lie anywhere in it, so two seconds a day
    apart may share a period (s + 0.9 and s + 86,400.0), and more than a day apart never
    do (decision 0100, addendum). So every run of DAY + 1 whole seconds holding t is
    counted."""
    seconds = np.array([s for s, _ in rows], dtype=np.int64)
    posts = np.array([p for _, p in rows], dtype=np.int64)
    best = 0
    for s in range(t - DAY, t + 1, 1_000):  # 1,000 starts at a time
        starts = np.arange(s, min(s + 1_000, t + 1), dtype=np.int64)[:, None]
        inside = (seconds[None, :] >= starts) & (seconds[None, :] <= starts + DAY)
        best = max(best, int((inside * posts[None, :]).sum(axis=1).max()))
    return best


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(rows=[(DAY, 1)], fetched=0, posts=1)  # a day apart: one period may hold both
@example(rows=[(DAY + 1, 1)], fetched=0, posts=1)  # a day and a second apart: none does
@given(rows=st.lists(st.tuples(st.integers(0, 3 * DAY), st.integers(1, 400_000)),
                     max_size=12),
       fetched=st.integers(0, 3 * DAY), posts=st.integers(1, 400_000))
def test_how_far_over_matches_counting_every_window_by_hand(store, lookup, rows, fetched,
                                                            posts):
    budgets = Budgets(store.engine, lookup, "property")
    budgets.delete("fleet") if _exists(budgets) else None
    budgets.create("fleet", "x", "US", 100, DAY_ONE)
    start = int(DAY_ONE.timestamp())
    now = DAY_ONE + timedelta(seconds=3 * DAY)
    for second, n in rows:
        budgets.record("fleet", n, now, DAY_ONE + timedelta(seconds=second))
    recorded = budgets.record("fleet", posts, now, DAY_ONE + timedelta(seconds=fetched))
    everything = [(start + s, n) for s, n in rows] + [(start + fetched, posts)]
    busiest = _busiest_by_brute_force(everything, start + fetched)
    assert recorded.busiest == busiest
    assert recorded.over_by == max(0, busiest - 1_000_000)


def _exists(budgets: Budgets) -> bool:
    try:
        budgets.get("fleet")
    except RecordNotFound:
        return False
    return True
