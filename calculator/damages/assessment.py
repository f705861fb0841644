"""Assess a crawl log against a platform's damages clause, under every reading.

The clause's numbers come from the rules in force (never from code); accesses count
only while a version of the clause is in force; each window is priced by the version
in force at its first counted access; each reading's total is exact and rounded once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from calculator import __version__
from calculator.damages import windows as w
from calculator.damages.pricing import (
    ALL_READINGS,
    BASES,
    HEADLINE_READING,
    RATES,
    WINDOWS,
    Reading,
    ScaledPricer,
    Tariff,
    to_cents,
    window_amount,
)
from calculator.errors import FieldProblem, InvalidArgument
from calculator.ingest.columns import ColumnNames
from calculator.ingest.crawlers import HostMap
from calculator.ingest.formats import LogRead, ReadChoices, read_log
from calculator.ingest.many import expand, is_many, read_many
from calculator.ingest.source import open_source
from calculator.ingest.tabular import plural
from calculator.ingest.volume import Volume
from calculator.rules import RuleLookup, load_ruleset
from calculator.rules.lookup import Interval, intervals
from calculator.rules.model import Clause, ClauseVersion
from calculator.timeutil import format_ns, parse_duration, zone

ENGINE_VERSION = __version__
NS = w.NS


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
    peak: w.Span | None
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
        return _ns(interval.start) <= last and (interval.end is None
                                                or _ns(interval.end) > first)

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
        message = (f"'{text}' is not a reading; write window/rate/basis with window one of "
                   f"{', '.join(WINDOWS)}, rate one of {', '.join(RATES)}, basis one of "
                   f"{', '.join(BASES)}")
        raise InvalidArgument(f"headline: {message}",
                              problems=[FieldProblem(message, field="headline")])
    return reading


def damages_clause(lookup: RuleLookup, platform: str, at: datetime | None = None,
                   region: str | None = None) -> Clause:
    """The platform's liquidated-damages clause, as the rules name it.

    A platform without one is refused with the checked fact: the scraping clause in force
    (at ``at``, or its latest version) and that its words name no amount."""
    found = lookup.clauses_of_kind(platform, "liquidated-damages")
    if not found:
        fact = no_amount_fact(lookup, platform, at, region)
        raise InvalidArgument(f"platform: {fact}, so there is nothing to price",
                              problems=[FieldProblem(fact, field="platform")])
    if len(found) > 1:
        raise InvalidArgument(f"platform: {platform} has {len(found)} damages clauses; the "
                              "rules must name one")
    return found[0]


def no_amount_fact(lookup: RuleLookup, platform: str, at: datetime | None = None,
                   region: str | None = None) -> str:
    """"The terms in force on D name no amount for scraping; checked version V", from the
    platform's scraping clauses as recorded (``at`` None: their latest versions)."""
    name = lookup.platform(platform).name
    prohibitions = lookup.clauses_of_kind(platform, "scraping-prohibition")
    if not prohibitions:
        return f"the rules hold no clause of {name} on scraping, and none that names an amount"
    facts = []
    for clause in prohibitions:
        part = lookup.region(region)
        timeline = intervals(clause.timeline(part))
        if not timeline:
            continue
        current = (next(((v, i) for v, i in timeline if i.contains(at)), None)
                   if at is not None else timeline[-1])
        if current is None:
            continue
        version, _ = current
        document = lookup.ruleset.documents[clause.document_id]
        said = ("names no amount for scraping" if not version.present or
                not version.parameters.get("states_damages_amount") else
                "puts an amount on scraping")
        when = f" in force on {at.date()}" if at is not None else ", as last recorded,"
        facts.append(f"the {document.title}{when} {said} (checked version {version.date} of "
                     f"{clause.id}"
                     + ("" if version.present else ", which records no scraping clause") + ")")
    if not facts:
        return (f"the rules hold no version of {name}'s scraping clauses at that date, and no "
                "clause that names an amount")
    return "; ".join(facts)


