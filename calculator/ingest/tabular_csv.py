"""CSV logs with a header: the header's checks and the character that separates its fields,
the types of the fast parse, the blocks of whole lines parsed and counted in turn, and which
row a block that cannot be parsed fails at.

Fields may be separated by commas, tabs (TSV, as spreadsheets and BigQuery export) or
semicolons (CSV as Excel writes it where the comma is the decimal mark): the header shows
which (``header_delimiter``), and the whole file is read with it (decision 0158)."""

from __future__ import annotations

import csv
import io
import mmap
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from calculator.errors import FieldProblem, InvalidInput, shortened
from calculator.ingest import compiled_reads
from calculator.ingest.appended_columns import anonymous_memory
from calculator.ingest.columns import ColumnNames
from calculator.ingest.csv_records import record_end
from calculator.ingest.pipeline import pipelined
from calculator.ingest.plain_values import NO_VALUE_TEXTS
from calculator.ingest.table_read import (
    COUNTED_COLUMNS,
    LONGEST_LINE,
    MAX_COLUMN_NAME,
    MAX_COLUMNS,
    TableRead,
    line_too_long,
)
from calculator.ingest.tabular_rows import _Collector

MAX_HEADER_BYTES = 1 << 20  # a CSV header line longer than this is refused at once
_CHUNK = 32 << 20  # bytes of CSV parsed at once: large enough for pyarrow's threads
_LONGEST_QUOTED = 256 << 20  # bytes one record of quoted values may run on for
# The csv module refuses fields over 128 KiB by default; lines here are already bounded by
# the blocks they are read in (and the header by MAX_HEADER_BYTES), so any field is read.
csv.field_size_limit(2**31 - 1)
# The characters that may separate fields, in the order they are tried on a header.
DELIMITERS = (",", "\t", ";")
_OFFSET_SAMPLE = r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})\s*$"
# The form the read's compiled pass takes (``compiled_reads.utc_instants``).
_COMMON_SAMPLE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$"


def header_delimiter(line: str, columns: ColumnNames) -> str:
    """The character that separates a header's fields: the first of ``DELIMITERS`` by which
    the line names a time column; else the first that splits it at all (a header without a
    time column is then refused by its names); else a comma."""
    splits = [(d, next(csv.reader([line], delimiter=d), [])) for d in DELIMITERS]
    for delimiter, names in splits:
        if columns.has_time_column(names):
            return delimiter
    return next((d for d, names in splits if len(names) > 1), ",")


def _csv_header(stream: io.BufferedReader, columns: ColumnNames) -> tuple[list[str], str]:
    """The column names of the first line and the character between them, refused at once
    when the line is absurd: over ``MAX_HEADER_BYTES`` or ``MAX_COLUMNS`` (a few megabytes
    of header once held a worker for minutes), not UTF-8, or broken by a bare carriage
    return."""
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
    if max(text.count(d) for d in DELIMITERS) >= MAX_COLUMNS:
        raise _header_problem(f"the CSV header (line 1) names more than {MAX_COLUMNS:,} "
                              "columns; a log needs a few")
    delimiter = header_delimiter(text, columns)
    names = [n.strip() for n in next(csv.reader([text], delimiter=delimiter), [])]
    longest = max(range(len(names)), key=lambda k: len(names[k]), default=0)
    if names and len(names[longest]) > MAX_COLUMN_NAME:
        raise _header_problem(f"the CSV header (line 1) names a column of "
                              f"{len(names[longest]):,} characters (column {longest + 1}); "
                              f"a column name may have at most {MAX_COLUMN_NAME}")
    return names, delimiter


def _header_problem(message: str) -> InvalidInput:
    return InvalidInput(message, problems=[FieldProblem(message, row=0)])


def _csv_types(names: list[str], sample: bytes, delimiter: str
               ) -> tuple[dict[str, pa.DataType], bool]:
    """Types for the fast parse, chosen from the first rows, and whether their timestamps
    are in the common form that the read's compiled pass takes as text; a chunk that does
    not fit them is read again as text and checked row by row."""
    types: dict[str, pa.DataType] = {n: pa.string() for n in names if n in COUNTED_COLUMNS}
    if "posts" in types:
        types["posts"] = pa.int64()
    if "authorized" in types:
        types["authorized"] = pa.bool_()
    try:
        table = pacsv.read_csv(io.BytesIO(sample), read_options=pacsv.ReadOptions(
            column_names=names), parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), include_columns=["timestamp"]))
        values = table.column("timestamp")
        if len(values) and pc.all(pc.match_substring_regex(values, _OFFSET_SAMPLE)).as_py():
            types["timestamp"] = pa.timestamp("ns", tz="UTC")
            return types, pc.all(pc.match_substring_regex(values, _COMMON_SAMPLE)).as_py()
    except (pa.ArrowInvalid, KeyError):
        pass
    return types, False


