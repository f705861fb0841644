"""The trailing 24-hour post count over time: what a chart of an assessment draws.

At an instant ``t`` the trailing count is the number of counted posts in the window of the
clause's length that ends just after ``t``, ``[t - W + eps, t + eps)``: the posts accessed
in ``(t - W, t]``. It is a step function that changes only at an access (posts come in) and
one window after an access (they leave), so it is exact at those change points. Its largest
value is the assessment's ``peak_24h``: the peak window can always be moved to end just after
its last access. Counting uses the engine's ``PostCounter``, so both agree to the post.

A long log has millions of change points; a chart needs a few thousand. Beyond
``max_points`` the change points are grouped into equal spans of time and each span keeps its
lowest and its highest point, so the drawn line keeps every peak and every trough of the
envelope, and the global peak is always one of the points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from calculator.damages import periods
from calculator.damages.assessment import Assessment, ReplayBasis, damages_clause
from calculator.damages.periods import Span
from calculator.damages.window_counts import NS, WindowCounter, counter_for, resolution_of
from calculator.ingest.sorted_arrays import sorted_unique
from calculator.ingest.volume import Volume
from calculator.rules.lookup import Interval, RuleLookup
from calculator.rules.model import ClauseVersion
from calculator.timeutil import parse_duration

DEFAULT_POINTS = 2000
MAX_POINTS = 5000
MIN_POINTS = 10


@dataclass(frozen=True)
class Threshold:
    """The threshold of one clause version, over the interval that version was in force."""

    clause_version: str
    start_ns: int
    end_ns: int | None  # None: still in force
    posts: int


@dataclass(frozen=True)
class AboveThreshold:
    """When the trailing count was above the threshold in force, and for how long in all."""

    first_ns: int  # the first instant above
    until_ns: int  # the end of the last stretch above
    total_ns: int  # summed over every stretch above
    stretches: int  # separate stretches above


@dataclass(frozen=True)
class CurvePoint:
    at_ns: int
    posts: int  # posts accessed in (at - window, at]


@dataclass(frozen=True)
class TrailingCurve:
    window_ns: int
    instants: np.ndarray  # the points drawn (ns, ascending)
    posts: np.ndarray  # the trailing count at each
    changes: int  # how many points the exact step function has
    sampled: bool  # False: ``instants`` are all of them
    peak: Span | None
    thresholds: tuple[Threshold, ...] = ()
    above: AboveThreshold | None = None

    @property
    def points(self) -> list[CurvePoint]:
        return [CurvePoint(at, posts)
                for at, posts in zip(self.instants.tolist(), self.posts.tolist(), strict=True)]


def change_points(instants: np.ndarray, window: int) -> np.ndarray:
    """Every instant at which the trailing count can change: each access, and one window on.

    The same set as ``np.union1d(instants, instants + window)``, made by merging the two
    ascending runs (a stable sort of two runs is linear) instead of hashing millions of
    values: the difference between seconds and milliseconds for a long log's chart."""
    return sorted_unique(np.concatenate((instants, instants + window)), runs=True)


def trailing_counts(counter: WindowCounter, at: np.ndarray, window: int,
                    eps: int) -> np.ndarray:
    """Posts in ``(t - window, t]`` for each ``t`` of ``at``."""
    return counter.count(at - window + eps, at + eps)