def tariffs_of(lookup: RuleLookup, clause: Clause, region: str
               ) -> tuple[list[Tariff], list[tuple[ClauseVersion, Interval]]]:
    periods = lookup.in_force_periods(clause.id, region)
    tariffs = []
    for version, interval in periods:
        p = version.parameters
        duration = parse_duration(p["window"])
        tariffs.append(Tariff(
            version=version.date, starts_ns=_ns(interval.start),
            ends_ns=None if interval.end is None else _ns(interval.end),
            threshold=p["threshold_posts"], per_posts=p["per_posts"],
            amount=Fraction(p["amount"]), currency=p["currency"],
            window_ns=int(duration.as_timedelta().total_seconds()) * NS))
    if len({t.window_ns for t in tariffs}) > 1 or len({t.currency for t in tariffs}) > 1:
        raise InvalidArgument(f"{clause.id}: its versions use different windows or currencies, "
                              "which one assessment cannot add up")
    return tariffs, periods


def _ns(instant: datetime) -> int:
    return int(instant.timestamp()) * NS


def _at(ns: int) -> str:
    return format_ns(ns)


def evaluate(volume: Volume, lookup: RuleLookup, options: Options, input_info: InputInfo,
             excluded: Exclusions, notes: list[str], *,
             counts: dict[str, int | None] | None = None,
             warnings: tuple[str, ...] = ()) -> Assessment:
    """Price per-instant counts under every reading of the platform's damages clause."""
    zone(options.tz, "tz")
    choice = lookup.region_choice(options.region)
    region = choice.region
    first = (datetime.fromtimestamp(int(volume.instants[0]) / 1e9, UTC)
             if len(volume.instants) else None)
    clause = damages_clause(lookup, options.platform, first, region)
    region_note = lookup.region_note(lookup.ruleset.documents[clause.document_id], choice)
    if region_note.strip() and region_note.strip() not in notes:
        # Kept with the notes, so that a replay (which names the part) states it again.
        notes = [region_note.strip(), *notes]
    tariffs, periods = tariffs_of(lookup, clause, region)
    window = tariffs[0].window_ns

    starts = np.array([t.starts_ns for t in tariffs], dtype=np.int64)
    ends = np.array([t.ends_ns if t.ends_ns is not None else np.iinfo(np.int64).max
                     for t in tariffs], dtype=np.int64)
    which = np.searchsorted(starts, volume.instants, side="right") - 1
    in_force = (which >= 0) & (volume.instants < ends[np.maximum(which, 0)])
    before = volume.instants < starts[0]
    rows = {"before_in_force": int(volume.accesses[before].sum()), **excluded.rows}
    posts = {"before_in_force": int(volume.posts[before].sum()), **excluded.posts}
    gaps = ~in_force & ~before
    if gaps.any():
        rows["while_not_in_force"] = int(volume.accesses[gaps].sum())
        posts["while_not_in_force"] = int(volume.posts[gaps].sum())
    counted = volume if in_force.all() else volume.select(in_force)  # no copy when all count

    results, peak_span, spanning, irregular, placed_early = _readings(counted, tariffs, window,
                                                                       options.tz)
    headline = next(r for r in results if r.reading == options.headline)
    assessment = Assessment(
        platform=options.platform, region=region, currency=tariffs[0].currency, clause=clause,
        versions=tuple(periods), ruleset_revision=lookup.ruleset.revision,
        engine_version=ENGINE_VERSION, input=input_info, options=options,
        counted_posts=counted.total_posts, counted_accesses=counted.total_accesses,
        excluded=Exclusions(rows, posts), peak=peak_span, readings=tuple(results),
        headline=headline, assumptions=(), volume=volume, notes=tuple(notes),
        read_excluded=excluded, counts=dict(counts or {}), warnings=tuple(warnings),
        country=choice.country, region_note=region_note.strip() or None)
    sentences = _assumptions(assessment, tariffs, periods, notes, spanning)
    if placed_early:
        sentences.append(
            "Periods start at their first counted access, like the busiest period, except "
            "some worst-case periods that start earlier: starting them at their first access "
            "would take in the next access, so they end just before it.")
    if irregular:
        days = ", ".join(f"{day} has {hours:g} hours" for day, hours in irregular)
        sentences.insert(len(notes), f"Calendar days in {options.tz} are not all 24 hours "
                                     f"long: {days}.")
    return replace(assessment, assumptions=tuple(sentences))


