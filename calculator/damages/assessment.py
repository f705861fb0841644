"""Assess a crawl log against a platform's damages clause, under every reading.

The clause's numbers come from the rules in force (never from code); accesses count
only while a version of the clause is in force; each window is priced by the version
in force at its first counted access; each reading's total is exact and rounded once.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any, BinaryIO

import numpy as np

from calculator import __version__
from calculator.damages import sweep
from calculator.damages.assumptions import assumptions
from calculator.damages.clause import damages_clause, no_amount_fact, tariffs_of
from calculator.damages.pricing import Reading
from calculator.damages.readings import price_readings
from calculator.damages.results import (
    Assessment,
    Exclusions,
    InputInfo,
    Options,
    PricedWindow,
    ReadingResult,
    parse_reading,
)
from calculator.errors import InvalidArgument
from calculator.heap import release_after_read
from calculator.ingest.columns import ColumnNames
from calculator.ingest.crawlers import HostMap
from calculator.ingest.formats import LogRead, ReadChoices, read_log
from calculator.ingest.many import expand, is_many, read_many
from calculator.ingest.source import open_source
from calculator.ingest.volume import Volume
from calculator.rules import RuleLookup, load_ruleset
from calculator.timeutil import zone

# What callers import from here: the assessment, what it is made of, and the clause it prices.
__all__ = ["ENGINE_VERSION", "Assessment", "Exclusions", "InputInfo", "Options",
           "PricedWindow", "ReadingResult", "ReplayBasis", "assess", "damages_clause",
           "default_lookup", "evaluate", "no_amount_fact", "parse_reading", "replay",
           "replay_basis", "tariffs_of"]

ENGINE_VERSION = __version__
# A log of this many bytes or more most likely holds enough instants for the compiled
# search (``window_counts.COMPILED_FROM``; a millisecond CSV has about 30 bytes a row): its
# code is loaded while the log is read.
LOAD_COMPILED_FROM_BYTES = 16 << 20


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
    in_force, first = in_force_at(volume.instants, starts, ends)
    rows = {"before_in_force": int(volume.accesses[:first].sum()), **excluded.rows}
    posts = {"before_in_force": int(volume.posts[:first].sum()), **excluded.posts}
    everything = bool(in_force.all())
    gaps = ~in_force
    gaps[:first] = False  # before the first version: counted as such above
    if not everything and gaps.any():
        rows["while_not_in_force"] = int(volume.accesses[gaps].sum())
        posts["while_not_in_force"] = int(volume.posts[gaps].sum())
    counted = volume if everything else volume.select(in_force)  # no copy when all count

    results, peak_span, spanning, irregular, placed_early = price_readings(counted, tariffs, window,
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
    sentences = assumptions(assessment, tariffs, periods, notes, spanning)
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


def in_force_at(instants: np.ndarray, starts: np.ndarray, ends: np.ndarray
                ) -> tuple[np.ndarray, int]:
    """Which of the (ascending) instants fall while a version of the clause is in force:
    the last version begun by then (``starts`` ascending) has not ended (``ends``); and
    how many come before the first version. Each version's stretch of instants is found
    by two binary searches, not a search per instant."""
    cut_at = np.minimum(ends, np.append(starts[1:], np.iinfo(np.int64).max))
    lows = np.searchsorted(instants, starts)
    highs = np.searchsorted(instants, cut_at)
    in_force = np.zeros(len(instants), dtype=bool)
    for low, high in zip(lows, highs, strict=True):
        in_force[low:high] = True
    return in_force, int(lows[0])


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
    """Assess a crawl log (a path, ``-``, bytes, a binary file, or a table in memory: a
    pandas or polars DataFrame, a pyarrow Table; see ``calculator.ingest.frames``) against
    the platform's damages clause, under every reading.

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
    known = lookup.ruleset.platforms.get(platform)
    choices = ReadChoices(platform=platform, assume_tz=assume_tz, count=count,
                          collection_window=collection_window, embedded_posts=embedded_posts,
                          columns=columns, platform_names=known.names() if known else ())
    hosts = HostMap.from_ruleset(lookup.ruleset)
    if isinstance(source, list | tuple) and not source:
        raise InvalidArgument("source: the list of log files is empty; give at least one")
    many_files = is_many(source)
    if engine != "local":
        from calculator.distributed.engine import read_on_dask, sources_for

        many = read_on_dask(sources_for(source, engine), format, choices, hosts, scheduler,
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
        # Distinct posts load the compiled search only once it is known to be needed (a
        # window over the threshold, decision 0145): most never need it, and its loading
        # (about 185 MiB resident, numba's) would be held for nothing.
        if count != "distinct" and _input_size(source) >= LOAD_COMPILED_FROM_BYTES:
            sweep.load_meanwhile()
        with open_source(source, name, max_bytes) as log:
            read = read_log(log, format, choices, hosts, format_hint)
            log.finish()
        input_info = InputInfo(sha256=log.sha256, format=read.format, rows=read.rows,
                               bytes=log.size, compressed=log.compressed,
                               columns=tuple(read.columns), ignored_columns=tuple(
                                   read.ignored_columns), time_kind=read.time_kind,
                               details=_details(read))
    excluded = Exclusions(dict(read.excluded_rows), dict(read.excluded_posts))
    release_after_read(input_info.bytes, input_info.rows)
    return evaluate(read.volume, lookup, options, input_info, excluded, read.notes,
                    counts=read.counts, warnings=tuple(read.warnings))


def _input_size(source: object) -> int:
    """The bytes of a log as given (a file's size, not its content's), 0 when not known."""
    if isinstance(source, bytes | bytearray | memoryview):
        return len(source)
    try:
        if isinstance(source, str | os.PathLike):
            return os.path.getsize(source) if str(source) != "-" else 0
        return os.fstat(source.fileno()).st_size  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return 0


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
