"""Logs with a timestamp column: CSV with a header, JSON Lines, a JSON array of objects.

Columns: a time column (required), ``posts`` (default 1 per row), ``platform``,
``authorized`` (true/false), ``actor``, ``post_id``, ``url``, ``status``; the time, posts,
post id, URL and platform columns are also found under common names or the names the
caller gives (``calculator.ingest.columns``). Other columns are read past and reported.
Every row is either counted or left out and counted as left out; a row that cannot be
read stops the read with its row number.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from calculator.errors import FieldProblem, InvalidInput, shortened
from calculator.ingest import progress
from calculator.ingest.columns import ColumnMap, ColumnNames
from calculator.ingest.source import LogSource
from calculator.ingest.timestamps import TimestampNotes, to_utc_ns
from calculator.ingest.volume import Volume, VolumeBuilder
from calculator.json_input import JsonReader, JsonRefused

_COUNTED_COLUMNS = ("timestamp", "posts", "platform", "authorized", "post_id")
MAX_HEADER_BYTES = 1 << 20  # a CSV header line longer than this is refused at once
MAX_COLUMNS = 10_000  # and one naming more columns
MAX_COLUMN_NAME = 256  # characters of one column name (the document lists the columns)
MAX_POSTS = 10**12  # posts one row may carry: more is a mistake (and would overflow sums)
MAX_JSON_ELEMENT = 64 << 20  # characters one element of a JSON array may take
_CHUNK = 32 << 20  # bytes of CSV parsed at once: large enough for pyarrow's threads
_NUMBER_ID = r"^(0|[1-9][0-9]{0,17})$"  # a post id that is a number, fitting 64 bits
_JSON_BATCH = 50_000  # records of JSON turned into columns at once
# The csv module refuses fields over 128 KiB by default; lines here are already bounded by
# the blocks they are read in (and the header by MAX_HEADER_BYTES), so any field is read.
csv.field_size_limit(2**31 - 1)
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")
_OFFSET_SAMPLE = r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})\s*$"


@dataclass
class TableRead:
    """What reading a tabular log found: the counted volume and everything left out."""

    format: str
    volume: Volume
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    has_posts_column: bool = False
    excluded_rows: dict[str, int] = field(default_factory=lambda: {
        "other_platforms": 0, "authorized": 0})
    excluded_posts: dict[str, int] = field(default_factory=lambda: {
        "other_platforms": 0, "authorized": 0})
    platform_missing: int = 0  # rows without a platform, counted as the assessed one
    authorized_missing: int = 0  # rows without an authorized value, counted as not authorized
    posts_missing: int = 0  # rows with a posts column but no value there, counted as one
    timestamps: TimestampNotes = field(default_factory=TimestampNotes)
    distinct: Volume | None = None  # occurrences of post ids, when they were asked for
    post_id_missing: int = 0  # counted rows without a post id (not in the distinct count)
    column_map: ColumnMap | None = None  # which of the log's columns carries which fact

    def notes(self, platform: str, assume_tz: str) -> list[str]:
        """Plain sentences for every choice made while reading the log."""
        notes = []
        renamed = self.column_map.renamed() if self.column_map else {}
        if renamed:
            read = "; ".join(f"the {words} from the column {renamed[internal]}"
                             for internal, words in _FACT_WORDS.items() if internal in renamed)
            notes.append(f"Columns read under other names: {read}.")
        stamps = self.timestamps
        if stamps.naive:
            notes.append(f"{plural(stamps.naive, 'timestamp')} had no offset and were read as "
                         f"{assume_tz} (assume_tz).")
        if stamps.ambiguous:
            notes.append(f"{plural(stamps.ambiguous, 'local time')} fell in the hour that "
                         f"{assume_tz} repeats when clocks go back, and were read as its "
                         "first occurrence.")
        if stamps.nonexistent:
            notes.append(f"{plural(stamps.nonexistent, 'local time')} fell in the hour that "
                         f"{assume_tz} skips when clocks go forward, and were moved past the "
                         "gap.")
        if stamps.epoch:
            notes.append(f"{plural(stamps.epoch, 'timestamp')} were epoch seconds (UTC).")
        if not self.has_posts_column:
            notes.append("The log has no posts column: each row counts as one post.")
        if self.posts_missing:
            notes.append(f"{plural(self.posts_missing, 'row')} gave no posts count and were "
                         "counted as one post each.")
        if self.platform_missing:
            notes.append(f"{plural(self.platform_missing, 'row')} named no platform and were "
                         f"counted as {platform}.")
        if self.authorized_missing:
            notes.append(f"{plural(self.authorized_missing, 'row')} gave no authorized value "
                         "and were counted as not authorized.")
        if self.excluded_rows["other_platforms"]:
            notes.append(f"{plural(self.excluded_rows['other_platforms'], 'row')} of other "
                         "platforms were left out.")
        if self.excluded_rows["authorized"]:
            notes.append(f"{plural(self.excluded_rows['authorized'], 'row')} marked "
                         "authorized (made under an agreement) were left out.")
        if self.post_id_missing and self.distinct is not None:
            notes.append(f"{plural(self.post_id_missing, 'row')} had no post_id and are not in "
                         "the distinct count.")
        if self.ignored_columns:
            shown = ", ".join(shortened(n) for n in self.ignored_columns[:20])
            if len(self.ignored_columns) > 20:
                shown += f" and {len(self.ignored_columns) - 20:,} more"
            notes.append(f"Columns not used: {shown}.")
        return notes


_FACT_WORDS = {"timestamp": "time", "posts": "posts", "post_id": "post id", "url": "URL",
               "platform": "platform"}


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


class _Collector:
    """Turns batches of columns into counted instants and exclusion counts."""

    def __init__(self, result: TableRead, platform: str, assume_tz: str) -> None:
        self.result = result
        self.platform = platform
        self.assume_tz = assume_tz
        self.builder = VolumeBuilder()
        self.post_ids: dict[str, int] = {}
        self.has_post_ids = False  # some rows came with a post id column
        self.occurrences: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, table: pa.Table, first_row: int) -> None:
        try:
            self._add(table, first_row)
        except InvalidInput as exc:
            raise _named_as_in_the_log(exc, self.result.column_map) from None

    def _add(self, table: pa.Table, first_row: int) -> None:
        rows = table.num_rows
        if rows == 0:
            return
        names = table.column_names
        instants = to_utc_ns(table.column("timestamp"), self.assume_tz, first_row,
                             self.result.timestamps)
        if "posts" in names:
            posts, missing_posts = _posts(table.column("posts"), first_row,
                                          empty_allowed=self.result.format != "csv")
            self.result.posts_missing += missing_posts
        else:
            posts = np.ones(rows, dtype=np.int64)
        keep = np.ones(rows, dtype=bool)
        if "platform" in names:
            same, missing = _platform_matches(table.column("platform"), self.platform)
            self.result.platform_missing += int(missing.sum())
            other = ~same & ~missing
            self._exclude("other_platforms", other, posts)
            keep &= ~other
        if "authorized" in names:
            authorized, missing = _authorized(table.column("authorized"), first_row)
            self.result.authorized_missing += int(missing.sum())
            left_out = authorized & keep
            self._exclude("authorized", left_out, posts)
            keep &= ~authorized
        self.result.rows += rows
        progress.rows_read(rows)
        self._occurrences(table, instants, keep)
        if keep.all():
            self.builder.add(instants, posts)
        else:
            self.builder.add(instants[keep], posts[keep])

    def _occurrences(self, table: pa.Table, instants: np.ndarray, keep: np.ndarray) -> None:
        """Post ids of the counted rows, as numbers in order of first sight."""
        if "post_id" not in table.column_names:
            self.result.post_id_missing += int(keep.sum())
            return
        self.has_post_ids = True
        ids = pc.utf8_trim_whitespace(table.column("post_id").cast(pa.string()))
        present = np.asarray(pc.fill_null(pc.not_equal(ids, ""), False))
        missing = keep & ~present
        self.result.post_id_missing += int(missing.sum())
        chosen = keep & present
        self.occurrences.append((instants[chosen], self._numbers(ids.filter(chosen))))

    def _numbers(self, ids: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """A number per post id, equal for equal ids only. Ids written as whole numbers
        (X's, Reddit's numeric ids...) are their own number, without a lookup: the text of
        a number without leading zeros names one number and back. Other ids get negative
        numbers in order of first sight."""
        numeric = np.asarray(pc.fill_null(pc.match_substring_regex(ids, _NUMBER_ID), False))
        numbers = np.empty(len(ids), dtype=np.int64)
        if numeric.any():
            numbers[numeric] = np.asarray(ids.filter(numeric).cast(pa.int64()))
        if not numeric.all():
            other = ids.filter(~numeric)
            encoded = pc.dictionary_encode(other).combine_chunks()
            seen = np.array([-1 - self.post_ids.setdefault(value, len(self.post_ids))
                             for value in encoded.dictionary.to_pylist()] or [0],
                            dtype=np.int64)
            numbers[~numeric] = seen[np.asarray(encoded.indices)]
        return numbers

    def distinct(self) -> Volume | None:
        """The distinct-post volume whenever the log has post ids (all three counts are
        reported, decision 0011); None when it has none."""
        if not self.has_post_ids:
            return None
        if not self.occurrences:
            return Volume.of_occurrences(np.zeros(0, np.int64), np.zeros(0, np.int64))
        return Volume.of_occurrences(np.concatenate([o[0] for o in self.occurrences]),
                                     np.concatenate([o[1] for o in self.occurrences]))

    def _exclude(self, reason: str, mask: np.ndarray, posts: np.ndarray) -> None:
        self.result.excluded_rows[reason] += int(mask.sum())
        self.result.excluded_posts[reason] += int(posts[mask].sum())


def _named_as_in_the_log(exc: InvalidInput, column_map: ColumnMap | None) -> InvalidInput:
    """A row's problem under the log's own column name (``ts``, not ``timestamp``): the
    reader works with internal names, the user knows the log's."""
    renamed = column_map.renamed() if column_map else {}
    problems = exc.problems
    if not problems or problems[0].field not in renamed:
        return exc
    internal = problems[0].field
    column = renamed[internal]
    detail = exc.detail
    if problems[0].row is not None:
        detail = detail.replace(f"row {problems[0].row}, {internal}:",
                                f"row {problems[0].row}, {column}:", 1)
    return InvalidInput(detail, problems=[
        replace(p, field=renamed.get(p.field, p.field) if p.field else None)
        for p in problems], **exc.extensions)


