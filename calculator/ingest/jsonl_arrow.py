"""JSON Lines at Arrow's speed, with the row and field errors of the strict reader.

The log is cut into blocks of whole lines. Each block is parsed by ``pyarrow.json`` (on
several threads) when it is plain: valid UTF-8, one object per line, no blank lines,
nesting no deeper than ``_SAFE_DEPTH`` (Arrow's parser recurses, and a hostile line
nested a hundred thousand deep would crash it), and every counted column of a type the
strict reader reads the same way (text or whole numbers for the time, whole numbers for
posts...). Anything else, and any block whose rows the counting refuses, is read again
by the strict reader (``tabular``), line by line, which gives the very answer or error
it always gave, with its line number. So a fast read and a strict read never differ.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from concurrent.futures import Future

import numpy as np
import pyarrow as pa
import pyarrow.json as pajson

from calculator.errors import InvalidInput
from calculator.ingest.columns import ColumnNames
from calculator.ingest.pipeline import pipelined
from calculator.ingest.table_read import MAX_COLUMN_NAME
from calculator.ingest.tabular import (
    COUNTED_COLUMNS,
    TableRead,
    _Blocks,
    _Collector,
    _json_column_map,
    _jsonl_records,
)

_SAFE_DEPTH = 1_000  # brackets deep that Arrow's recursive parser is given at most
# Arrow's reader keeps a value (or a null) for every key it has seen in every row of a
# block, so its time and memory grow with rows times keys: records of one key each, all
# different, took 16 s for 4 MB (200,000 rows naming 2,000 keys) and under 1 MB of them
# over 3 GB. A block is parsed by Arrow only when its rows times the keys it may name stay
# within this many per byte of the block (a record of real keys and values spends several
# bytes on each); other blocks go to the strict reader, whose cost follows the bytes.
_CELLS_PER_BYTE = 0.5
_PROBE = 64 << 10  # bytes of a block's first lines parsed to learn its keys and their types
_READ = pajson.ReadOptions(use_threads=True, block_size=4 << 20)


def _nesting_is_safe(block: bytes | memoryview, ends: np.ndarray) -> bool:
    """No line nests deeper than ``_SAFE_DEPTH`` (only long lines can, so only they are
    looked at; brackets inside strings count too, which only errs on the safe side)."""
    starts = np.concatenate(([0], ends[:-1] + 1))
    for start, end in zip(starts[ends - starts > _SAFE_DEPTH], ends[ends - starts > _SAFE_DEPTH],
                          strict=True):
        line = np.frombuffer(block, dtype=np.uint8, count=int(end - start), offset=int(start))
        steps = ((line == 0x5B) | (line == 0x7B)).astype(np.int32) - \
            ((line == 0x5D) | (line == 0x7D))
        if len(steps) and int(np.cumsum(steps).max()) > _SAFE_DEPTH:
            return False
    return True


def _parse(block: bytes | memoryview, names: ColumnNames, ends: np.ndarray | None = None,
           known: pa.Schema | None = None) -> tuple[pa.Table | None, int, pa.Schema | None]:
    """The block parsed by Arrow (None when it is not plain enough to read fast, or would
    cost more than its bytes: see the module's notes), its number of lines (``ends``: where
    they end, when known), and the keys and types learnt so far (``known``: those of the
    blocks before).

    The keys are learnt from the block's first lines (at most ``_PROBE`` bytes, so few
    keys can cost there), and the whole block is then parsed with exactly those: a record
    naming another key, or a value of another type, fails the parse, and the strict reader
    reads the block."""
    data = np.frombuffer(block, dtype=np.uint8)
    if ends is None:
        ends = np.flatnonzero(data == 0x0A)
    if len(ends) == 0:
        return None, 0, known
    if len(data) and data.max() >= 0x80:  # ASCII is UTF-8 (a check far cheaper than decoding)
        try:
            str(block, "utf-8")
        except UnicodeDecodeError:
            return None, len(ends), known
    if not _nesting_is_safe(block, ends):
        return None, len(ends), known
    # Arrow reads text that looks like a date as a date, and drops its offset (or the lack
    # of one): the time column is read as text, under the name the first record gives it.
    try:
        first = json.loads(bytes(block[: int(ends[0])]))
    except (ValueError, RecursionError):
        return None, len(ends), known
    if not isinstance(first, dict):
        return None, len(ends), known
    candidates = set(names.time_candidates())
    as_text = pa.schema([(key, pa.string()) for key in first if key.lower() in candidates])
    probe_end = int(ends[min(int(np.searchsorted(ends, _PROBE)), len(ends) - 1)]) + 1
    try:
        probed = pajson.read_json(pa.BufferReader(pa.py_buffer(block[:probe_end])),
                                  read_options=_READ,
                                  parse_options=pajson.ParseOptions(explicit_schema=as_text))
        learnt = probed.schema if known is None else pa.unify_schemas(
            [known, probed.schema], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None, len(ends), known
    learnt = pa.schema([pa.field(f.name, pa.string()) if f.name in as_text.names else f
                        for f in learnt])
    if len(ends) * len(learnt) > _CELLS_PER_BYTE * len(data):
        return None, len(ends), known
    try:
        table = pajson.read_json(pa.BufferReader(pa.py_buffer(block)), read_options=_READ,
                                 parse_options=pajson.ParseOptions(
                                     explicit_schema=learnt, unexpected_field_behavior="error"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None, len(ends), learnt
    if table.num_rows != len(ends):  # blank lines, or several objects on one line
        return None, len(ends), learnt
    return table, len(ends), learnt


class FastParse:
    """Arrow's parse of a log's blocks, in order, on one thread (``_parse``), with the keys
    and types learnt from the blocks before."""

    def __init__(self, names: ColumnNames) -> None:
        self.names = names
        self.known: pa.Schema | None = None

    def parse(self, block: bytes | memoryview, ends: np.ndarray | None = None
              ) -> tuple[pa.Table | None, int]:
        table, lines, self.known = _parse(block, self.names, ends, self.known)
        return table, lines


def _counted_columns(table: pa.Table, first_line: int, result: TableRead,
                     names: ColumnNames) -> pa.Table | None:
    """The counted columns by their internal names, as the strict reader would hand them
    on; None when only the strict reader can say what some value means (or which row names
    a key too long)."""
    keys = [k.lower() for k in table.column_names]
    # Keys that differ only in case or spaces are one column to the strict reader, which
    # refuses a record naming it twice by its row.
    if len({k.strip() for k in keys}) != len(keys) or any(len(k) > MAX_COLUMN_NAME
                                                          for k in keys):
        return None
    # The same check (and the same errors) as the strict reader's, on the block's keys.
    column_map = _json_column_map([(first_line, dict.fromkeys(keys))], result, names)
    columns = {}
    for key, low in zip(table.column_names, keys, strict=True):
        internal = column_map.internal(low)
        if internal not in COUNTED_COLUMNS:
            continue
        column = _as_strict_reads(internal, table.column(key))
        if column is None:
            return None
        columns[internal] = column
    for low in keys:
        if column_map.internal(low) is None:
            result.ignore(low)
    if "posts" in columns:
        result.has_posts_column = True
    if "timestamp" not in columns:  # no record of the block has a time: refused by row
        columns["timestamp"] = pa.chunked_array([pa.nulls(table.num_rows, pa.string())])
    return pa.table(columns)


def _as_strict_reads(internal: str, column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """The column as the strict reader would hand it on, or None when only it can say."""
    kind = column.type
    if pa.types.is_null(kind):
        return column.cast(pa.int64() if internal == "posts" else pa.string())
    if internal == "posts":  # whole numbers, or their text (read by the same rule)
        return column if pa.types.is_int64(kind) or pa.types.is_string(kind) else None
    if internal == "authorized" and pa.types.is_boolean(kind):
        return column
    if pa.types.is_string(kind):
        return column
    if pa.types.is_timestamp(kind):  # text Arrow took for a date: only the strict reader
        return None
    if pa.types.is_int64(kind):  # the text of a whole number is what the strict reader reads
        return column.cast(pa.string())
    return None


def _starts_with_a_record(stream: io.BufferedReader) -> bool:
    head = stream.peek(1 << 16)[: 1 << 16]
    first, newline, _ = head.partition(b"\n")
    try:
        return bool(newline) and isinstance(json.loads(first), dict)
    except (ValueError, RecursionError):  # the strict reader names what is wrong
        return False


def read_jsonl(stream: io.BufferedReader, result: TableRead, collector: _Collector,
               names: ColumnNames) -> None:
    """Parse and count block by block, like the CSV reader: this thread reads and hashes the
    next block while a worker parses one and another counts the one before (in order, so
    lines number right and the strict reader can take over any block)."""
    if not _starts_with_a_record(stream):
        # Not JSON Lines from its first line: the strict reader reads (and names) it whole.
        for table, first_row in _jsonl_records(stream, result, names):
            collector.add(table, first_row)
        return
    line = 1

    def strict(block: bytes | memoryview, first_line: int) -> None:
        # Blank lines in front make the strict reader number the lines as in the whole log
        # (bytes: it names the line of a byte that is not UTF-8).
        lines = io.BytesIO(b"\n" * (first_line - 1) + bytes(block))
        for table, first_row in _jsonl_records(lines, result, names):
            collector.add(table, first_row)

    def count(block: bytes | memoryview, parsed: Future) -> None:
        nonlocal line
        table, lines = parsed.result()
        first_line, line = line, line + lines
        if table is not None:
            table = _counted_columns(table, first_line, result, names)
        if table is None:
            strict(block, first_line)
            return
        try:
            collector.add(table, first_line)
        except InvalidInput:
            strict(block, first_line)  # the strict reader names the line and the field
            raise

    def blocks() -> Iterator[bytes | memoryview]:
        cutter = _Blocks(stream)
        while block := cutter.next():
            yield block

    pipelined(blocks(), FastParse(names).parse, count)
