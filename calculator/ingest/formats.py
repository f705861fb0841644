"""Which format a log is in, told from its content; and reading it whatever it is.

Crawler formats (WARC, Heritrix, HAR, Scrapy, access logs, Squid, scraper JSON) are
tried first, because a plain JSON detector would take any ``{``; then the tabular
formats with a time column (CSV, JSON Lines, JSON array).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from calculator.errors import FieldProblem, InvalidArgument, InvalidInput, excerpt
from calculator.ingest.columnar import A_FILE, COLUMNAR_FORMATS, detect_columnar, read_columnar
from calculator.ingest.columns import COMMON_NAMES, ColumnNames
from calculator.ingest.crawl_counts import CrawlCounts, count_events
from calculator.ingest.crawlers import (
    CRAWLER_FORMATS,
    HEAD_BYTES,
    HostMap,
    ReadOptions,
    detect_crawler_format,
    read_crawler_log,
)
from calculator.ingest.crawlers.options import check_collection_window
from calculator.ingest.events import TIME_KINDS, AccessEvent, ReadReport
from calculator.ingest.row_values import JSON_FORMATS
from calculator.ingest.source import CompleteLines, DecompressionBudget, LogSource
from calculator.ingest.table_read import plural, were
from calculator.ingest.tabular import Collector, TableRead, read_table
from calculator.ingest.tabular_csv import header_delimiter
from calculator.ingest.volume import Volume

TABULAR_FORMATS = ("csv", *JSON_FORMATS)
FORMATS = TABULAR_FORMATS + COLUMNAR_FORMATS + CRAWLER_FORMATS
COUNTS = ("requested", "accessed", "distinct")


@dataclass
class LogRead:
    """What reading a log found, whatever its format: the volume to price (by the chosen
    count), the three counts side by side, and everything left out or assumed."""

    format: str
    rows: int
    count: str
    volume: Volume
    counts: dict[str, int | None]
    excluded_rows: dict[str, int]
    excluded_posts: dict[str, int]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    time_kind: str | None = None
    report: ReadReport | None = None


@dataclass(frozen=True)
class ReadChoices:
    """The caller's choices about how to read and count a log."""

    platform: str = "x"
    assume_tz: str = "UTC"
    count: str = "requested"
    collection_window: tuple[datetime, datetime] | None = None
    embedded_posts: bool = False
    columns: ColumnNames = field(default_factory=ColumnNames)
    # What else a log's platform column may call the platform (its former name, its hosts):
    # rows named so are its rows, not another platform's.
    platform_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Checked whatever the format, before reading: a window that ends before it starts
        # was taken without a word for a table, which does not use it.
        check_collection_window(self.collection_window)

    def platform_values(self) -> tuple[str, ...]:
        """The platform's id and every other name its rows may give it."""
        return (self.platform, *self.platform_names)


# Content recognized by its first bytes that is not read, and what to do instead (gzip is
# read wherever a log is; these would otherwise be called "binary data").
_UNCOMPRESSED = "uncompressed or compressed with gzip"
_NOT_READ = (
    # bzip2: "BZh", the block size, then a block's or the stream end's own magic (a text
    # may start with "BZh").
    (re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)"),
     f"compressed with bzip2, which is not read; send it {_UNCOMPRESSED}"),
    (re.compile(rb"\xfd7zXZ\x00"), f"compressed with xz, which is not read; send it "
                                   f"{_UNCOMPRESSED}"),
    (re.compile(rb"\x28\xb5\x2f\xfd"), f"compressed with Zstandard, which is not read; send "
                                       f"it {_UNCOMPRESSED}"),
    (re.compile(rb"PK\x03\x04"), f"a zip archive, which is not read; send the log inside it, "
                                 f"{_UNCOMPRESSED}"),
    (re.compile(rb"\xff\xfe"), "UTF-16 text (little-endian), which is not read; save the log "
                               "as UTF-8"),
    (re.compile(rb"\xfe\xff"), "UTF-16 text (big-endian), which is not read; save the log as "
                               "UTF-8"),
)


def sniff_text(head: bytes) -> str:
    """The start of a log as text; binary data and other encodings are refused here."""
    if not head.strip():
        raise InvalidInput("the log is empty: nothing to assess")
    for magic, what in _NOT_READ:
        if magic.match(head):
            raise InvalidInput(f"the log is {what}")
    if b"\x00" in head:
        at = head.index(b"\x00")
        raise InvalidInput(f"the log is binary data (a NUL byte at byte {at}), not a text log")
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        line = head.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 text (byte {exc.start} cannot be read); save the log as UTF-8"
        raise InvalidInput(f"line {line}: {message}",
                           problems=[FieldProblem(message, line=line)]) from None