def _problem(row: int, column: str, message: str) -> InvalidInput:
    return InvalidInput(f"row {row}, {column}: {message}",
                        problems=[FieldProblem(message, field=column, row=row)])


def _posts(column: pa.ChunkedArray, first_row: int, empty_allowed: bool
           ) -> tuple[np.ndarray, int]:
    """Post counts, and how many rows gave none. A CSV cell that is empty or not a number
    (``NaN``, ``N/A``, ``null``: pyarrow reads them as null) is an error, not one post: only
    a log without the column counts one per row. ``empty_allowed``: a JSON record without
    the key counts one, and the result says how many did."""
    values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = pc.utf8_trim_whitespace(values)
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        whole = pc.match_substring_regex(values, r"^-?\d{1,18}$")
        whole = np.asarray(pc.fill_null(whole, True))
        if not whole.all():
            raise _posts_problem(first_row + int(np.flatnonzero(~whole)[0]))
        values = values.cast(pa.int64())
    elif pa.types.is_floating(values.type) or pa.types.is_decimal(values.type):
        raw = values.to_pylist()
        for index, value in enumerate(raw):
            if value is not None and (value != value or value != int(value)
                                      or abs(value) > MAX_POSTS):
                raise _posts_problem(first_row + index)
        values = pa.array([None if v is None else int(v) for v in raw], pa.int64())
    elif not pa.types.is_integer(values.type) and not pa.types.is_null(values.type):
        raise _posts_problem(first_row)
    missing = values.null_count
    if missing and not empty_allowed:
        index = int(np.flatnonzero(np.asarray(values.is_null()))[0])
        message = ("is empty or not a number (NaN, N/A, null); give a whole number of posts, "
                   "or leave out the posts column to count one post per row")
        raise _problem(first_row + index, "posts", message)
    result = np.asarray(pc.fill_null(values.cast(pa.int64()), 1))
    wrong = np.flatnonzero((result < 0) | (result > MAX_POSTS))
    if len(wrong):
        raise _posts_problem(first_row + int(wrong[0]))
    return result, missing


