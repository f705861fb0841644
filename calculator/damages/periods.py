"""Where the periods priced lie: consecutive windows (calendar days in a zone, periods
from the first access) and the busiest period of the log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from calculator.damages import sweep
from calculator.damages.window_counts import NS, WindowCounter, compiled_serves, first_in

_PEAK_SLICE = 1 << 21  # window starts counted at once for the peak


@dataclass(frozen=True)
class Span:
    """A window ``[start_ns, end_ns)`` and the posts counted in it."""

    start_ns: int
    end_ns: int
    posts: int
    first_ns: int  # the window's first counted access: its prices are the ones in force then


def partition(instants: np.ndarray, counter: WindowCounter,
              bounds: np.ndarray) -> list[Span]:
    """Posts in consecutive windows ``[bounds[i], bounds[i+1])``; empty windows left out."""
    if len(bounds) < 2:
        return []
    starts, ends = bounds[:-1], bounds[1:]
    posts = counter.count(starts, ends)
    firsts = first_in(instants, starts)
    return [Span(int(s), int(e), int(p), int(f))
            for s, e, p, f in zip(starts, ends, posts, firsts, strict=True) if p > 0]


def first_access_bounds(instants: np.ndarray, window: int) -> np.ndarray:
    """Consecutive windows starting at the first counted access."""
    first, last = int(instants[0]), int(instants[-1])
    return np.arange(first, last + window + 1, window, dtype=np.int64)[: (last - first)
                                                                         // window + 2]


@dataclass(frozen=True)
class CalendarDays:
    bounds: np.ndarray
    irregular: list[tuple[date, float]]  # days that are not 24 hours long, and their hours


def calendar_bounds(instants: np.ndarray, zone_name: str) -> CalendarDays:
    """Midnights (as UTC ns) of every calendar day in ``zone_name`` from the first counted
    access to the last; a day is what the zone's clock says, 23 or 25 hours across DST."""
    zone = ZoneInfo(zone_name)

    def local_day(ns: int) -> date:
        return datetime.fromtimestamp(ns // NS, UTC).astimezone(zone).date()

    def midnight(day: date) -> int:
        local = datetime.combine(day, time(), zone)
        return (int(local.astimezone(UTC).timestamp()) * NS)

    first, last = local_day(int(instants[0])), local_day(int(instants[-1]))
    days = [first + timedelta(days=k) for k in range((last - first).days + 2)]
    bounds = np.array([midnight(d) for d in days], dtype=np.int64)
    lengths = np.diff(bounds)
    irregular = [(days[i], float(lengths[i]) / (3600 * NS)) for i in np.flatnonzero(
        lengths != 86400 * NS)]
    return CalendarDays(bounds, irregular)


def peak(instants: np.ndarray, counter: WindowCounter, window: int,
         posts: np.ndarray | None = None, compiled: bool | None = None) -> Span:
    """The most posts in any ``[s, s + window)``: some window starting at an access holds it.

    Of the windows that hold the most, the first that starts at an access carrying posts
    (given ``posts`` per instant): an access of no posts just before (a robots.txt, an
    empty page) does not move the busiest period earlier than the periods priced, which
    start where their posts start (decision 0062)."""
    if compiled_serves(compiled, instants, counter):
        # Posts per instant: one compiled pass with two pointers instead of two searches
        # per access (decision 0118).
        highest, first_any, carrying = sweep.busiest(
            instants, counter.posts, counter.posts if posts is None else posts, window)
        best = first_any if posts is None or carrying < 0 else carrying
        start = int(instants[best])
        return Span(start, start + window, highest, start)
    highest, first_any, first_with_posts = -1, 0, None
    for low in range(0, len(instants), _PEAK_SLICE):  # in slices: memory stays bounded
        starts = instants[low:low + _PEAK_SLICE]
        totals = counter.count(starts, starts + window)
        top = int(totals.max())
        if top < highest:
            continue
        most = totals == top
        carrying = None
        if posts is not None and (most & (posts[low:low + _PEAK_SLICE] > 0)).any():
            carrying = low + int(np.argmax(most & (posts[low:low + _PEAK_SLICE] > 0)))
        if top > highest:
            highest, first_any, first_with_posts = top, low + int(np.argmax(most)), carrying
        elif first_with_posts is None:
            first_with_posts = carrying
    best = first_any if first_with_posts is None else first_with_posts
    start = int(instants[best])
    return Span(start, start + window, highest, start)
