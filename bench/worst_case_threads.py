"""The worst-case search of the six readings on one thread and on one thread per core, side
by side in one process, on a millisecond (or microsecond) log; the answers must be equal.

Accesses spread at random over --days at --per-day a day (1 to 9 posts each, so most
24-hour windows owe), priced under the X damages clause of the bundled rules. Best of
--runs each, alternating.

    python bench/worst_case_threads.py                  # 10 days, 333,333 a day, ms
    python bench/worst_case_threads.py --unit us --days 30
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from calculator.damages.assessment import damages_clause, default_lookup, tariffs_of
from calculator.damages.pricing import BASES, RATES, ScaledPricer
from calculator.damages.window_counts import counter_for, resolution_of
from calculator.damages.worst_case import worst_case

START_NS = 1_740_787_200 * 10**9  # 2025-03-01T00:00:00Z
DAY_NS = 86_400 * 10**9


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--per-day", type=int, default=333_333)
    parser.add_argument("--unit", choices=("ms", "us"), default="ms")
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args()


def search_inputs(args: argparse.Namespace) -> tuple:
    """The log's instants and posts, its counter, window, resolution, the six readings'
    pricers and whether they price by the first access."""
    step = {"ms": 10**6, "us": 10**3}[args.unit]
    rng = np.random.default_rng(5)
    ticks = rng.integers(0, args.days * DAY_NS // step, args.days * args.per_day)
    instants = np.unique(ticks) * step + START_NS
    posts = rng.integers(1, 10, len(instants))
    lookup = default_lookup()
    tariffs, _ = tariffs_of(lookup, damages_clause(lookup, "x"), "rest-of-world")
    window = tariffs[0].window_ns
    eps = resolution_of(instants)
    counter = counter_for(instants, posts, eps, window)
    pricers = [ScaledPricer(tariffs, rate, basis) for rate in RATES for basis in BASES]
    return instants, posts, counter, window, eps, pricers, not all(p.uniform for p in pricers)


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    instants, _, counter, window, eps, pricers, by_first = search_inputs(args)
    cores = os.cpu_count() or 1
    best: dict[int, float] = {}
    answers = {}
    for _ in range(args.runs):
        for threads in (1, cores):
            began = time.perf_counter()
            found = worst_case(instants, counter, window, eps, [p.values for p in pricers],
                               by_first_access=by_first, threads=threads)
            best[threads] = min(best.get(threads, float("inf")), time.perf_counter() - began)
            answers[threads] = [(r.total, r.starts) for r in found]
    same = answers[1] == answers[cores]
    print(f"{len(instants):,} distinct instants at 1 {args.unit}, {args.days} days")
    for threads, seconds in best.items():
        print(f"  worst case, {threads} thread{'s' if threads > 1 else ''}: {seconds:6.2f} s")
    print(f"  speed-up {best[1] / best[cores]:.2f} on {cores} cores; same windows and totals: "
          f"{same} (the machine may be shared)")


if __name__ == "__main__":
    main()