def _posts_problem(row: int) -> InvalidInput:
    return _problem(row, "posts", f"is not a whole number of posts from 0 to {MAX_POSTS:,}")


def _platform_matches(column: pa.ChunkedArray, platform: str) -> tuple[np.ndarray, np.ndarray]:
    values = pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))
    missing = np.asarray(pc.fill_null(pc.equal(values, ""), True))
    same = np.asarray(pc.fill_null(pc.equal(values, platform), False))
    return same, missing


def _authorized(column: pa.ChunkedArray, first_row: int) -> tuple[np.ndarray, np.ndarray]:
    values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_boolean(values.type):
        missing = np.asarray(values.is_null())
        return np.asarray(pc.fill_null(values, False)), missing
    text = pc.utf8_lower(pc.utf8_trim_whitespace(values.cast(pa.string())))
    missing = np.asarray(pc.fill_null(pc.equal(text, ""), True))
    true = np.asarray(pc.fill_null(pc.is_in(text, pa.array(_TRUE)), False))
    false = np.asarray(pc.fill_null(pc.is_in(text, pa.array(_FALSE)), False))
    bad = ~(true | false | missing)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise _problem(first_row + index, "authorized",
                       "is not true or false (also accepted: 1/0, yes/no)")
    return true, missing


# -- CSV -------------------------------------------------------------------------------------