def _read_csv(stream: io.BufferedReader, result: TableRead, collector: _Collector,
              columns: ColumnNames) -> None:
    """Parse and count block by block: a worker parses and counts one block while this
    thread reads and hashes the next (pyarrow, numpy and hashlib release the interpreter
    lock, so the two overlap). One worker keeps the blocks in order, so rows number right."""
    names, delimiter = _csv_header(stream, columns)
    result.delimiters.add(delimiter)
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
    wanted = [n for n in lowered if n in COUNTED_COLUMNS]
    types, common = _csv_types(lowered, stream.peek(1 << 16)[: 1 << 16].rsplit(b"\n", 1)[0],
                               delimiter)
    # Timestamps in the common form are read as text once the read's compiled pass is
    # loaded: it reads a log in time order from each text's seconds on, where Arrow's
    # parse of the CSV into instants reads every text whole.
    as_text = {**types, "timestamp": pa.string()} if common else types
    width = len(lowered)
    cutter = _Blocks(stream, delimiter)

    def count(block: memoryview | bytes, parsed: Future) -> None:
        table = parsed.result()
        if isinstance(table, Exception):
            raise _csv_structure_problem(block, width, result.rows + 1, table, delimiter)
        collector.add(table, result.rows + 1)
        if block is cutter.unclosed:  # its last row is the one whose quote opens the rest
            message = ("a quoted value is never closed: from its opening quote on, the rest "
                       "of the log would be one value; close the quote or remove it")
            raise InvalidInput(f"row {result.rows}: {message}",
                               problems=[FieldProblem(message, row=result.rows)])

    # Three stages at once: this thread reads and hashes block k+2 while one worker parses
    # block k+1 and another counts block k. Each stage keeps the blocks in order, so rows
    # number right; at most two blocks are in the stages (three buffers in turn).
    def blocks() -> Iterator[memoryview | bytes]:
        while block := cutter.next():
            yield block

    pipelined(blocks(), lambda block: _parse_csv_block(
        block, lowered, wanted, as_text if compiled_reads.loaded() else types, delimiter),
        count)


class _Blocks:
    """Whole lines of a stream, about ``_CHUNK`` bytes at a time: the bytes after the last
    newline are carried into the next block. A few buffers are reused in turn; at most
    ``pool - 1`` blocks may be in use at once. Blocks grow from 1 MB, so that the first is
    parsed soon. Each buffer is anonymous memory with room for two blocks (a page costs
    nothing until read into): a bytearray grown to 32 MB was zeroed, then copied as it grew,
    then read into, three writes of every page where the read's is the only one here."""

    def __init__(self, stream: io.BufferedReader, delimiter: str | None = None,
                 pool: int = 3) -> None:
        """``delimiter``: the text is CSV with that delimiter, cut where a record ends,
        quotes considered (``csv_records``); None: lines (JSON Lines)."""
        self.stream = stream
        self.delimiter = delimiter
        self.tail = b""
        self.buffers: list[mmap.mmap | None] = [None] * pool
        self.turn = 0
        self.size = 1 << 20
        self.unclosed: bytes | None = None  # the last block, when it ends inside quotes

    def next(self) -> memoryview | bytes:
        turn = self.turn
        self.turn = (self.turn + 1) % len(self.buffers)
        buffer = self._room(turn, len(self.tail), len(self.tail) + self.size)
        buffer[: len(self.tail)] = self.tail
        filled, self.tail = len(self.tail), b""
        # A line longer than a block grows this buffer (never another one: the others may
        # hold blocks still being parsed) until its newline or the end of the stream.
        while True:
            end = filled + self.size
            buffer = self._room(turn, filled, end)
            with memoryview(buffer) as view:
                count = self.stream.readinto(view[filled:end]) or 0
            self.size = min(self.size * 2, _CHUNK)
            if count == 0:  # the stream is done: what is left is the last line
                last = buffer[:filled]
                if not last.strip():
                    return b""
                last += b"\n"
                if self.delimiter is not None and b'"' in last and \
                        record_end(last, self.delimiter, len(last))[1]:
                    self.unclosed = last
                return last
            cut = buffer.rfind(b"\n", filled, filled + count) + 1
            filled += count
            if cut and self.delimiter is not None and buffer.find(b'"', 0, filled) >= 0:
                with memoryview(buffer) as view:
                    cut, _ = record_end(view[:filled], self.delimiter, cut)
                if not cut and filled > _LONGEST_QUOTED:
                    raise InvalidInput(
                        f"a quoted value runs on past {_LONGEST_QUOTED >> 20} MiB of the log: a "
                        "quote is never closed; close the quote or remove it")
            # Only a line begun in an earlier read makes the buffer this long; it is the
            # buffer's first line, whether or not it has ended yet.
            if filled > LONGEST_LINE and not 0 <= buffer.find(b"\n", 0, filled) \
                    <= LONGEST_LINE and (self.delimiter is None
                                         or buffer.find(b'"', 0, filled) < 0):
                raise line_too_long()
            if cut:
                self.tail = buffer[cut:filled]
                return memoryview(buffer)[:cut]

    def _room(self, turn: int, kept: int, needed: int) -> mmap.mmap:
        """The turn's buffer with room for ``needed`` bytes, its first ``kept`` kept."""
        buffer = self.buffers[turn]
        if buffer is None or len(buffer) < needed:
            grown = anonymous_memory(max(needed, 2 * _CHUNK, 2 * len(buffer or b"")))
            if buffer is not None and kept:
                grown[:kept] = buffer[:kept]
            self.buffers[turn] = buffer = grown
        return buffer