def _readings(counted: Volume, tariffs: list[Tariff], window: int, tz: str
              ) -> tuple[list[ReadingResult], w.Span | None, set[int], list, bool]:
    instants, posts = counted.instants, counted.posts
    if len(instants) == 0:
        return [ReadingResult(r, Fraction(0), ()) for r in ALL_READINGS], None, set(), [], \
            False
    eps = w.resolution_of(instants)
    counter = w.counter_for(instants, posts, eps, window, counted.occurrences)
    peak_span = w.peak(instants, counter, window, posts)
    days = w.calendar_bounds(instants, tz)
    spans = {
        "calendar_day": w.partition(instants, counter, days.bounds),
        "rolling_first_access": w.partition(instants, counter,
                                            w.first_access_bounds(instants, window)),
    }
    pairs = [(rate, basis) for rate in RATES for basis in BASES]
    chosen: dict[tuple[str, str], list[w.Span]] = {pair: [] for pair in pairs}
    placed_early = False
    if peak_span.posts > min(t.threshold for t in tariffs):
        pricers = [ScaledPricer(tariffs, rate, basis) for rate, basis in pairs]
        if counter.total * 2 * max(p.max_unit() for p in pricers) >= 2**62:
            raise InvalidArgument("the log's volume is too large to price exactly in one "
                                  "assessment; split it by period")
        found = w.worst_case(instants, counter, window, eps, [p.values for p in pricers],
                             by_first_access=not all(p.uniform for p in pricers))
        for pair, pricer, result in zip(pairs, pricers, found, strict=True):
            picked = np.array(result.starts, dtype=np.int64)
            held = counter.count(picked, picked + window)
            firsts = instants[np.searchsorted(instants, picked, side="left")] \
                if len(picked) else picked
            picked, early = _at_first_access(picked, held, firsts, counter, window)
            placed_early |= early
            chosen[pair] = [w.Span(int(s), int(s) + window, int(n), int(f))
                            for s, n, f in zip(picked, held, firsts, strict=True)]
            exact = sum((window_amount(s.posts, _tariff_at(tariffs, s.first_ns), *pair)
                         for s in chosen[pair]), Fraction(0))
            if exact * pricer.scale != result.total:
                raise AssertionError("worst-case windows do not add up to the search's total")
    results = []
    spanning: set[int] = set()
    for reading in ALL_READINGS:
        found_spans = (chosen[(reading.rate, reading.basis)]
                       if reading.window == "rolling_worst_case" else spans[reading.window])
        priced = []
        for span in found_spans:
            tariff = _tariff_at(tariffs, span.first_ns)
            priced.append(PricedWindow(span.start_ns, span.end_ns, span.posts,
                                       window_amount(span.posts, tariff, reading.rate,
                                                     reading.basis),
                                       tariff.version.isoformat()))
            spanning.update(t.starts_ns for t in tariffs[1:]
                            if span.start_ns < t.starts_ns < span.end_ns)
        results.append(ReadingResult(reading, sum((p.amount for p in priced), Fraction(0)),
                                     tuple(priced)))
    return results, peak_span, spanning, days.irregular, placed_early


def _at_first_access(starts: np.ndarray, held: np.ndarray, firsts: np.ndarray,
                     counter: w.WindowCounter, window: int) -> tuple[np.ndarray, bool]:
    """Worst-case windows moved to start at their first counted access, as the busiest
    period does, wherever that keeps the same count and overlaps no later window (the same
    posts and first access: the same amount). The search places a window as late as its
    count allows, which can be just before its first access; said in the assumptions when a
    window has to stay there (moving it would take in the next access). Decision 0062."""
    if len(starts) == 0:
        return starts, False
    moved = counter.count(firsts, firsts + window)
    following = np.append(starts[1:], np.iinfo(np.int64).max)
    keeps = (moved == held) & (firsts + window <= following)
    return np.where(keeps, firsts, starts), bool((~keeps & (firsts != starts)).any())


def _tariff_at(tariffs: list[Tariff], instant_ns: int) -> Tariff:
    chosen = tariffs[0]
    for tariff in tariffs:
        if tariff.starts_ns <= instant_ns:
            chosen = tariff
    return chosen