def _csv_header(stream: io.BufferedReader) -> list[str]:
    """The column names of the first line, refused at once when the line is absurd: over
    ``MAX_HEADER_BYTES`` or ``MAX_COLUMNS`` (a few megabytes of header once held a worker
    for minutes), not UTF-8, or broken by a bare carriage return."""
    line = stream.readline(MAX_HEADER_BYTES + 1)
    if len(line) > MAX_HEADER_BYTES and not line.endswith(b"\n"):
        raise _header_problem(f"the CSV header (line 1) is longer than {MAX_HEADER_BYTES:,} "
                              "bytes; a log needs a few columns")
    try:
        text = line.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise _header_problem(f"the CSV header (line 1) is not UTF-8 text (byte {exc.start} "
                              "cannot be read); save the log as UTF-8") from None
    if "\r" in text:
        raise _header_problem(
            f"the CSV header (line 1) has a carriage return at character {text.index(chr(13))} "
            "that does not end the line; lines must end with LF or CRLF")
    if text.count(",") >= MAX_COLUMNS:
        raise _header_problem(f"the CSV header (line 1) names more than {MAX_COLUMNS:,} "
                              "columns; a log needs a few")
    names = [n.strip() for n in next(csv.reader([text]), [])]
    longest = max(range(len(names)), key=lambda k: len(names[k]), default=0)
    if names and len(names[longest]) > MAX_COLUMN_NAME:
        raise _header_problem(f"the CSV header (line 1) names a column of "
                              f"{len(names[longest]):,} characters (column {longest + 1}); "
                              f"a column name may have at most {MAX_COLUMN_NAME}")
    return names


def _header_problem(message: str) -> InvalidInput:
    return InvalidInput(message, problems=[FieldProblem(message, row=0)])


def _csv_types(names: list[str], sample: bytes) -> dict[str, pa.DataType]:
    """Types for the fast parse, chosen from the first rows; a chunk that does not fit them
    is read again as text and checked row by row."""
    types: dict[str, pa.DataType] = {n: pa.string() for n in names if n in _COUNTED_COLUMNS}
    if "posts" in types:
        types["posts"] = pa.int64()
    if "authorized" in types:
        types["authorized"] = pa.bool_()
    try:
        table = pacsv.read_csv(io.BytesIO(sample), read_options=pacsv.ReadOptions(
            column_names=names), convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), include_columns=["timestamp"]))
        values = table.column("timestamp")
        if len(values) and pc.all(pc.match_substring_regex(values, _OFFSET_SAMPLE)).as_py():
            types["timestamp"] = pa.timestamp("ns", tz="UTC")
    except (pa.ArrowInvalid, KeyError):
        pass
    return types


