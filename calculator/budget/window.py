"""The grant rule of a live budget, on per-second usage, with no database.

Usage is a sorted list of (second, posts). Granting ``n`` posts at second ``t`` under a
limit ``L`` and a window of ``W`` seconds means: once the n posts are added at t, no
period ``[s, s + W)`` holds more than L posts. Only periods containing t change, so the
rule checks those: with a clock that never goes back that is the trailing period
``(t - W, t]``; when posts were recorded after t (a host whose clock is behind), the
periods that reach them are checked too.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate


@dataclass(frozen=True)
class Usage:
    """Per-second posts, sorted by second, with prefix sums for range totals."""

    seconds: tuple[int, ...]
    prefix: tuple[int, ...]  # prefix[i]: posts of the first i seconds

    @classmethod
    def of(cls, rows: Sequence[tuple[int, int]]) -> Usage:
        ordered = sorted(rows)
        return cls(tuple(s for s, _ in ordered),
                   (0, *accumulate(p for _, p in ordered)))

    def total(self, first: int, last: int) -> int:
        """Posts recorded in the seconds ``first..last`` (inclusive)."""
        return (self.prefix[bisect_right(self.seconds, last)]
                - self.prefix[bisect_left(self.seconds, first)])

    def first_after(self, second: int) -> int | None:
        """The first recorded second after ``second``, if any."""
        index = bisect_right(self.seconds, second)
        return self.seconds[index] if index < len(self.seconds) else None

    def busiest_containing(self, t: int, window: int) -> int:
        """The most posts any period of ``window`` seconds that contains second t holds."""
        best = self.total(t - window + 1, t)  # the trailing period
        # A later period gains posts only where a recorded second enters it on the right.
        for second in self.seconds[bisect_right(self.seconds, t):
                                   bisect_right(self.seconds, t + window - 1)]:
            best = max(best, self.total(second - window + 1, second))
        return best


def fits(usage: Usage, t: int, n: int, limit: int, window: int) -> bool:
    """Whether n more posts at second t keep every period within the limit."""
    return usage.busiest_containing(t, window) + n <= limit


def earliest_fit(usage: Usage, t: int, n: int, limit: int, window: int) -> int | None:
    """The first second from t on at which n posts fit, if no other posts are recorded
    meanwhile; None when n is more than the limit itself (it never fits)."""
    if n > limit:
        return None
    # The answer only changes where a recorded second leaves a period: at second + W.
    candidates = sorted({t, *(s + window for s in usage.seconds if s + window > t)})
    for candidate in candidates:
        if fits(usage, candidate, n, limit, window):
            return candidate
    return None  # unreachable: after the last second + W every period is empty


def used_now(usage: Usage, t: int, window: int) -> int:
    """Posts in the trailing period (t - W, t]."""
    return usage.total(t - window + 1, t)
