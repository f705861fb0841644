"""A fleet run: four crawlers (two asking per fetch, two batching blocks of posts) share one
budget through the service over HTTP, concurrently, for a day and more of simulated time.
The budget's own log, assessed by the calculator, owes USD 0 under every reading, holds
exactly the posts the crawlers fetched, and used nearly the whole limit."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

from calculator.damages.assessment import assess
from calculator.guard import Budget, BudgetSpent

LIMIT = 10_000  # X's threshold with a margin of 1 %


def test_a_fleet_run_stays_under_the_limit_and_its_log_assesses_to_nothing_owed(service,
                                                                               clock):
    url, _app = service
    Budget(url, "fleet").create("x", region="US", margin_percent=1)
    plain = [Budget(url, "fleet") for _ in range(2)]
    batching = [Budget(url, "fleet", batch=50, hold=120, clock=clock.seconds)
                for _ in range(2)]
    fetched = [0, 0, 0, 0]
    refused = [0]
    rng = random.Random(15)

    def ask_per_fetch(which: int, posts: int) -> None:
        try:
            fetched[which] += plain[which].reserve(posts).posts
        except BudgetSpent as spent:
            assert spent.retry_after >= 1 and spent.left_now < posts
            refused[0] += 1

    def batch(which: int, posts: int) -> None:
        for _ in range(posts):
            try:
                batching[which - 2].reserve(1)
            except BudgetSpent:
                refused[0] += 1
                return
            fetched[which] += 1

    end = clock.now + timedelta(hours=28)
    with ThreadPoolExecutor(4) as pool:
        while clock.now < end:
            demand = [rng.randint(1, 120) for _ in range(4)]
            tasks = [pool.submit(ask_per_fetch, 0, demand[0]),
                     pool.submit(ask_per_fetch, 1, demand[1]),
                     pool.submit(batch, 2, demand[2]), pool.submit(batch, 3, demand[3])]
            for task in tasks:
                task.result()
            clock.now += timedelta(seconds=rng.randint(240, 2400))
    for client in batching:
        client.close()  # gives back what the last blocks did not use

    assert refused[0] > 0  # the fleet pressed against the limit
    log = Budget(url, "fleet").log_csv()
    result = assess(log, platform="x", region="US")
    assert result.counted["posts"] == sum(fetched)  # exactly what was fetched
    assert LIMIT * 0.9 < result.peak.posts <= LIMIT
    assert {r.amount for r in result.readings} == {Decimal("0.00")}
