"""The worst-case search and the busiest period of the six readings: the compiled pass
against the block search, side by side in one process, on a millisecond (or microsecond)
log; the windows and totals must be equal. Also the one-off cost of loading the compiled
code (importing numba, reading its cached machine code), in a fresh process.

The log is that of bench/worst_case_threads.py (accesses at random, 1 to 9 posts each,
priced under the X damages clause of the bundled rules). Best of --runs each, alternating.

    python bench/worst_case_compiled.py                 # 10 days, 333,333 a day, ms
    python bench/worst_case_compiled.py --unit us --days 30
"""

from __future__ import annotations

import subprocess
import sys
import time

from worst_case_threads import arguments, search_inputs

from calculator.damages import periods
from calculator.damages.worst_case import worst_case

LOADING = r"""
import time
import numpy as np
from calculator.damages import sweep
began = time.perf_counter()
sweep.busiest(np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.int64), 1)
print(time.perf_counter() - began)
"""


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    instants, posts, counter, window, eps, pricers, by_first = search_inputs(args)
    best: dict[str, float] = {}
    answers = {}
    loading = float(subprocess.run([sys.executable, "-c", LOADING], capture_output=True,
                                   text=True, check=True).stdout)
    for _ in range(args.runs):
        for name, compiled in (("block search", False), ("compiled pass", True)):
            began = time.perf_counter()
            found = worst_case(instants, counter, window, eps, pricers,
                               by_first_access=by_first, compiled=compiled)
            busiest = periods.peak(instants, counter, window, posts, compiled=compiled)
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - began)
            answers[name] = ([(r.total, r.starts) for r in found], busiest)
    print(f"{len(instants):,} distinct instants at 1 {args.unit}, {args.days} days")
    for name, seconds in best.items():
        print(f"  worst case and busiest period, {name}: {seconds:6.2f} s")
    print(f"  speed-up {best['block search'] / best['compiled pass']:.2f}; loading the "
          f"compiled code once per process: {loading:.2f} s; same windows, totals and "
          f"busiest period: {answers['block search'] == answers['compiled pass']} "
          "(the machine may be shared)")


if __name__ == "__main__":
    main()