def _parse_csv_block(block: memoryview | bytes, names: list[str], wanted: list[str],
                     types: dict[str, pa.DataType], delimiter: str
                     ) -> pa.Table | pa.ArrowInvalid:
    """The block as a table; the parse error itself when it is not CSV of the header's shape.
    When the fast types do not fit, everything is read as text and checked column by column."""
    buffer = pa.py_buffer(block)
    error = pa.ArrowInvalid("no parse")
    for column_types in (types, dict.fromkeys(wanted, pa.string())):
        try:
            return _read_csv_buffer(buffer, names, wanted, column_types, delimiter)
        except pa.ArrowInvalid as exc:
            error = exc
    return error


def _read_csv_buffer(buffer: pa.Buffer, names: list[str], wanted: list[str],
                     column_types: dict[str, pa.DataType], delimiter: str) -> pa.Table:
    convert = pacsv.ConvertOptions(column_types=column_types, include_columns=wanted,
                                   strings_can_be_null=True, null_values=list(NO_VALUE_TEXTS))
    parse = pacsv.ParseOptions(delimiter=delimiter)
    try:
        return pacsv.read_csv(pa.BufferReader(buffer), convert_options=convert,
                              parse_options=parse,
                              read_options=pacsv.ReadOptions(column_names=names,
                                                             block_size=8 << 20))
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc) and "out of sync" not in str(exc):
            raise
    # A line longer than pyarrow's block (a 7 MiB field), or quoted values holding newlines
    # (which pyarrow's cutting into its blocks does not look for unless told): the whole
    # buffer as one block, newlines in values looked for.
    return pacsv.read_csv(pa.BufferReader(buffer), convert_options=convert,
                          parse_options=pacsv.ParseOptions(delimiter=delimiter,
                                                           newlines_in_values=True),
                          read_options=pacsv.ReadOptions(column_names=names,
                                                         block_size=len(buffer) + 1))


def _csv_structure_problem(block: memoryview | bytes, width: int, first_row: int,
                           exc: Exception, delimiter: str) -> InvalidInput:
    """Which row of a block pyarrow could not read, and why, without the row's content
    (pyarrow's own message quotes the row, so it is not passed on)."""
    data = bytes(block)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        before = data[:bad.start]
        complete = before[: before.rfind(b"\n") + 1].decode("utf-8", "replace")
        row = first_row + sum(1 for fields in csv.reader(complete.splitlines(),
                                                         delimiter=delimiter) if fields)
        message = "not UTF-8 text; save the log as UTF-8"
        return InvalidInput(f"row {row}: {message}", problems=[FieldProblem(message, row=row)])
    row = first_row
    for fields in csv.reader(text.splitlines(), delimiter=delimiter):
        if not fields:
            continue
        if len(fields) != width:
            message = f"expected {width} fields as in the header, found {len(fields)}"
            return InvalidInput(f"row {row}: {message}",
                                problems=[FieldProblem(message, row=row)])
        row += 1
    return InvalidInput(f"rows from {first_row}: the CSV cannot be read (a quote that is "
                        "never closed, or a line the CSV rules do not allow)")