def detect_tabular(head: bytes, columns: ColumnNames | None = None) -> str | None:
    """csv, jsonl or json when the content looks like a table (a CSV header naming a time
    column, a JSON object or array), else None."""
    text = sniff_text(head).lstrip()
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        return "jsonl"
    columns = columns or ColumnNames()
    names = _first_line_names(text, columns)
    # Named columns say the log is a table: a header without them is then refused by name.
    if columns.has_time_column(names) or (columns.given() and len(names) > 1):
        return "csv"
    return None


def _first_line_names(text: str, columns: ColumnNames) -> list[str]:
    """The names of the first line, split by the character its fields are separated by."""
    first_line = text.splitlines()[0] if text else ""
    return next(csv.reader([first_line], delimiter=header_delimiter(first_line, columns)), [])


def _unknown_format(text: str, columns: ColumnNames) -> InvalidInput:
    """What was looked for, and what the first line is (its size, never its content)."""
    names = _first_line_names(text.lstrip(), columns)
    looked = ", ".join(columns.time_candidates())
    found = (f"its first line splits into {len(names):,} fields, none of them a time "
             "column" if len(names) > 1 else
             "its first line is not a CSV header (fields separated by commas, tabs or "
             "semicolons)")
    return InvalidInput(
        "could not tell the log's format: looked for a crawler's file "
        f"({', '.join(CRAWLER_FORMATS)}), Parquet, Arrow or ORC, JSON Lines, a JSON array of "
        "objects, or CSV whose "
        f"first line names a time column ({looked}); {found}. Choose the format, or name "
        "the column that holds the time (the format and time column options)")


def detect_format(source: LogSource, fmt: str | None, choices: ReadChoices,
                  hint: str | None = None) -> str:
    """The format of a log: ``fmt`` when given, else what its content shows, else ``hint``
    (the format a content type named); a log in no format read here is refused."""
    if fmt is not None and fmt not in FORMATS:
        # An option the caller chose, not the log's content: named as the option it is.
        message = f"unknown format {excerpt(fmt)}; the formats are {', '.join(FORMATS)}"
        raise InvalidArgument(f"format: {message}",
                              problems=[FieldProblem(message, field="format")])
    # Column files by their magic bytes, before any text is looked for; crawler formats from
    # the bytes as stored (a WARC.gz is gzip per record), so gzip is opened only after them.
    stored = source.raw.peek(HEAD_BYTES)[:HEAD_BYTES]
    chosen = fmt or detect_columnar(stored) or detect_crawler_format(stored)
    if chosen in CRAWLER_FORMATS:
        return chosen
    head = source.head()
    if chosen is None and source.compressed:  # gzip inside gzip: told from the content
        nested = detect_crawler_format(head)
        if nested is not None:
            return nested
    chosen = chosen or detect_columnar(head)
    if chosen is None:
        chosen = hint if hint in COLUMNAR_FORMATS else (
            detect_tabular(head, choices.columns) or hint)
    if chosen is None:
        raise _unknown_format(sniff_text(head), choices.columns)
    if chosen in TABULAR_FORMATS:
        shown = detect_columnar(head)
        if shown is not None:  # a text format was chosen for a column file
            raise InvalidInput(f"the log is {A_FILE[shown]}, not {chosen}: leave "
                               f"out the format, or choose {shown}")
        sniff_text(head)
    return chosen


def read_log(source: LogSource, fmt: str | None, choices: ReadChoices, hosts: HostMap,
             hint: str | None = None) -> LogRead:
    """Read a log in ``fmt`` (or the format its content shows, else ``hint``, the format a
    content type named) into the volume the chosen count prices."""
    if choices.count not in COUNTS:
        raise InvalidArgument(f"count: '{choices.count}' is not one of {', '.join(COUNTS)}")
    if source.table and fmt not in (None, "arrow"):
        raise InvalidArgument(f"format: {source.name} is read as the table it is; leave "
                              "format out")
    chosen = detect_format(source, fmt, choices, hint)
    if chosen in CRAWLER_FORMATS:
        return _read_crawler(source, chosen, choices, hosts)
    return from_table(read_any_table(source, chosen, choices), choices)