def _assumptions(assessment: Assessment, tariffs: list[Tariff],
                 periods: list[tuple[ClauseVersion, Interval]], notes: list[str],
                 spanning: set[int]) -> list[str]:
    options = assessment.options
    first = tariffs[0]
    sentences = list(notes)
    excluded = assessment.excluded.rows
    if excluded.get("before_in_force"):
        sentences.append(
            f"{plural(excluded['before_in_force'], 'row')} before {_at(first.starts_ns)}, when "
            f"{assessment.clause.id} first came into force, were left out.")
    if excluded.get("while_not_in_force"):
        sentences.append(f"{plural(excluded['while_not_in_force'], 'row')} at times when no "
                         "version of the clause was in force were left out.")
    sentences.append(
        f"A window owes nothing unless it holds more than {first.threshold:,} posts; the "
        f"clause prices {first.currency} {to_cents(first.amount):,} per {first.per_posts:,} posts "
        f"({assessment.region} part).")
    hours = f"{first.window_ns // (3600 * NS)}-hour"
    sentences.append(
        f"The clause does not say how its {hours} periods are placed, whether the rate applies "
        "to all posts or only to those above the threshold, or how partial millions are "
        "priced, so every reading is computed: calendar days in "
        f"{options.tz}; consecutive {hours} periods from the first counted access; and the "
        f"non-overlapping {hours} periods that owe the most (the most a claimant could argue "
        "under its words).")
    from calculator.web.present import reading_phrase  # the words pages and CLI use

    sentences.append(
        f"The headline reading is {reading_phrase({}, options.headline.key, period=hours)}; "
        "the range runs from the lowest to the highest reading.")
    for boundary in sorted(spanning):
        new = next(t for t in tariffs if t.starts_ns == boundary)
        old = _tariff_at(tariffs, boundary - 1)
        change = "the same prices" if new.same_pricing(old) else "different prices"
        sentences.append(
            f"Some windows span {_at(boundary)}, when clause version {new.version} replaced "
            f"{old.version} ({change}); each window is priced by the version in force at its "
            "first counted access.")
    sentences.append(
        "Each reading's total is computed exactly and rounded once to cents, half up; the "
        "amounts shown per window are rounded for display and may not add up to the total "
        "to the cent.")
    triggers = "; ".join(f"\"{version.parameters['trigger']}\" from {version.date}"
                         for version, _ in periods)
    sentences.append(
        f"The clause applies only where its condition is met ({triggers}); these amounts "
        "assume that it was, and that every counted access is one the clause reaches.")
    sentences.append(
        "The text does not say whether the count is per account, per person or per group; "
        "every counted access in this log is counted together.")
    return sentences


def assess(source: str | os.PathLike[str] | bytes | BinaryIO | Sequence[
               str | os.PathLike[str] | bytes | BinaryIO], *, platform: str = "x",
           region: str | None = None, tz: str = "UTC", assume_tz: str = "UTC",
           format: str | None = None, headline: str | Reading | None = None,
           rules: RuleLookup | None = None, name: str | None = None,
           format_hint: str | None = None, max_bytes: int | None = None,
           count: str = "requested",
           collection_window: tuple[datetime, datetime] | None = None,
           embedded_posts: bool = False, time_column: str | None = None,
           posts_column: str | None = None, post_id_column: str | None = None,
           url_column: str | None = None, platform_column: str | None = None,
           engine: str = "local", scheduler: Any = None) -> Assessment:
    """Assess a crawl log (a path, ``-``, bytes or a binary file) against the platform's
    damages clause, under every reading.

    Several files are one log: a list of them, a directory, a glob (``logs/*.parquet``) or
    an fsspec URL (``s3://bucket/crawl/2025-03-*/``); see ``calculator.ingest.many``.

    ``count`` picks what is priced: requested (default), accessed or distinct posts.
    ``collection_window`` (start, end) says when a scraper ran, for outputs that record
    only when posts were created; ``embedded_posts`` counts quoted and reposted posts.
    ``time_column``, ``posts_column``, ``post_id_column``, ``url_column`` and
    ``platform_column`` name a table's columns when their common names (``timestamp``,
    ``time``, ``ts``, ``posts``, ``post_id``...) do not find them.
    ``max_bytes``: refuse, with ``InputTooLarge``, a log whose content, decompressed, is
    larger. ``engine="dask"`` reads the files on a Dask cluster (``scheduler``: its address
    or a ``distributed.Client``; none: a local cluster), with the same answer; see
    ``calculator.distributed``."""
    lookup = rules or default_lookup()
    zone(tz, "tz")
    zone(assume_tz, "assume_tz")
    chosen = headline if isinstance(headline, Reading) else parse_reading(headline)
    lookup.region(region)
    damages_clause(lookup, platform)  # refuse early, before reading a large log
    columns = ColumnNames.of(time_column, posts_column, post_id_column, url_column,
                             platform_column)
    options = Options(platform=platform, region=region, tz=tz, assume_tz=assume_tz,
                      format=format, headline=chosen, count=count,
                      collection_window=collection_window, embedded_posts=embedded_posts,
                      columns=columns)
    choices = ReadChoices(platform=platform, assume_tz=assume_tz, count=count,
                          collection_window=collection_window, embedded_posts=embedded_posts,
                          columns=columns)
    hosts = HostMap.from_ruleset(lookup.ruleset)
    many_files = is_many(source)
    if engine != "local":
        from calculator.distributed.engine import read_on_dask, sources_for

        many = read_on_dask(sources_for(source, engine), format, choices, scheduler,
                            max_bytes, many=many_files)
    elif many_files:
        locations = list(source) if isinstance(source, list | tuple) else [source]
        files, hidden = expand(locations, max_bytes)  # type: ignore[arg-type]
        many = read_many(files, format, choices, hosts, hidden)
    if engine != "local" or many_files:
        read = many.read
        input_info = InputInfo(
            sha256=many.sha256, format=read.format, rows=read.rows, bytes=many.size,
            compressed=many.compressed, columns=tuple(read.columns),
            ignored_columns=tuple(read.ignored_columns), time_kind=read.time_kind,
            details={**(_details(read) or {}), "files": [f.as_json() for f in many.files]}
            if many_files else _details(read))
    else:
        with open_source(source, name, max_bytes) as log:
            read = read_log(log, format, choices, hosts, format_hint)
            log.finish()
        input_info = InputInfo(sha256=log.sha256, format=read.format, rows=read.rows,
                               bytes=log.size, compressed=log.compressed,
                               columns=tuple(read.columns), ignored_columns=tuple(
                                   read.ignored_columns), time_kind=read.time_kind,
                               details=_details(read))
    excluded = Exclusions(dict(read.excluded_rows), dict(read.excluded_posts))
    return evaluate(read.volume, lookup, options, input_info, excluded, read.notes,
                    counts=read.counts, warnings=tuple(read.warnings))


