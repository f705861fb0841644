"""How many different values a stream of batches holds, counted while the batches arrive.

Each batch is sorted, its repeats dropped, on a thread of its own as soon as it comes
(numpy's sort lets go of the interpreter lock, so it runs beside the reading). The sorted
runs are merged two by two whenever the newer is about as long as the older (a stable
sort finds the two runs and only merges them), so there are a few runs at any time, each
value held about once per run: memory follows the different values, not the batches.
The count at the end looks up the shorter of the last two runs in the longer. One sort of
every value after the read took most of a second per ten million post ids.
"""

from __future__ import annotations

import threading

import numpy as np

from calculator.ingest.volume import sorted_unique


def _merged(older: np.ndarray, newer: np.ndarray) -> np.ndarray:
    return sorted_unique(np.concatenate((older, newer)), runs=True)


class UniqueCount:
    """Values added batch by batch; ``count()`` says how many different ones there were.
    One batch is sorted at a time: the thread that adds the next waits for it, so sorted
    copies never pile up ahead of the reading."""

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []  # ascending, each value once per run
        self._sorting: threading.Thread | None = None
        self._failed: list[BaseException] = []

    def add(self, values: np.ndarray) -> None:
        self._wait()
        if len(values) == 0:
            return
        self._sorting = threading.Thread(target=self._take, args=(values,),
                                         name="sort-values", daemon=True)
        self._sorting.start()

    def _take(self, values: np.ndarray) -> None:
        try:
            runs = self._runs
            runs.append(sorted_unique(values))
            while len(runs) > 1 and len(runs[-2]) <= 2 * len(runs[-1]):
                newer = runs.pop()
                runs[-1] = _merged(runs[-1], newer)
        except BaseException as exc:  # raised again by the thread that waits for it
            self._failed.append(exc)

    def _wait(self) -> None:
        if self._sorting is not None:
            self._sorting.join()
            self._sorting = None
        if self._failed:
            raise self._failed[0]

    def count(self) -> int:
        """Different values among all added (the sorted runs are let go)."""
        self._wait()
        runs, self._runs = self._runs, []
        if not runs:
            return 0
        while len(runs) > 2:
            newer = runs.pop()
            runs[-1] = _merged(runs[-1], newer)
        if len(runs) == 1:
            return len(runs[0])
        # Two runs: the longer's values, and those of the shorter it lacks (a binary search
        # of each takes about a third of the time a merge does).
        longer, shorter = sorted(runs, key=len, reverse=True)
        at = np.minimum(np.searchsorted(longer, shorter), len(longer) - 1)
        return len(longer) + int(np.count_nonzero(longer[at] != shorter))
