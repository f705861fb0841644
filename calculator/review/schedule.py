"""The collection a profile describes, as a schedule of accesses the damages engine can price.

A profile gives a volume, not a log. The schedule turns it into one (docs/decisions/0031):

- each UTC day of the period gets a count: ``posts_per_day`` on every day; a ``total``
  (or a schedule entry's ``posts``) divided evenly over its days, the first days taking
  one post more until the remainder is used up; days in no schedule entry get none;
- each day's count is spread over 24 accesses at the start of each UTC hour
  (00:00:00Z, 01:00:00Z, ... 23:00:00Z), the first hours taking one post more until the
  day's remainder is used up; hours with no post have no access.

Every 24-hour period inside a stretch of equal days then holds exactly one day's count,
wherever it starts, which is what "N posts a day" says. The equivalent crawl log is this
schedule written as CSV, one row per access (``timestamp,posts``); assessing that log gives
the projection exactly, because both go through the same engine on the same instants.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from calculator.ingest.volume import Volume
from calculator.review.profile import Profile

HOURS = 24
NS_PER_HOUR = 3600 * 10**9


def _spread(total: int, slots: int) -> list[int]:
    """``total`` over ``slots`` as evenly as whole numbers allow, remainder first."""
    base, extra = divmod(total, slots)
    return [base + (1 if index < extra else 0) for index in range(slots)]


@dataclass(frozen=True)
class Schedule:
    """Posts per UTC day of the period, and the hourly accesses built from them."""

    start: date
    days: tuple[int, ...]  # posts on each day from start, in order

    @property
    def total_posts(self) -> int:
        return sum(self.days)

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def posts_between(self, first: date, end: date) -> int:
        """Posts on the days in ``[first, end)``."""
        lo = max(0, (first - self.start).days)
        hi = min(len(self.days), (end - self.start).days)
        return sum(self.days[lo:hi]) if hi > lo else 0

    def volume(self) -> Volume:
        instants: list[int] = []
        posts: list[int] = []
        base = int(datetime.combine(self.start, datetime.min.time(), UTC).timestamp())
        for index, count in enumerate(self.days):
            day_ns = (base + index * 86400) * 10**9
            for hour, n in enumerate(_spread(count, HOURS)):
                if n:
                    instants.append(day_ns + hour * NS_PER_HOUR)
                    posts.append(n)
        array = np.array(instants, dtype=np.int64)
        return Volume(array, np.array(posts, dtype=np.int64), np.ones(len(array), dtype=np.int64))

    def to_csv(self) -> bytes:
        """The equivalent crawl log: one ``timestamp,posts`` row per access."""
        volume = self.volume()
        lines = ["timestamp,posts"]
        for instant, n in zip(volume.instants.tolist(), volume.posts.tolist(), strict=True):
            stamp = datetime.fromtimestamp(instant // 10**9, UTC)
            lines.append(f"{stamp.strftime('%Y-%m-%dT%H:%M:%SZ')},{n}")
        return ("\n".join(lines) + "\n").encode()

    def csv_sha256(self) -> str:
        return hashlib.sha256(self.to_csv()).hexdigest()

    @property
    def accesses(self) -> int:
        return sum(min(count, HOURS) for count in self.days)

    def description(self) -> str:
        """The schedule's construction, as the sentence every projection states."""
        return (f"The profile gives a volume, not a log, so the review prices a schedule built "
                f"from it: {self.total_posts:,} posts over {len(self.days):,} UTC days "
                f"from {self.start} until {self.day(len(self.days))} (the end day not "
                "included), each day's posts spread evenly over 24 accesses at the start of "
                "each UTC hour (remainders to the first hours, and for a total to the first "
                "days); every 24-hour period within a run of equal days then holds exactly one "
                "day's posts. A real collection at other hours can owe more or less.")


def build_schedule(profile: Profile) -> Schedule:
    days = profile.days
    if profile.volume_kind == "posts_per_day":
        counts = [profile.posts_per_day or 0] * days
    elif profile.volume_kind == "total":
        counts = _spread(profile.total or 0, days)
    else:
        counts = [0] * days
        for entry in profile.schedule:
            first = (entry.start - profile.start).days
            length = (entry.end - entry.start).days
            values = ([entry.posts_per_day] * length if entry.posts_per_day is not None
                      else _spread(entry.posts or 0, length))
            counts[first:first + length] = values
    return Schedule(profile.start, tuple(counts))


def uncovered_days(profile: Profile) -> int:
    """Days of the period that no schedule entry covers (no collection on them)."""
    if profile.volume_kind != "schedule":
        return 0
    return profile.days - sum((e.end - e.start).days for e in profile.schedule)