def read_any_table(source: LogSource, fmt: str, choices: ReadChoices,
                   shared: Collector | None = None) -> TableRead:
    """A table of any form (CSV, JSON Lines, JSON array, Parquet, Arrow, ORC); with ``shared``,
    counted into a collector that other files share (see ``tabular.read_table``)."""
    reader = read_columnar if fmt in COLUMNAR_FORMATS else read_table
    return reader(source, fmt, choices.platform_values(), choices.assume_tz,
                  columns=choices.columns,
                  shared=shared, occurrences=choices.count == "distinct")


def _read_crawler(source: LogSource, fmt: str, choices: ReadChoices,
                  hosts: HostMap) -> LogRead:
    options = crawler_options(choices, hosts, source.budget)
    # Readers get the content with every gzip layer undone by the source, and charge any
    # decompression of their own (a WARC answer's Content-Encoding) to the same budget, so
    # the one limit of decompressed bytes holds however the log is nested (decision 0050).
    events, report = read_crawler_source(source, fmt, options)
    return crawler_read(events, lambda: report, fmt, choices)


def read_crawler_source(source: LogSource, fmt: str, options: ReadOptions
                        ) -> tuple[Iterator[AccessEvent], ReadReport]:
    """``read_crawler_log`` of a log's content. A log whose gzip breaks off (an interrupted
    crawl) is read up to the cut, and the report says where the file stops: a WARC's
    complete records, a line log's complete lines (the line the cut falls in is an unread
    line), where refusing the file at the cut lost everything in it (decision 0142)."""
    lines = None
    stream = source.stream
    if fmt == "warc":
        source.allow_cut_end()
    elif fmt in _LINE_FORMATS and source.compressed:
        source.allow_cut_end()
        lines = CompleteLines(source)
        stream = io.BufferedReader(lines, buffer_size=CompleteLines.READ)
    events, report = read_crawler_log(stream, fmt, options)

    def checked() -> Iterator[AccessEvent]:
        try:
            yield from events
        except InvalidInput as exc:
            if lines is None or not source.cut:
                raise
            # A JSON value the cut left open (a JSON array's): the cut is what to fix.
            raise InvalidInput(f"{exc.detail} (the gzip data breaks off inside a member after "
                               f"line {lines.lines}: the file was cut short)",
                               problems=exc.problems) from exc
        if not source.cut:
            return
        if lines is None:
            report.warnings.append(
                f"the gzip data breaks off inside a member, at record {report.lines} or "
                "after it (the file was cut short): the records before the cut were read, "
                "and a record it cuts was read as far as it goes.")
            return
        cut = "."
        if lines.withheld:
            report.lines += 1
            report.unparseable(lines.lines + 1, "the file breaks off inside this line (its "
                                                "gzip data was cut short)")
            cut = (f", and line {lines.lines + 1}, which the cut falls in, was not: what is "
                   "left of it could name another post.")
        report.warnings.append(
            f"the gzip data breaks off inside a member after line {lines.lines} (the file "
            f"was cut short): the lines before the cut were read{cut}")

    return checked(), report


# Crawler formats read line by line (a JSON value may span lines, and ends on one): a cut
# gzip ends them at a line's end. A HAR file is one JSON document, which a cut leaves
# unreadable.
_LINE_FORMATS = frozenset(CRAWLER_FORMATS) - {"warc", "har"}


def crawler_options(choices: ReadChoices, hosts: HostMap,
                    budget: DecompressionBudget | None = None) -> ReadOptions:
    """How to read a crawler's file; ``budget``: the decompressed bytes it may inflate."""
    return ReadOptions(assume_tz=choices.assume_tz, hosts=hosts,
                       collection_window=choices.collection_window,
                       embedded_posts=choices.embedded_posts,
                       budget=budget or DecompressionBudget())


def crawler_read(events: Iterable[AccessEvent], finished: Callable[[], ReadReport], fmt: str,
                 choices: ReadChoices) -> LogRead:
    """Count a crawler's events; ``finished`` gives the reader's report once they are all
    read (the report fills in as the events are read)."""
    counts = count_events(events, choices.platform, choices.embedded_posts)
    return read_of_counts(counts, finished(), fmt, choices)


