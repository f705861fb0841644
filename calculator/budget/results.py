"""What the budget store answers: a budget, its standing at an instant, and the outcome of a
reservation or of posts recorded after the fact. Plain values, no database or HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from calculator.budget.limits import Limit


@dataclass(frozen=True)
class Budget:
    id: str
    name: str
    platform: str
    region: str
    country: str | None
    margin_percent: int
    created_at: datetime


@dataclass(frozen=True)
class Standing:
    """A budget at an instant: its limit (None: no clause in force), used and left."""

    budget: Budget
    at: datetime
    limit: Limit | None
    used: int  # posts in the trailing window (the last 24 hours under a 24-hour window)
    left: int | None  # None: without limit
    # When the oldest post of the trailing window leaves it (None: the window is empty).
    refills_at: datetime | None = None

    @property
    def window(self) -> int | None:
        return None if self.limit is None else self.limit.window


@dataclass(frozen=True)
class Reservation:
    """A granted reservation that may give back what it did not use, within one window."""

    id: str
    posts: int  # granted
    returned: int  # given back so far
    at: datetime  # the second its posts are recorded at

    @property
    def kept(self) -> int:
        return self.posts - self.returned


@dataclass(frozen=True)
class Decision:
    """The answer to a reservation: granted (and recorded) or refused."""

    granted: bool
    posts: int
    standing: Standing  # after the posts granted, or as it was when refused
    retry_after: datetime | None = None  # refused: the earliest instant the posts fit
    never: bool = False  # refused: more posts than the whole limit, they never fit
    reservation: Reservation | None = None  # granted and returnable


@dataclass(frozen=True)
class Recorded:
    """Posts recorded after the fact (fetched without asking), and what they did."""

    posts: int
    at: datetime  # the second they are recorded at
    limit: Limit | None  # the limit in force then
    busiest: int  # the most posts any window containing ``at`` holds now, these included
    standing: Standing  # the budget now

    @property
    def over_by(self) -> int:
        """How far the busiest window containing them is over the limit (0: within)."""
        return 0 if self.limit is None else max(0, self.busiest - self.limit.posts)

    @property
    def over_threshold_by(self) -> int:
        """How far it is over the clause's threshold itself: above 0, damages are owed."""
        return 0 if self.limit is None else max(0, self.busiest - self.limit.threshold)
