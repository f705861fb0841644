"""A budget's trailing count over the last window: what a chart of the budget draws.

The same curve an assessment's chart draws (``calculator.damages.curve``), computed by the
same code on the budget's recorded usage, and cut to the last window before now: at each
point, the posts recorded in the window of the clause's length that ends just after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from calculator.damages.curve import DEFAULT_POINTS, CurvePoint, trailing_curve
from calculator.damages.window_counts import NS


@dataclass(frozen=True)
class BudgetCurve:
    window: int  # seconds
    start: datetime  # now minus one window
    end: datetime  # now
    points: list[CurvePoint]  # oldest first; the count holds from each point to the next
    sampled: bool  # True: each span of time keeps its lowest and highest point only

    @property
    def busiest(self) -> int:
        """The most posts the trailing window held at any instant of the curve."""
        return max((p.posts for p in self.points), default=0)


def budget_curve(rows: list[tuple[int, int]], now: datetime, window: int,
                 max_points: int = DEFAULT_POINTS) -> BudgetCurve:
    """The trailing count over ``[now - window, now]`` from ``rows`` (Unix second, posts;
    one row per second, oldest first, as the store keeps them), which must hold every second
    of ``(now - 2 window, now]`` that has posts."""
    end = int(now.timestamp())
    start = end - window
    start_at = datetime.fromtimestamp(start, now.tzinfo)
    if not rows:
        return BudgetCurve(window, start_at, now, [CurvePoint(start * NS, 0),
                                                   CurvePoint(end * NS, 0)], False)
    seconds = np.array([s for s, _ in rows], dtype=np.int64)
    posts = np.array([p for _, p in rows], dtype=np.int64)
    curve = trailing_curve(seconds * NS, posts, window * NS, max_points)
    inside = [p for p in curve.points if start * NS < p.at_ns <= end * NS]
    # The count at the curve's start: posts of (start - window, start].
    first = int(posts[(seconds > start - window) & (seconds <= start)].sum())
    last = inside[-1].posts if inside else first
    points = [CurvePoint(start * NS, first), *inside]
    if points[-1].at_ns != end * NS:
        points.append(CurvePoint(end * NS, last))
    return BudgetCurve(window, start_at, now, points, curve.sampled)