def _read_csv(stream: io.BufferedReader, result: TableRead, collector: _Collector,
              columns: ColumnNames) -> None:
    """Parse and count block by block: a worker parses and counts one block while this
    thread reads and hashes the next (pyarrow, numpy and hashlib release the interpreter
    lock, so the two overlap). One worker keeps the blocks in order, so rows number right."""
    names = _csv_header(stream)
    lowered = [n.lower() for n in names]
    duplicates = {n for n, times in Counter(lowered).items() if times > 1}
    if duplicates:
        shown = ", ".join(shortened(n) for n in sorted(duplicates)[:10])
        raise InvalidInput(f"the CSV header names {shown} more than once")
    column_map = columns.resolve(lowered, "the CSV header")
    if column_map.source_of("timestamp") is None:
        raise columns.no_time_column(names, "the CSV header")
    result.column_map = column_map
    result.columns = lowered
    result.ignored_columns = [n for n in lowered if column_map.internal(n) is None]
    # The parse names columns by what they carry; a column not read gets a name that no
    # fact has (names with a space), so a "posts" column is not read when another was named.
    lowered = [column_map.internal(n) or f"unused {i}" for i, n in enumerate(lowered)]
    result.has_posts_column = "posts" in lowered
    # post_id is read as text (ids outgrow 64-bit numbers).
    wanted = [n for n in lowered if n in _COUNTED_COLUMNS]
    types = _csv_types(lowered, stream.peek(1 << 16)[: 1 << 16].rsplit(b"\n", 1)[0])
    width = len(lowered)

    def count(block: memoryview | bytes, parsed: Future) -> None:
        table = parsed.result()
        if isinstance(table, Exception):
            raise _csv_structure_problem(block, width, result.rows + 1, table)
        collector.add(table, result.rows + 1)

    # Three stages at once: this thread reads and hashes block k+2 while one worker parses
    # block k+1 and another counts block k. Each stage keeps the blocks in order, so rows
    # number right; at most two blocks are in the stages (three buffers in turn).
    blocks = _Blocks(stream)
    with ThreadPoolExecutor(max_workers=1) as parser, \
            ThreadPoolExecutor(max_workers=1) as counter:
        in_flight: list[Future] = []
        while block := blocks.next():
            parsed = parser.submit(_parse_csv_block, block, lowered, wanted, types)
            in_flight.append(counter.submit(count, block, parsed))
            if len(in_flight) > 1:
                in_flight.pop(0).result()
        for future in in_flight:
            future.result()


class _Blocks:
    """Whole lines of a stream, about ``_CHUNK`` bytes at a time: the bytes after the last
    newline are carried into the next block. A few buffers are reused in turn (a fresh
    32 MB buffer per block costs more in page faults than its parse); at most ``pool - 1``
    blocks may be in use at once. Blocks grow from 1 MB, so a small log stays cheap."""

    def __init__(self, stream: io.BufferedReader, pool: int = 3) -> None:
        self.stream = stream
        self.tail = b""
        self.buffers = [bytearray() for _ in range(pool)]
        self.turn = 0
        self.size = 1 << 20

    def next(self) -> memoryview | bytes:
        buffer = self.buffers[self.turn]
        self.turn = (self.turn + 1) % len(self.buffers)
        if len(buffer) < len(self.tail):
            buffer.extend(bytes(len(self.tail) - len(buffer)))
        buffer[: len(self.tail)] = self.tail
        filled, self.tail = len(self.tail), b""
        # A line longer than a block grows this buffer (never another one: the others may
        # hold blocks still being parsed) until its newline or the end of the stream.
        while True:
            end = filled + self.size
            if len(buffer) < end:
                buffer.extend(bytes(end - len(buffer)))
            with memoryview(buffer) as view:
                count = self.stream.readinto(view[filled:end]) or 0
            self.size = min(self.size * 2, _CHUNK)
            if count == 0:  # the stream is done: what is left is the last line
                last = bytes(buffer[:filled])
                return last + b"\n" if last.strip() else b""
            cut = buffer.rfind(b"\n", filled, filled + count) + 1
            filled += count
            if cut:
                self.tail = bytes(buffer[cut:filled])
                return memoryview(buffer)[:cut]


