"""Exactness under concurrency: a fleet of processes reserving at random for a simulated day.

    python bench/budget_fleet_day.py                       # 8 processes, SQLite file
    python bench/budget_fleet_day.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/budget_fleet_day.py --processes 8 --reservations 40000 --margin 1

``--processes`` processes (8) share one budget on X's damages clause (the limit is the
threshold × ``--margin`` percent) in one database, each with its own engine, as workers on
several hosts would. Time is injected, not waited: the processes share a simulated clock
that they move forward by random steps, so about ``--reservations`` reservations cover one
day (plus an hour, so the first window's posts leave it). Each process reads the clock a
little behind (its host's clock is up to ``--skew`` seconds late), reserves a random number
of posts (demand is ``--pressure`` times what the limit allows), and counts what it was
granted.

Then the budget's recorded usage is assessed by the assessment engine as any crawl log: its
peak window must not exceed the limit, every reading must owe USD 0, and the posts recorded
must be exactly the posts granted (no lost or doubled update). Exit status 1 otherwise.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import database  # the benches' one way to a fresh database

DAY_ONE = int(datetime(2025, 3, 1, tzinfo=UTC).timestamp())  # X's clause is in force
BUDGET = "fleet"
OWNER = "crawler-team"


def fleet_process(url: str, seed: int, clock, clock_lock, end: int, mean_step: float,
                  mean_posts: float, skew: int, results) -> None:
    """One host of the fleet: reserve until the simulated day is over."""
    from calculator.budget import Budgets
    from calculator.rules import RuleLookup, load_ruleset
    from calculator.storage import Store

    rng = random.Random(seed)
    behind = rng.randint(0, skew)  # this host's clock is late by this much
    store = Store.open(url, migrate=False)
    fleet = Budgets(store.engine, RuleLookup(load_ruleset(None)), OWNER)
    granted = refused = granted_posts = asked = 0
    latencies: list[float] = []
    try:
        while True:
            with clock_lock:
                now = clock.value
                # Each process moves the shared clock on by a random step (mean_step on
                # average per reservation of the whole fleet).
                clock.value = now + int(rng.expovariate(1 / mean_step) + 0.5)
            if now >= end:
                break
            posts = max(1, int(rng.expovariate(1 / mean_posts)))
            asked += 1
            began = time.perf_counter()
            decision = fleet.reserve(BUDGET, posts, datetime.fromtimestamp(now - behind, UTC))
            latencies.append(time.perf_counter() - began)
            if decision.granted:
                granted += 1
                granted_posts += posts
            else:
                refused += 1
    finally:
        store.dispose()
    results.put((asked, granted, refused, granted_posts, latencies))


def log_csv(rows: list[tuple[datetime, int]]) -> bytes:
    """The recorded usage as a CSV crawl log."""
    lines = ["timestamp,posts", *(f"{at:%Y-%m-%dT%H:%M:%SZ},{posts}" for at, posts in rows)]
    return ("\n".join(lines) + "\n").encode()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server (a fresh schema is made and dropped); default: "
                             "a SQLite file in a temporary folder")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--reservations", type=int, default=20_000,
                        help="about how many reservations the fleet makes in the day")
    parser.add_argument("--margin", type=int, default=1,
                        help="the budget's safety margin, percent (1: X's 1,000,000 → 10,000)")
    parser.add_argument("--pressure", type=float, default=3.0,
                        help="the fleet asks this many times what the limit allows")
    parser.add_argument("--skew", type=int, default=3,
                        help="the most seconds a host's clock is late")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()

    from calculator.budget import Budgets
    from calculator.damages.assessment import assess
    from calculator.rules import RuleLookup, load_ruleset
    from calculator.storage import Store

    lookup = RuleLookup(load_ruleset(None))
    end = DAY_ONE + 86_400 + 3_600
    mean_step = (end - DAY_ONE) / args.reservations
    with tempfile.TemporaryDirectory(prefix="calculator-fleet-") as tmp, \
            database(args.database_url, Path(tmp)) as (url, described):
        url = url or f"sqlite:///{Path(tmp) / 'fleet.sqlite3'}"
        described = "SQLite (one file)" if args.database_url is None else described
        store = Store.open(url, migrate=True)
        fleet = Budgets(store.engine, lookup, OWNER)
        fleet.create(BUDGET, "x", "US", args.margin, datetime.fromtimestamp(DAY_ONE, UTC))
        limit = fleet.standing(BUDGET, datetime.fromtimestamp(DAY_ONE, UTC)).limit
        assert limit is not None
        # Posts per reservation so that a day's demand is `pressure` times the limit.
        mean_posts = args.pressure * limit.posts * (end - DAY_ONE) / limit.window \
            / args.reservations
        # Each process opens its own engine and connections (none crosses from this one,
        # which holds the store open): forked from a clean server process that imported the
        # calculator once, instead of each importing it again (spawn: about 2 s of CPU each).
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["calculator.budget", "calculator.rules",
                                        "calculator.storage"])
        clock, clock_lock, results = context.Value("q", DAY_ONE), context.Lock(), \
            context.Queue()
        began = time.perf_counter()
        processes = [context.Process(target=fleet_process, args=(
            url, args.seed * 1000 + n, clock, clock_lock, end, mean_step, mean_posts,
            args.skew, results)) for n in range(args.processes)]
        for process in processes:
            process.start()
        outcomes = [results.get(timeout=3600) for _ in processes]
        for process in processes:
            process.join()
        elapsed = time.perf_counter() - began
        recorded = fleet.log(BUDGET)
        store.dispose()

    asked = sum(o[0] for o in outcomes)
    granted = sum(o[1] for o in outcomes)
    refused = sum(o[2] for o in outcomes)
    granted_posts = sum(o[3] for o in outcomes)
    latencies = [x for o in outcomes for x in o[4]]
    recorded_posts = sum(posts for _, posts in recorded)
    result = assess(log_csv(recorded), platform="x", region="US", rules=lookup)
    peak = result.peak.posts if result.peak is not None else 0
    owed = sorted({r.amount for r in result.readings})

    print(f"database: {described}")
    print(f"fleet: {args.processes} processes, clocks up to {args.skew} s late, "
          f"simulated {(end - DAY_ONE) / 3600:.0f} hours in {elapsed:.1f} s of real time")
    print(f"limit: {limit.posts} posts per {limit.window} s ({limit.clause}, margin "
          f"{args.margin} %)")
    print(f"reservations: {asked} ({granted} granted, {refused} refused), "
          f"p50 {percentile(latencies, 50):.2f} ms, p99 {percentile(latencies, 99):.2f} ms "
          f"in the store, {asked / elapsed:.0f} reservations/s")
    print(f"posts granted: {granted_posts}; posts recorded: {recorded_posts}")
    print(f"peak window by the assessment engine: {peak} posts "
          f"({peak / limit.posts:.1%} of the limit)")
    print(f"owed under every reading: {', '.join(f'USD {a}' for a in owed)}")
    checks = {
        "peak within the limit": peak <= limit.posts,
        "recorded equals granted (no lost or doubled update)": recorded_posts == granted_posts,
        "nothing owed under any reading": owed == [Decimal("0.00")],
        "the fleet pressed against the limit (some refused)": refused > 0,
    }
    for name, ok in checks.items():
        print(f"{name}: {'yes' if ok else 'NO'}")
    failed = not all(checks.values())
    print("result: " + ("FAILED" if failed else "ok: the fleet never went over the limit"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
