"""How many different values a stream of batches holds, counted while the batches arrive.

Each batch is taken on a thread of its own as soon as it comes (numpy lets go of the
interpreter lock), so the count runs beside the reading. Two ways, chosen by the values:

- **A table of the values' span.** Post numbers are mostly close together: ids other than
  whole numbers are numbered 0, 1, 2... in order of first sight, and numeric ids of one
  platform often cover a range not much wider than their count. While the span from the
  lowest to the highest value is at most ``dense_floor`` (32 Mi) or eight times the different
  values seen, one byte per value of the span marks which were seen: a batch is one
  scatter (about 7 ms per million values, where sorting took 50-100 ms), and the count one
  pass over the table. Eight bytes a value is what a sorted array of the values costs, so
  the table never holds more than that (decision 0136).
- **Sorted runs**, once the values are too far apart. Each batch is sorted, its repeats
  dropped; the runs are merged two by two whenever the newer is about as long as the older
  (a stable sort finds the two runs and only merges them), so there are a few runs at any
  time, each value held about once per run: memory follows the different values, not the
  batches. The count at the end looks up the shorter of the last two runs in the longer.
"""

from __future__ import annotations

import threading

import numpy as np

from calculator.ingest import compiled_reads
from calculator.ingest.sorted_arrays import sorted_unique

# The span a table may always cover (32 MiB), and past it, the bytes allowed per different
# value seen: a sorted int64 array's.
DENSE_FLOOR = 1 << 25
_BYTES_PER_VALUE = 8


def _merged(older: np.ndarray, newer: np.ndarray) -> np.ndarray:
    return sorted_unique(np.concatenate((older, newer)), runs=True)


def _sorted_unique_narrow(values: np.ndarray) -> np.ndarray:
    """``sorted_unique`` of int64 values, sorted as 32-bit offsets from their lowest when
    their span fits (a 32-bit sort takes about 60 % of the time of a 64-bit one)."""
    low, high = int(values.min()), int(values.max())
    if high - low >= 1 << 32:
        return sorted_unique(values)
    offsets = sorted_unique((values - low).astype(np.uint32))
    return offsets.astype(np.int64) + low


class UniqueCount:
    """Values added batch by batch; ``count()`` says how many different ones there were.
    One batch is taken at a time: the thread that adds the next waits for it, so copies
    never pile up ahead of the reading."""

    def __init__(self, dense_floor: int = DENSE_FLOOR) -> None:
        self._floor = dense_floor
        # The table: seen[v - low] for low <= v < low + len(seen); None once given up.
        self._seen: np.ndarray | None = np.zeros(0, dtype=bool)
        self._low = 0
        self._seen_at_least = 0  # different values the table holds, as last counted
        self._runs: list[np.ndarray] = []  # ascending, each value once per run
        self._sorting: threading.Thread | None = None
        self._failed: list[BaseException] = []

    def add(self, values: np.ndarray) -> None:
        self._wait()
        if len(values) == 0:
            return
        self._sorting = threading.Thread(target=self._take, args=(values,),
                                         name="count-values", daemon=True)
        self._sorting.start()

    def _take(self, values: np.ndarray) -> None:
        try:
            if self._seen is not None and self._marked(values):
                return
            runs = self._runs
            runs.append(_sorted_unique_narrow(values))
            while len(runs) > 1 and len(runs[-2]) <= 2 * len(runs[-1]):
                newer = runs.pop()
                runs[-1] = _merged(runs[-1], newer)
        except BaseException as exc:  # raised again by the thread that waits for it
            self._failed.append(exc)

    def _allowed(self, different: int) -> int:
        return max(self._floor, _BYTES_PER_VALUE * different)

    def _marked(self, values: np.ndarray) -> bool:
        """Mark the values in the table, grown to cover them when its size stays allowed;
        False after turning the table into the first sorted run when it would not."""
        seen = self._seen
        assert seen is not None
        # Python ints: spans never overflow (one compiled pass where it is loaded)
        low, high = compiled_reads.value_span(values) or (int(values.min()), int(values.max()))
        if len(seen) == 0:
            begin, end = low, high + 1
        else:
            begin, end = min(low, self._low), max(high + 1, self._low + len(seen))
        if end - begin > self._allowed(self._seen_at_least):
            self._seen_at_least = int(np.count_nonzero(seen))
            outside = values[(values < self._low) | (values >= self._low + len(seen))] \
                if len(seen) else values
            # Values outside the table are surely new: how many different ones there are
            # is known without the table.
            at_least = self._seen_at_least + len(sorted_unique(outside))
            if end - begin > self._allowed(at_least):
                if self._seen_at_least:
                    self._runs.append(np.flatnonzero(seen) + self._low)
                self._seen = None
                return False
        if begin < self._low or end > self._low + len(seen) or len(seen) == 0:
            seen = self._grown(seen, begin, end)
        if not compiled_reads.mark_seen(values, self._low, seen):
            seen[values - self._low] = True
        return True

    def _grown(self, seen: np.ndarray, begin: int, end: int) -> np.ndarray:
        """A table from ``begin`` to ``end`` holding the marks so far, with room to grow on
        the side it grew (numbers in order of first sight grow a batch at a time)."""
        old_begin, old_end = self._low, self._low + len(seen)
        room = min(len(seen) // 2, max(0, self._allowed(self._seen_at_least) - (end - begin)))
        if len(seen) and begin < old_begin:
            begin -= room
        elif len(seen) and end > old_end:
            end += room
        grown = np.zeros(end - begin, dtype=bool)
        if len(seen):
            grown[old_begin - begin:old_end - begin] = seen
        self._seen, self._low = grown, begin
        return grown

    def _wait(self) -> None:
        if self._sorting is not None:
            self._sorting.join()
            self._sorting = None
        if self._failed:
            raise self._failed[0]

    def count(self) -> int:
        """Different values among all added (the table or the sorted runs are let go)."""
        self._wait()
        if self._seen is not None:
            seen, self._seen = self._seen, None
            return int(np.count_nonzero(seen))
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