def _parse_csv_block(block: memoryview | bytes, names: list[str], wanted: list[str],
                     types: dict[str, pa.DataType]) -> pa.Table | pa.ArrowInvalid:
    """The block as a table; the parse error itself when it is not CSV of the header's shape.
    When the fast types do not fit, everything is read as text and checked column by column."""
    buffer = pa.py_buffer(block)
    error = pa.ArrowInvalid("no parse")
    for column_types in (types, dict.fromkeys(wanted, pa.string())):
        try:
            return _read_csv_buffer(buffer, names, wanted, column_types)
        except pa.ArrowInvalid as exc:
            error = exc
    return error


def _read_csv_buffer(buffer: pa.Buffer, names: list[str], wanted: list[str],
                     column_types: dict[str, pa.DataType]) -> pa.Table:
    convert = pacsv.ConvertOptions(column_types=column_types, include_columns=wanted,
                                   strings_can_be_null=True)
    try:
        return pacsv.read_csv(pa.BufferReader(buffer), convert_options=convert,
                              read_options=pacsv.ReadOptions(column_names=names,
                                                             block_size=8 << 20))
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc):
            raise
    # A line longer than pyarrow's block (a 7 MiB field): the whole buffer as one block.
    return pacsv.read_csv(pa.BufferReader(buffer), convert_options=convert,
                          read_options=pacsv.ReadOptions(column_names=names,
                                                         block_size=len(buffer) + 1))


def _csv_structure_problem(block: memoryview | bytes, width: int, first_row: int,
                           exc: Exception) -> InvalidInput:
    """Which row of a block pyarrow could not read, and why, without the row's content
    (pyarrow's own message quotes the row, so it is not passed on)."""
    data = bytes(block)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        before = data[:bad.start]
        complete = before[: before.rfind(b"\n") + 1].decode("utf-8", "replace")
        row = first_row + sum(1 for fields in csv.reader(complete.splitlines()) if fields)
        message = "not UTF-8 text; save the log as UTF-8"
        return InvalidInput(f"row {row}: {message}", problems=[FieldProblem(message, row=row)])
    row = first_row
    for fields in csv.reader(text.splitlines()):
        if not fields:
            continue
        if len(fields) != width:
            return InvalidInput(
                f"row {row}: expected {width} fields as in the header, found {len(fields)}",
                problems=[FieldProblem(f"expected {width} fields, found {len(fields)}",
                                       row=row)])
        row += 1
    return InvalidInput(f"rows from {first_row}: the CSV cannot be read (a quote that is "
                        "never closed, or a line the CSV rules do not allow)")


# -- JSON ------------------------------------------------------------------------------------

def _json_column_map(records: list[tuple[int, Any]], result: TableRead,
                     names: ColumnNames) -> ColumnMap:
    """Which key carries which fact, from the keys of a batch of records; every batch must
    agree with the first, so one log is read one way throughout."""
    keys: dict[str, None] = {}
    for row, record in records:
        if not isinstance(record, dict):
            raise InvalidInput(f"row {row}: expected a JSON object with a time, found "
                               f"{type(record).__name__}",
                               problems=[FieldProblem("expected a JSON object", row=row)])
        keys.update(dict.fromkeys(k.lower() for k in record))
    found = names.resolve(list(keys), "the JSON records")
    if found.source_of("timestamp") is None:
        raise names.no_time_column(list(keys), f"the JSON records (from row {records[0][0]})")
    if result.column_map is None:
        result.column_map = found
    elif found.internal_of != result.column_map.internal_of:
        row = records[0][0]
        message = ("these records name their columns differently from the records before "
                   "them; name the columns to read (the column options)")
        raise InvalidInput(f"row {row}: {message}", problems=[FieldProblem(message, row=row)])
    return found