def _sample(values: np.ndarray, at: np.ndarray, max_points: int) -> np.ndarray:
    """Indices to keep: per equal span of time, the lowest and the highest point (first of
    equals), plus the first and last point."""
    buckets = max(1, (max_points - 2) // 2)
    first, last = int(at[0]), int(at[-1])
    edges = np.array([first + (last - first) * k // buckets for k in range(1, buckets)],
                     dtype=np.int64)
    which = np.searchsorted(edges, at, side="right")
    bounds = np.flatnonzero(np.diff(which)) + 1
    keep = [0, len(at) - 1]
    for lo, hi in zip(np.concatenate(([0], bounds)), np.concatenate((bounds, [len(at)])),
                      strict=True):
        part = values[lo:hi]
        keep.append(int(lo + np.argmin(part)))
        keep.append(int(lo + np.argmax(part)))
    return np.unique(np.array(keep, dtype=np.int64))


def _above(at: np.ndarray, values: np.ndarray, thresholds: tuple[Threshold, ...]
           ) -> AboveThreshold | None:
    """Stretches of the exact step function above the threshold in force at their start (the
    first version's before it, as windows are priced)."""
    if not thresholds or len(at) < 2:
        return None
    starts = np.array([t.start_ns for t in thresholds], dtype=np.int64)
    levels = np.array([t.posts for t in thresholds], dtype=np.int64)
    which = np.maximum(np.searchsorted(starts, at[:-1], side="right") - 1, 0)
    over = values[:-1] > levels[which]
    if not over.any():
        return None
    durations = np.diff(at)
    indices = np.flatnonzero(over)
    stretches = 1 + int(np.count_nonzero(np.diff(indices) > 1))
    return AboveThreshold(first_ns=int(at[indices[0]]), until_ns=int(at[indices[-1] + 1]),
                          total_ns=int(durations[over].sum()), stretches=stretches)


def trailing_curve(instants: np.ndarray, posts: np.ndarray, window: int,
                   max_points: int = DEFAULT_POINTS,
                   thresholds: tuple[Threshold, ...] = (),
                   occurrences: tuple[np.ndarray, np.ndarray] | None = None,
                   slot: int | None = None) -> TrailingCurve:
    """The trailing count of posts per ``window`` at every change point, or at most
    ``max_points`` of them (each span's lowest and highest), with the exact peak. With
    ``occurrences`` (instants, post numbers) the count is of distinct posts, as the
    assessment's distinct reading counts them (``slot``: they are a volume's coverage)."""
    if not MIN_POINTS <= max_points <= MAX_POINTS:
        raise ValueError(f"max_points must be from {MIN_POINTS} to {MAX_POINTS}")
    if len(instants) == 0:
        nothing = np.array([], dtype=np.int64)
        return TrailingCurve(window, nothing, nothing, 0, False, None, thresholds)
    eps = resolution_of(instants)
    counter = counter_for(instants, posts, eps, window, occurrences, slot)
    at = change_points(instants, window)
    values = trailing_counts(counter, at, window, eps)
    peak = periods.peak(instants, counter, window, posts)
    if int(values.max()) != peak.posts:
        raise AssertionError("the trailing count's maximum is not the peak window's count")
    above = _above(at, values, thresholds)
    if len(at) <= max_points:
        return TrailingCurve(window, at, values, len(at), False, peak, thresholds, above)
    keep = _sample(values, at, max_points)
    return TrailingCurve(window, at[keep], values[keep], len(at), True, peak, thresholds, above)


Versions = tuple[tuple[ClauseVersion, Interval], ...] | list[tuple[ClauseVersion, Interval]]


def counted_volume(assessment: Assessment) -> Volume:
    """The accesses an assessment counted: its platform's, while a version was in force."""
    return _in_force(assessment.volume, assessment.versions)


def _in_force(volume: Volume, versions: Versions) -> Volume:
    instants = volume.instants
    mask = np.zeros(len(instants), dtype=bool)
    for _, interval in versions:
        inside = instants >= _ns(interval.start)
        if interval.end is not None:
            inside &= instants < _ns(interval.end)
        mask |= inside
    return volume.select(mask)


def thresholds_of(assessment: Assessment) -> tuple[Threshold, ...]:
    """Each version's threshold (from the rules) over its interval."""
    return _thresholds(assessment.versions)


def _thresholds(versions: Versions) -> tuple[Threshold, ...]:
    return tuple(Threshold(version.date.isoformat(), _ns(interval.start),
                           None if interval.end is None else _ns(interval.end),
                           int(version.parameters["threshold_posts"]))
                 for version, interval in versions)


def window_of(assessment: Assessment) -> int:
    """The clause's window length in nanoseconds (every version has the same; the engine
    refuses a clause whose versions differ)."""
    return _window(assessment.versions)


def _window(versions: Versions) -> int:
    version = versions[0][0]
    return int(parse_duration(version.parameters["window"]).as_timedelta().total_seconds()) * NS


def assessment_curve(assessment: Assessment, max_points: int = DEFAULT_POINTS) -> TrailingCurve:
    """The trailing count over the accesses an assessment counted."""
    counted = counted_volume(assessment)
    return trailing_curve(counted.instants, counted.posts, window_of(assessment), max_points,
                          thresholds_of(assessment), counted.occurrences,
                          counted.coverage_slot)


def stored_curve_document(basis: ReplayBasis, lookup: RuleLookup,
                          max_points: int = DEFAULT_POINTS) -> dict:
    """The curve of a stored assessment straight from its stored counts, under ``lookup``'s
    rules: what ``curve_document(replay(basis, lookup))`` answers, without pricing the 18
    readings a chart does not draw (seconds on a 10-million-row log; the chart must come at
    once, see bench/curve_speed.py)."""
    region = lookup.region(basis.options.region)
    clause = damages_clause(lookup, basis.options.platform)
    versions = lookup.in_force_periods(clause.id, region)
    counted = _in_force(basis.volume, versions)
    curve = trailing_curve(counted.instants, counted.posts, _window(versions), max_points,
                           _thresholds(versions), counted.occurrences,
                           counted.coverage_slot)
    return {"platform": basis.options.platform, "region": region, "clause": clause.id,
            "ruleset_revision": lookup.ruleset.revision, "input": basis.input,
            "counted": {"posts": counted.total_posts, "accesses": counted.total_accesses},
            "curve": curve}


def _ns(instant: datetime) -> int:
    return int(instant.timestamp()) * NS


def curve_document(assessment: Assessment, max_points: int = DEFAULT_POINTS) -> dict:
    """What a curve answer holds: the curve, and what ties it to its assessment."""
    return {"platform": assessment.platform, "region": assessment.region,
            "clause": assessment.clause.id, "ruleset_revision": assessment.ruleset_revision,
            "input": assessment.input, "counted": assessment.counted,
            "curve": assessment_curve(assessment, max_points)}
