"""Budgets in the database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set): a
simulated day of reservations stays under the threshold by the assessment engine's own
count, and concurrent reservations never overrun the limit together."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from calculator.budget import Budgets
from calculator.damages.assessment import assess
from calculator.errors import Conflict, InvalidArgument, RecordNotFound
from calculator.storage import Store

DAY_ONE = datetime(2025, 3, 1, tzinfo=UTC)  # X's damages clause is in force


@pytest.fixture
def store(database_url):
    opened = Store.open(database_url, migrate=True)
    yield opened
    opened.dispose()


def budgets(store, lookup, owner="crawler-team") -> Budgets:
    return Budgets(store.engine, lookup, owner)


def log_csv(rows) -> bytes:
    lines = ["timestamp,posts", *(f"{at.isoformat().replace('+00:00', 'Z')},{posts}"
                                  for at, posts in rows)]
    return ("\n".join(lines) + "\n").encode()


def test_the_limit_is_the_threshold_in_force_times_the_margin(store, lookup):
    fleet = budgets(store, lookup)
    fleet.create("fleet", "x", "US", 95, DAY_ONE)
    standing = fleet.standing("fleet", DAY_ONE)
    assert standing.limit is not None
    assert (standing.limit.threshold, standing.limit.window) == (1_000_000, 86_400)
    assert standing.limit.posts == 950_000
    assert (standing.used, standing.left) == (0, 950_000)


def test_before_the_damages_clause_existed_the_budget_grants_without_limit(store, lookup):
    fleet = budgets(store, lookup)
    before = datetime(2024, 6, 1, tzinfo=UTC)  # X's clause dates from 2024-11-15
    fleet.create("fleet", "x", None, 100, before)
    decision = fleet.reserve("fleet", 5_000_000, before)
    assert decision.granted and decision.standing.limit is None
    assert decision.standing.left is None and decision.standing.used == 5_000_000


def test_a_simulated_day_of_reservations_assesses_to_nothing_owed(store, lookup):
    fleet = budgets(store, lookup)
    fleet.create("fleet", "x", "US", 100, DAY_ONE)
    rng = random.Random(15)
    now, refused = DAY_ONE, 0
    end = DAY_ONE + timedelta(days=2)
    while now < end:  # the clock is injected: two simulated days, no waiting
        decision = fleet.reserve("fleet", rng.randint(1, 60_000), now)
        if not decision.granted:
            refused += 1
            assert decision.retry_after is not None and decision.retry_after > now
        now += timedelta(seconds=rng.randint(1, 400))
    assert refused > 0  # the fleet did press against the limit
    recorded = fleet.log("fleet")
    result = assess(log_csv(recorded), platform="x", region="US")
    assert result.peak.posts <= 1_000_000
    assert result.peak.posts > 900_000  # and used nearly all of it
    assert {r.amount for r in result.readings} == {Decimal("0.00")}


def test_concurrent_reservations_never_overrun_the_limit(store, lookup):
    fleet = budgets(store, lookup)
    fleet.create("fleet", "x", "US", 1, DAY_ONE)  # 10,000 posts
    granted: list[int] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine = Budgets(store.engine, lookup, "crawler-team")
        for _ in range(40):
            n = rng.randint(1, 400)
            if mine.reserve("fleet", n, DAY_ONE + timedelta(seconds=rng.randint(0, 5))).granted:
                with lock:
                    granted.append(n)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorded = sum(posts for _, posts in fleet.log("fleet"))
    assert recorded == sum(granted)  # no lost update
    assert 9_000 < recorded <= 10_000  # no overrun, and the budget was used


def test_budgets_belong_to_their_key(store, lookup):
    budgets(store, lookup, "team-a").create("fleet", "x", None, 100, DAY_ONE)
    with pytest.raises(RecordNotFound):
        budgets(store, lookup, "team-b").standing("fleet", DAY_ONE)
    budgets(store, lookup, "team-b").create("fleet", "x", None, 100, DAY_ONE)  # its own
    with pytest.raises(Conflict):
        budgets(store, lookup, "team-a").create("fleet", "x", None, 100, DAY_ONE)


def test_bad_names_margins_and_post_counts_are_refused_by_field(store, lookup):
    fleet = budgets(store, lookup)
    with pytest.raises(InvalidArgument, match="name"):
        fleet.create("../etc", "x", None, 100, DAY_ONE)
    with pytest.raises(InvalidArgument, match="margin_percent"):
        fleet.create("fleet", "x", None, 0, DAY_ONE)
    fleet.create("fleet", "x", None, 100, DAY_ONE)
    with pytest.raises(InvalidArgument, match="posts"):
        fleet.reserve("fleet", 0, DAY_ONE)


def test_deleting_a_budget_deletes_its_usage(store, lookup):
    fleet = budgets(store, lookup)
    fleet.create("fleet", "x", None, 100, DAY_ONE)
    fleet.reserve("fleet", 10, DAY_ONE)
    fleet.delete("fleet")
    with pytest.raises(RecordNotFound):
        fleet.log("fleet")
    fleet.create("fleet", "x", None, 100, DAY_ONE)
    assert fleet.log("fleet") == []