def _json_columns(records: list[tuple[int, Any]], result: TableRead,
                  names: ColumnNames) -> pa.Table:
    """Records (row, object) as a table of the counted columns."""
    column_map = _json_column_map(records, result, names)
    columns: dict[str, list[Any]] = {}
    for index, (_row, record) in enumerate(records):
        for key, value in record.items():
            name = column_map.internal(key)
            if name not in _COUNTED_COLUMNS:
                if name is None and key.lower() not in result.ignored_columns:
                    result.ignored_columns.append(key.lower())
                continue
            columns.setdefault(name, [None] * index)
            columns[name].append(value)
        for values in columns.values():
            if len(values) < index + 1:
                values.append(None)
    if "posts" in columns:
        result.has_posts_column = True
    arrays = {}
    for name, values in columns.items():
        if name == "timestamp":
            arrays[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
        elif name == "posts":
            arrays[name] = _json_posts(values, records)
        elif name == "authorized":
            arrays[name] = pa.array([None if v is None else str(v).lower() for v in values],
                                    pa.string())
        else:
            arrays[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.table(arrays)


def _json_posts(values: list[Any], records: list[tuple[int, Any]]) -> pa.Array:
    checked = []
    for value, (row, _) in zip(values, records, strict=True):
        if value is None:
            checked.append(None)  # not given: counts one, and the result says how many
        elif _whole_posts(value):
            checked.append(int(value))
        else:
            raise _posts_problem(row)
    return pa.array(checked, pa.int64())


def _whole_posts(value: Any) -> bool:
    """A JSON number that is a whole count of posts in range (1e30, NaN and 2.5 are not)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return False
    if isinstance(value, Decimal) and not value.is_finite():
        return False
    return 0 <= value <= MAX_POSTS and value == int(value)


def _json_problem(where: str, number: int, exc: ValueError) -> InvalidInput:
    """A JSON text that cannot be read, by its line or element number; the parser's reason,
    never the text."""
    if isinstance(exc, JsonRefused):
        message = exc.message + (f" (at {exc.path})" if exc.path else "")
    elif isinstance(exc, json.JSONDecodeError):
        message = f"not valid JSON ({exc.msg})"
    elif isinstance(exc, UnicodeDecodeError):
        message = f"not UTF-8 text (byte {exc.start} of the {where} cannot be read)"
    else:  # int() of a number with thousands of digits, and the like
        message = "not valid JSON (a number that cannot be read)"
    return InvalidInput(f"{where} {number}: {message}",
                        problems=[FieldProblem(message, row=number)])


def _jsonl_records(stream: io.BufferedIOBase, result: TableRead, names: ColumnNames
                   ) -> Iterator[tuple[pa.Table, int]]:
    """JSON Lines (bytes), decoded line by line, so a bad byte or bad JSON is named by its
    line; keys given twice and nesting too deep are refused."""
    reader = JsonReader(decimal=True)
    records: list[tuple[int, Any]] = []
    for line_number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            records.append((line_number, reader.loads(line.decode("utf-8"))))
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, JsonRefused
            if line_number == 1 and isinstance(exc, json.JSONDecodeError):
                _refuse_one_document(line, stream)
            raise _json_problem("line", line_number, exc) from None
        if len(records) >= _JSON_BATCH:
            yield _json_columns(records, result, names), records[0][0]
            records = []
    if records:
        yield _json_columns(records, result, names), records[0][0]


_ONE_DOCUMENT_LIMIT = 8 << 20  # characters read to tell one pretty-printed document


def _refuse_one_document(first_line: bytes, stream: io.BufferedReader) -> None:
    """A first line that is not JSON may start one JSON document spread over lines (a
    pretty-printed object): if it is one, say so, rather than that line 1 is not JSON."""
    rest = stream.read(_ONE_DOCUMENT_LIMIT)
    try:
        document = json.loads((first_line + rest).decode("utf-8"))
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
        return
    kind = {dict: "object", str: "string", bool: "value"}.get(type(document), "value")
    raise InvalidInput(
        f"the log is one valid JSON {kind}, in no format this service reads: not JSON "
        "Lines or a JSON array of records with a time column, and not a crawler's JSON (HAR, "
        "scraper JSON, X GraphQL pages, twarc2). Send the records one per line or in an array, "
        "each with its time")


def _json_array_tables(stream: io.BufferedReader, result: TableRead, names: ColumnNames
                       ) -> Iterator[tuple[pa.Table, int]]:
    """A JSON array of objects, decoded one element at a time so it never sits whole.

    The text is read in blocks; an element cut by the end of a block is decoded again
    once more text is there (only the end of the log makes it an error), up to
    ``MAX_JSON_ELEMENT`` characters for one element."""
    reader = JsonReader(decimal=True)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    buffer, position, element, line = "", 0, 0, 1
    records: list[tuple[int, Any]] = []
    state = "start"
    ended = False

    def more() -> bool:
        """Read on (at least as much again as is held, so a long element costs linear
        time); False at the end of the log."""
        nonlocal buffer, position, ended, line
        if ended:
            return False
        line += buffer.count("\n", 0, position)
        size = max(1 << 20, len(buffer) - position)
        data = stream.read(size)
        try:
            chunk = decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            bad = line + buffer.count("\n", position) + \
                data[:exc.start].count(b"\n")
            message = "not UTF-8 text; save the log as UTF-8"
            raise InvalidInput(f"line {bad}: {message}",
                               problems=[FieldProblem(message, line=bad)]) from None
        ended = not data
        buffer = buffer[position:] + chunk
        position = 0
        return bool(data)

    while True:
        while position < len(buffer) and buffer[position] in " \t\r\n":
            position += 1
        if position >= len(buffer):
            if more():
                continue
            raise InvalidInput(f"the JSON array ends early, after element {element}")
        char = buffer[position]
        if state == "start":
            if char != "[":
                raise InvalidInput("expected a JSON array of objects")
            position += 1
            state = "first"
            continue
        if state in ("first", "after") and char == "]":
            break
        if state == "after":
            if char != ",":
                raise InvalidInput(f"element {element}: expected ',' or ']' after it")
            position += 1
            state = "value"
            continue
        try:
            value, end = reader.raw_decode(buffer, position)
        except (json.JSONDecodeError, JsonRefused) as exc:
            # Cut by the end of the block (an unterminated string, a missing bracket):
            # decode it again with more text, unless the log has ended.
            if not isinstance(exc, JsonRefused) and len(buffer) - position <= MAX_JSON_ELEMENT \
                    and more():
                continue
            raise _json_problem("element", element + 1, exc) from None
        except ValueError as exc:
            raise _json_problem("element", element + 1, exc) from None
        if end >= len(buffer) and more():
            continue  # a number may go on in the next chunk: decode it again whole
        element += 1
        records.append((element, value))
        position = end
        state = "after"
        if len(records) >= _JSON_BATCH:
            yield _json_columns(records, result, names), records[0][0]
            records = []
    if records:
        yield _json_columns(records, result, names), records[0][0]


_JSON_READERS = {"jsonl": _jsonl_records, "json": _json_array_tables}


Collector = _Collector  # shared by the readers of every tabular form


def read_table(source: LogSource, fmt: str, platform: str, assume_tz: str,
               columns: ColumnNames | None = None, shared: Collector | None = None
               ) -> TableRead:
    """Read a CSV, JSON Lines or JSON array log into counted instants (and, when it has
    post ids, their occurrences for the distinct count); ``columns`` names
    the columns that carry the time, posts, post id, URL or platform when their common
    names do not.

    With ``shared``, the rows are counted into that collector, which the files of one log
    share (so post ids are told apart across files), and the result holds this file's
    rows and notes only: its volume is built once, by the caller, from the collector."""
    columns = columns or ColumnNames()
    result = TableRead(format=fmt, volume=Volume.empty())
    collector = shared or _Collector(result, platform, assume_tz)
    collector.result = result
    try:
        if fmt == "csv":
            _read_csv(source.stream, result, collector, columns)
        elif fmt == "jsonl":
            from calculator.ingest.jsonl_arrow import read_jsonl  # it builds on this module

            read_jsonl(source.stream, result, collector, columns)
        else:
            for table, first_row in _JSON_READERS[fmt](source.stream, result, columns):
                collector.add(table, first_row)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the log is not UTF-8 text (bad byte at position {exc.start} of a "
                           "block)") from None
    return finish_table(result, collector, shared is None)


def finish_table(result: TableRead, collector: Collector, whole: bool) -> TableRead:
    """Refuse a log without rows; for a whole log (not one file of several), build its
    volumes from the collector."""
    if whole:
        if result.rows == 0:
            raise InvalidInput("the log has no rows: nothing to assess")
        result.volume = collector.builder.build()
        result.distinct = collector.distinct()
    return result
