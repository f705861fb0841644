"""What an assessment is: the readings it priced, what it read and left out, the options it
was made under, and the clause versions it used. ``calculator.damages.assessment`` makes one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

from calculator.damages.clause import instant_ns
from calculator.damages.periods import Span
from calculator.damages.pricing import (
    ALL_READINGS,
    BASES,
    HEADLINE_READING,
    RATES,
    WINDOWS,
    Reading,
    to_cents,
)
from calculator.errors import FieldProblem, InvalidArgument, excerpt
from calculator.ingest.columns import ColumnNames
from calculator.ingest.volume import Volume
from calculator.rules.lookup import Interval
from calculator.rules.model import Clause, ClauseVersion


@dataclass(frozen=True)
class PricedWindow:
    start_ns: int
    end_ns: int
    posts: int
    amount: Fraction
    clause_version: str


@dataclass(frozen=True)
class ReadingResult:
    reading: Reading
    exact: Fraction
    windows: tuple[PricedWindow, ...]

    @property
    def amount(self) -> Decimal:
        return to_cents(self.exact)


@dataclass(frozen=True)
class InputInfo:
    """What was read: the digest of the bytes as received, and how they were read."""

    sha256: str
    format: str
    rows: int
    bytes: int = 0
    compressed: bool = False
    columns: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    time_kind: str | None = None  # which instant the format records (see ingest.events)
    details: dict[str, object] | None = None  # a crawler reader's report: lines, skipped...


@dataclass(frozen=True)
class Options:
    """The choices an assessment was made under; replay reuses them."""

    platform: str = "x"
    region: str | None = None
    tz: str = "UTC"
    assume_tz: str = "UTC"
    format: str | None = None
    headline: Reading = HEADLINE_READING
    count: str = "requested"  # requested, accessed or distinct (decision record 0011)
    collection_window: tuple[datetime, datetime] | None = None
    embedded_posts: bool = False
    columns: ColumnNames = field(default_factory=ColumnNames)  # columns named by the caller


@dataclass(frozen=True)
class Exclusions:
    """Rows (and their posts) left out, by reason."""

    rows: dict[str, int]
    posts: dict[str, int]


@dataclass(frozen=True)
class Assessment:
    platform: str
    region: str
    currency: str
    clause: Clause
    versions: tuple[tuple[ClauseVersion, Interval], ...]
    ruleset_revision: str
    engine_version: str
    input: InputInfo
    options: Options
    counted_posts: int
    counted_accesses: int
    excluded: Exclusions
    peak: Span | None
    readings: tuple[ReadingResult, ...]
    headline: ReadingResult
    assumptions: tuple[str, ...]
    volume: Volume = field(repr=False)  # the platform's accesses per instant, before in-force
    notes: tuple[str, ...] = ()  # what reading the log found, the first assumptions
    read_excluded: Exclusions | None = None  # what reading left out (before any in-force test)
    country: str | None = None  # the ISO code the region was given as (region=DE)
    region_note: str | None = None  # which part, and why (a country, or assumed)
    counts: dict[str, int | None] = field(default_factory=dict)  # requested/accessed/distinct
    warnings: tuple[str, ...] = ()  # what reading found suspicious (e.g. clock skew)

    @property
    def low(self) -> Decimal:
        return min(r.amount for r in self.readings)

    @property
    def high(self) -> Decimal:
        return max(r.amount for r in self.readings)

    @property
    def range(self) -> dict[str, Decimal]:
        return {"low": self.low, "high": self.high}

    @property
    def counted(self) -> dict[str, int]:
        return {"posts": self.counted_posts, "accesses": self.counted_accesses}

    @property
    def clause_used(self) -> dict[str, object]:
        return {"id": self.clause.id, "title": self.clause.title,
                "versions": [{"version": v, "in_force": i, "during_log": self._during_log(i)}
                             for v, i in self.versions]}

    def _during_log(self, interval: Interval) -> bool:
        """Whether the version was in force at some instant from the log's first access to
        its last (of this platform, before any in-force test): the versions a report quotes
        as "in force during the log", not every version the rules hold."""
        instants = self.volume.instants
        if len(instants) == 0:
            return False
        first, last = int(instants[0]), int(instants[-1])
        return instant_ns(interval.start) <= last and (interval.end is None
                                                or instant_ns(interval.end) > first)

    def reading(self, window: str, rate: str, basis: str) -> ReadingResult:
        return next(r for r in self.readings if r.reading == Reading(window, rate, basis))

    def to_document(self) -> dict[str, Any]:
        """The JSON document the HTTP API and ``calculator assess --json`` return."""
        from calculator.schemas.assessment import AssessmentSchema

        return AssessmentSchema().dump(self)

    def to_frame(self) -> pd.DataFrame:
        """The readings as a table (window, rate, basis, amount, windows owing), for notebooks."""
        return pd.DataFrame([{
            "window": r.reading.window, "rate": r.reading.rate, "basis": r.reading.basis,
            "amount": r.amount, "windows_owing": sum(1 for x in r.windows if x.amount > 0)}
            for r in self.readings])


def parse_reading(text: str | None) -> Reading:
    """``window/rate/basis`` (e.g. ``calendar_day/per_full_million/excess_only``)."""
    if not text:
        return HEADLINE_READING
    parts = text.replace(",", "/").split("/")
    reading = Reading(*parts) if len(parts) == 3 else None
    if reading not in ALL_READINGS:
        message = (f"{excerpt(text, 80)} is not a reading; write window/rate/basis with "
                   "window one of "
                   f"{', '.join(WINDOWS)}, rate one of {', '.join(RATES)}, basis one of "
                   f"{', '.join(BASES)}")
        raise InvalidArgument(f"headline: {message}",
                              problems=[FieldProblem(message, field="headline")])
    return reading

