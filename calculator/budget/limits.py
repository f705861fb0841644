"""A budget's limit at an instant: the threshold and window of the damages clause in force,
read from the rules (never from code), scaled by the budget's safety margin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from weakref import WeakKeyDictionary

from calculator.rules import RuleLookup
from calculator.timeutil import parse_duration


@dataclass(frozen=True)
class Limit:
    """What a budget may hold in any period of ``window`` seconds at one instant."""

    clause: str  # the damages clause's id
    version: date  # the version in force
    threshold: int  # the clause's threshold: a period owes nothing at or under it
    window: int  # seconds
    margin_percent: int
    posts: int  # floor(threshold × margin / 100): the most a period may hold

    @property
    def guard(self) -> int:
        """The seconds a grant is checked over: the window and one more. Usage is kept by
        the second, and posts recorded in second s may lie anywhere in it: two seconds a
        window apart may hold posts less than a window apart (12:00:00.900 and 12:00:00.000
        the next day), which the clause counts in one period. Checked over the window only,
        a grant there put the fleet over the threshold (decision 0100, addendum)."""
        return self.window + 1


def limit_at(lookup: RuleLookup, platform: str, region: str, margin_percent: int,
             at: datetime) -> Limit | None:
    """The limit in force at ``at``; None when no damages clause is in force then (the
    budget grants without limit and says so)."""
    for clause in lookup.clauses_of_kind(platform, "liquidated-damages"):
        for version, interval in lookup.in_force_periods(clause.id, region):
            if interval.contains(at):
                p = version.parameters
                window = int(parse_duration(p["window"]).as_timedelta().total_seconds())
                threshold = int(p["threshold_posts"])
                return Limit(clause.id, version.date, threshold, window, margin_percent,
                             threshold * margin_percent // 100)
    return None


@dataclass(frozen=True)
class Span:
    """A limit (None: no clause in force) and the instants between which it is the one in
    force: from ``start`` (None: since ever) until before ``end`` (None: for good)."""

    limit: Limit | None
    start: datetime | None
    end: datetime | None

    def holds_at(self, at: datetime) -> bool:
        return (self.start is None or self.start <= at) and (self.end is None or at < self.end)


# The span each lookup last gave per (platform, region, margin): a reservation's limit is
# found without walking the clauses while the same versions are in force.
_SPANS: WeakKeyDictionary[RuleLookup, dict[tuple[str, str, int], Span]] = WeakKeyDictionary()


def limit_span(lookup: RuleLookup, platform: str, region: str, margin_percent: int,
               at: datetime) -> Span:
    """The limit in force at ``at`` with the span over which it stays in force: no version
    of a damages clause of the platform starts or ends inside it."""
    known = _SPANS.setdefault(lookup, {})
    key = (platform, region, margin_percent)
    span = known.get(key)
    if span is not None and span.holds_at(at):
        return span
    bounds = [bound for clause in lookup.clauses_of_kind(platform, "liquidated-damages")
              for _, interval in lookup.in_force_periods(clause.id, region)
              for bound in (interval.start, interval.end) if bound is not None]
    span = Span(limit_at(lookup, platform, region, margin_percent, at),
                max((b for b in bounds if b <= at), default=None),
                min((b for b in bounds if b > at), default=None))
    known[key] = span
    return span


def largest_threshold(lookup: RuleLookup) -> int | None:
    """The largest threshold of any damages clause version in the rules: no budget with a
    limit can grant more posts at once. None when the rules hold no damages clause."""
    return max((int(v.parameters["threshold_posts"])
                for clause in lookup.ruleset.clauses.values()
                if clause.kind == "liquidated-damages"
                for v in clause.versions if "threshold_posts" in v.parameters), default=None)