def _details(read: LogRead) -> dict[str, object] | None:
    """What a crawler's reader saw besides the events (None for tabular logs)."""
    report = read.report
    if report is None:
        return None
    return {"lines": report.lines, "unparsed": report.unparsed,
            "unparsed_examples": [{"line": line, "why": why}
                                  for line, why in report.unparsed_examples],
            "skipped": dict(report.skipped),
            **{name: dict(tally) for name, tally in report.tallies.items()}}


@dataclass(frozen=True)
class ReplayBasis:
    """What replaying an assessment needs, and nothing more: the per-instant counts (never
    rows, URLs or post ids), the options, what was read and left out while reading, and
    the notes reading made; with the revision and engine that first priced it."""

    volume: Volume
    options: Options
    input: InputInfo
    excluded: Exclusions
    notes: tuple[str, ...]
    ruleset_revision: str
    engine_version: str
    counts: dict[str, int | None] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def replay_basis(assessment: Assessment) -> ReplayBasis:
    """The part of an assessment that ``replay`` can price again. The options keep the
    region the assessment was made for, so a replay asks the same question even if the
    rules' default region changes."""
    read_excluded = assessment.read_excluded or Exclusions(
        {k: v for k, v in assessment.excluded.rows.items() if k not in _IN_FORCE_REASONS},
        {k: v for k, v in assessment.excluded.posts.items() if k not in _IN_FORCE_REASONS})
    return ReplayBasis(
        volume=assessment.volume, options=replace(assessment.options, region=assessment.region),
        input=assessment.input, excluded=read_excluded, notes=assessment.notes,
        ruleset_revision=assessment.ruleset_revision, engine_version=assessment.engine_version,
        counts=dict(assessment.counts), warnings=assessment.warnings)


_IN_FORCE_REASONS = ("before_in_force", "while_not_in_force")


def replay(basis: ReplayBasis, rules: RuleLookup | None = None) -> Assessment:
    """Price stored counts again under ``rules`` (default: today's bundled rules)."""
    return evaluate(basis.volume, rules or default_lookup(), basis.options, basis.input,
                    basis.excluded, list(basis.notes), counts=basis.counts,
                    warnings=basis.warnings)


@cache
def default_lookup() -> RuleLookup:
    """The bundled rules (or ``CALCULATOR_RULES_DIR``), loaded once per process."""
    return RuleLookup(load_ruleset())