def read_of_counts(counts: CrawlCounts, report: ReadReport, fmt: str,
                   choices: ReadChoices) -> LogRead:
    """What a crawler's log holds, from its counted events and its reader's report."""
    volume = {"requested": counts.requested, "accessed": counts.accessed,
              "distinct": counts.distinct}[choices.count]
    notes = list(report.assumptions)
    if report.time_kind:
        notes.append(f"Times are the format's {report.time_kind} times: "
                     f"{TIME_KINDS.get(report.time_kind, report.time_kind)}.")
    notes.append(
        f"Priced on the {choices.count} count ({_COUNT_MEANING[choices.count]}); "
        f"{counts.requests:,} requests to {choices.platform} carried "
        f"{counts.requested.total_posts:,} posts, {counts.responses:,} were answered with "
        f"content carrying {counts.accessed.total_posts:,} posts, and "
        f"{counts.distinct_posts:,} different posts were obtained.")
    if counts.embedded_posts:
        counted = "counted" if choices.embedded_posts else "not counted (embedded_posts off)"
        notes.append(f"{counts.embedded_posts:,} quoted or reposted posts were carried inside "
                     f"other posts and {counted}.")
    for reason, number in sorted(report.skipped.items()):
        notes.append(f"1 line or record was not a request to a platform and was left out: "
                     f"{reason}." if number == 1 else f"{number:,} lines or records were not "
                     f"requests to a platform and were left out: {reason}.")
    if report.unparsed:
        shown = "; ".join(f"line {line}: {why}" for line, why in report.unparsed_examples)
        notes.append(f"{plural(report.unparsed, 'line')} could not be read and "
                     f"{were(report.unparsed)} left out (first: {shown}).")
    return LogRead(
        format=fmt, rows=report.lines or counts.events, count=choices.count, volume=volume,
        counts={"requests": counts.requests, "requested_posts": counts.requested.total_posts,
                "responses": counts.responses, "accessed_posts": counts.accessed.total_posts,
                "distinct_posts": counts.distinct_posts, "log_requests": counts.events,
                "log_responses": counts.log_responses},
        excluded_rows=counts.excluded_rows, excluded_posts=counts.excluded_posts,
        notes=notes, warnings=list(report.warnings), time_kind=report.time_kind,
        report=report)


_COUNT_MEANING = {
    "requested": "the posts of every request sent to the platform, whatever its answer",
    "accessed": "the posts of requests answered with content",
    "distinct": "different post ids obtained, each counted once per window",
}


def from_table(read: TableRead, choices: ReadChoices) -> LogRead:
    volume = read.distinct_volume() if choices.count == "distinct" else read.volume
    if choices.count == "distinct" and volume is None:
        named = choices.columns.given().get("post_id")
        names = named or ", ".join(COMMON_NAMES["post_id"])
        raise InvalidInput(f"count: distinct needs a post id column to tell posts apart "
                           f"(looked for {names}; or name it with the post id column option)")
    distinct = read.distinct_posts if read.distinct_posts is not None else (
        read.distinct.total_posts if read.distinct is not None else None)
    notes = read.notes(choices.platform, choices.assume_tz)
    if choices.count != "requested":
        notes.append(f"Priced on the {choices.count} count "
                     f"({_COUNT_MEANING[choices.count]}).")
    unused = [words for given, words in (
        (choices.collection_window is not None, "the collection window"),
        (choices.embedded_posts, "counting embedded posts")) if given]
    if unused:
        # A crawler's option given for a table: said, rather than dropped without a word.
        verb = "was" if len(unused) == 1 else "were"
        notes.append(f"{' and '.join(unused).capitalize()} {verb} not used: a table's rows "
                     "carry their own times and posts.")
    if choices.count == "accessed":
        # A table's rows carry no answer the count reads: saying "answered with content"
        # alone claimed what was never checked.
        notes.append("A table's rows are each counted as answered with content: a status "
                     "column, if the log has one, is not read.")
    return LogRead(
        format=read.format, rows=read.rows, count=choices.count, volume=volume,
        counts={"requests": read.volume.total_accesses,
                "requested_posts": read.volume.total_posts,
                "responses": read.volume.total_accesses,
                "accessed_posts": read.volume.total_posts, "distinct_posts": distinct,
                "log_requests": read.rows, "log_responses": None},
        excluded_rows=dict(read.excluded_rows), excluded_posts=dict(read.excluded_posts),
        notes=notes, columns=read.columns, ignored_columns=read.ignored_columns,
        time_kind="supplied")
