"""Parquet, Arrow IPC (Feather version 2) and ORC logs: column files, told apart by their
magic bytes, read for the needed columns only, one row group, record batch or stripe at a
time.

They need random access (Parquet and ORC keep their schema at the end), so a log that is not a
plain local file (standard input, an upload, object storage, gzip) is first copied to a
temporary file as it is hashed; a local file is read in place while another thread
hashes it. Either way the digest is of the bytes as received.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from calculator.errors import InvalidInput, shortened
from calculator.ingest import parquet_text
from calculator.ingest.arrow_messages import arrow_rows
from calculator.ingest.columns import ColumnNames
from calculator.ingest.pipeline import pipelined
from calculator.ingest.source import DecompressionBudget, LogSource, spooling
from calculator.ingest.table_read import names_within_bounds
from calculator.ingest.tabular import COUNTED_COLUMNS, Collector, TableRead, finish_table
from calculator.ingest.volume import Volume

COLUMNAR_FORMATS = ("parquet", "arrow", "orc")
_WORDS = {"parquet": "the Parquet file", "arrow": "the Arrow file", "orc": "the ORC file"}
A_FILE = {"parquet": "a Parquet file", "arrow": "an Arrow file", "orc": "an ORC file"}
_BATCH_ROWS = 1 << 20  # rows turned into counts at once
_GROUP_ROWS_FROM = 1 << 17  # Parquet row groups read whole when none is smaller (but the last)


def detect_columnar(head: bytes) -> str | None:
    """parquet, arrow (IPC file or stream) or orc from the first bytes of the content."""
    if head.startswith(b"PAR1"):
        return "parquet"
    # ORC's magic is three letters a CSV header may begin with ("ORCID,timestamp"): an ORC
    # file is binary from its first stripe or footer on, so a NUL byte must follow.
    if head.startswith(b"ORC") and b"\0" in head[3:4096]:
        return "orc"
    if head.startswith(b"ARROW1"):
        return "arrow"
    # An IPC stream starts with a continuation marker and a schema message.
    if head.startswith(b"\xff\xff\xff\xff") and len(head) >= 8:
        return "arrow"
    if head.startswith(b"FEA1"):
        raise InvalidInput("the log is a Feather version 1 file, which is not read; save it "
                           "as Feather version 2 (Arrow IPC) or Parquet")
    return None


@contextmanager
def _seekable(source: LogSource) -> Iterator[str]:
    """A local path holding the content; the source's digest is complete on leaving."""
    if source.path is not None and not source.compressed:
        # Read in place; hashing the same bytes on another thread overlaps the two (hashlib
        # and Arrow both release the interpreter lock).
        drained: list[BaseException] = []

        def drain() -> None:
            try:
                while source.raw.read(8 << 20):
                    pass
            except BaseException as exc:  # re-raised on the reading thread below
                drained.append(exc)

        hasher = threading.Thread(target=drain, name="hash-log")
        hasher.start()
        try:
            yield source.path
        finally:
            hasher.join()
        if drained:
            raise drained[0]
        return
    with tempfile.NamedTemporaryFile(prefix="log-", suffix=".bin") as spool:
        os.chmod(spool.name, 0o600)
        with spooling():
            shutil.copyfileobj(source.stream, spool, 8 << 20)
            spool.flush()
        yield spool.name


def _needed(schema: pa.Schema, columns: ColumnNames, where: str,
            result: TableRead) -> dict[str, str]:
    """The file's columns to read, each with the internal name it is read as."""
    names = list(schema.names)
    names_within_bounds(names, f"{where} names")
    lowered = [n.strip().lower() for n in names]
    twice = sorted(n for n, times in Counter(lowered).items() if times > 1)
    if twice:
        raise InvalidInput(f"{where} names the column{'s' if len(twice) > 1 else ''} "
                           f"{', '.join(shortened(n) for n in twice)} more than once (names "
                           "are compared without regard to case)")
    column_map = columns.resolve(lowered, where)
    if column_map.source_of("timestamp") is None:
        raise columns.no_time_column(names, where)
    result.column_map = column_map
    result.columns = lowered
    result.ignored_columns = [n for n in lowered if column_map.internal(n) is None]
    needed = {}
    for name, low in zip(names, lowered, strict=True):
        internal = column_map.internal(low)
        if internal in COUNTED_COLUMNS:
            needed[name] = internal
    result.has_posts_column = "posts" in needed.values()
    return needed


def _batches(path: str, fmt: str, columns: ColumnNames, result: TableRead,
             budget: DecompressionBudget) -> Iterator[pa.Table]:
    """The needed columns, a batch at a time, each checked whole and counted as decoded
    against the log's limit (a file whose metadata says they will pass it is refused before
    any is decoded)."""
    where = _WORDS[fmt]
    try:
        if fmt == "parquet":
            parquet = pq.ParquetFile(path, memory_map=True)
            needed = _needed(parquet.schema_arrow, columns, where, result)
            budget.decode(_parquet_decoded(parquet.metadata, needed), where, expected=True)
            for table in _parquet_tables(path, parquet, list(needed)):
                yield _decoded(table, needed, where, budget)
            return
        if fmt == "orc":
            yield from _orc_batches(path, columns, where, result, budget)
            return
        with pa.memory_map(path) as mapped:
            try:
                schema, stream = ipc.open_file(mapped).schema, False
            except pa.ArrowInvalid:
                mapped.seek(0)
                schema, stream = ipc.open_stream(mapped).schema, True
            needed = _needed(schema, columns, where, result)
            if budget.limit is not None:  # the rows the batches' messages say they hold
                mapped.seek(0)
                rows = arrow_rows(mapped.read_buffer())
                if rows is not None:
                    budget.decode(rows * 8 * len(needed), where, expected=True)
            # Only the needed fields are decoded (and decompressed): a log's URL column is
            # most of its bytes.
            options = ipc.IpcReadOptions(included_fields=[
                index for index, name in enumerate(schema.names) if name in needed])
            mapped.seek(0)
            if stream:
                batches: Iterator[pa.RecordBatch] = iter(ipc.open_stream(mapped,
                                                                         options=options))
            else:
                reader = ipc.open_file(mapped, options=options)
                batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
            for table in _coalesced(batches):
                yield _decoded(table, needed, where, budget)
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        # Any of Arrow's errors (a buffer claiming more than the file holds, a stripe that
        # does not decompress, a schema nested too deep, a name that is not UTF-8): the
        # file's own words are technical and can quote its bytes, so they are not passed on.
        raise InvalidInput(f"{where} cannot be read: it is damaged or not "
                           f"{A_FILE[fmt]}") from None


def _parquet_tables(path: str, parquet: pq.ParquetFile, needed: list[str]
                    ) -> Iterator[pa.Table]:
    """The needed columns, a row group at a time where every row group holds from
    ``_GROUP_ROWS_FROM`` to ``_BATCH_ROWS`` rows (what writers cut by default), otherwise in
    batches of ``_BATCH_ROWS`` rows.

    Row groups are decoded two at once, each on one thread: Arrow decodes a row group's
    columns side by side, but its text timestamps take most of the time, so one core waited
    on the other. Later calls on a 10 M-row log of 1 M-row groups, in turns with the batches,
    best of 20: 0.625 s against 0.670 s (decision 0170). At most two groups are decoded
    ahead of the one counted, as two batches were waiting before."""
    metadata = parquet.metadata
    stored = parquet.schema_arrow
    # Text decoded with 64-bit offsets where the file allows, then narrowed (parquet_text).
    wide = parquet_text.wide_text_metadata(path, parquet, needed)

    def reader() -> pq.ParquetFile:
        return pq.ParquetFile(path, memory_map=True) if wide is None \
            else parquet_text.opened(path, wide)

    groups = [metadata.row_group(k).num_rows for k in range(metadata.num_row_groups)]
    if len(groups) < 2 or max(groups) > _BATCH_ROWS or min(groups[:-1]) < _GROUP_ROWS_FROM:
        for batch in reader().iter_batches(batch_size=_BATCH_ROWS, columns=needed):
            yield parquet_text.as_stored(pa.Table.from_batches([batch]), stored)
        return
    opened = threading.local()  # a reader per thread: one is not shared between threads

    def decode(group: int) -> pa.Table:
        if not hasattr(opened, "file"):
            opened.file = reader()
        return parquet_text.as_stored(
            opened.file.read_row_group(group, columns=needed, use_threads=False), stored)

    pool = ThreadPoolExecutor(2, thread_name_prefix="parquet-group")
    try:
        ahead = deque(pool.submit(decode, group) for group in range(min(2, len(groups))))
        for group in range(len(groups)):
            table = ahead.popleft().result()
            if group + 2 < len(groups):
                ahead.append(pool.submit(decode, group + 2))
            yield table
            del table
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _orc_batches(path: str, columns: ColumnNames, where: str, result: TableRead,
                 budget: DecompressionBudget) -> Iterator[pa.Table]:
    """An ORC file's stripes, the needed columns only (imported here: only ORC logs need
    Arrow's ORC reader)."""
    import pyarrow.orc as orc

    opened = orc.ORCFile(path)
    needed = _needed(opened.schema, columns, where, result)
    # Its rows are known before a stripe is read: each needed column takes at least 8
    # bytes a row once decoded.
    budget.decode(opened.nrows * 8 * len(needed), where, expected=True)
    stripes = (opened.read_stripe(k, columns=list(needed)) for k in range(opened.nstripes))
    for table in _coalesced(stripes):
        yield _decoded(table, needed, where, budget)


def _parquet_decoded(metadata: pq.FileMetaData, needed: dict[str, str]) -> int:
    """The bytes the needed columns take once decoded, at least, as the file's metadata
    tells: their pages' size uncompressed, and 8 bytes a row each (pages of runs of one
    value hold millions of rows in a few bytes)."""
    positions = [k for k in range(metadata.num_columns)
                 if metadata.schema.column(k).path.split(".")[0] in needed]
    pages = sum(metadata.row_group(group).column(k).total_uncompressed_size
                for group in range(metadata.num_row_groups) for k in positions)
    return max(pages, metadata.num_rows * 8 * len(needed))


def _decoded(table: pa.Table, needed: dict[str, str], where: str,
             budget: DecompressionBudget) -> pa.Table:
    budget.decode(table.nbytes, where)
    return _renamed(_checked(table, where), needed)


def _checked(table: pa.Table, where: str) -> pa.Table:
    """The table once each column is whole: offsets within their data, dictionary indices
    within their dictionary. An Arrow or ORC file's buffers are taken as they lie in the
    file, and a damaged one (a text offset past its data) crashed the process in the first
    kernel to read it. Text is checked as bytes: whether it is UTF-8 the kernels that read
    it check themselves, and a row that is not is named then (``tabular_rows``); checking
    every text here took 0.09 s of 10 M rows, checking their layout 0.01 s."""
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            for chunk in column.chunks:
                chunk.view(_as_bytes(chunk.type)).validate(full=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise InvalidInput(f"{where} cannot be read: its column {shortened(name)} holds "
                               "values that do not match their layout (the file is "
                               "damaged)") from None
    return table


def _as_bytes(kind: pa.DataType) -> pa.DataType:
    """The type with its text as bytes, laid out alike (a view is free)."""
    if pa.types.is_string(kind):
        return pa.binary()
    if pa.types.is_large_string(kind):
        return pa.large_binary()
    if pa.types.is_string_view(kind):
        return pa.binary_view()
    if pa.types.is_dictionary(kind):
        return pa.dictionary(kind.index_type, _as_bytes(kind.value_type), kind.ordered)
    return kind


def _coalesced(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.Table]:
    """Record batches joined until they hold ``_BATCH_ROWS`` rows: a writer may cut a file
    into batches of one row, and each batch counted on its own cost about 0.4 ms (20,000
    batches of one row took 8.6 s). Batches of that size or more pass as they are."""
    held: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        held.append(batch)
        rows += batch.num_rows
        if rows >= _BATCH_ROWS:
            yield _joined(held)
            held, rows = [], 0
    if held:
        yield _joined(held)


def _joined(batches: list[pa.RecordBatch]) -> pa.Table:
    table = pa.Table.from_batches(batches)
    return table if len(batches) == 1 else table.combine_chunks()


def _renamed(table: pa.Table, needed: dict[str, str]) -> pa.Table:
    return table.rename_columns([needed[n] for n in table.column_names])


def read_columnar(source: LogSource, fmt: str, platform: str | tuple[str, ...], assume_tz: str,
                  columns: ColumnNames | None = None, shared: Collector | None = None,
                  occurrences: bool = True) -> TableRead:
    """Read a Parquet, Arrow IPC or ORC log into counted instants (and post-id occurrences);
    ``shared`` and ``occurrences`` as in ``tabular.read_table``."""
    columns = columns or ColumnNames()
    result = TableRead(format=fmt, volume=Volume.empty())
    collector = shared or Collector(result, platform, assume_tz, occurrences)
    collector.result = result
    with _seekable(source) as path:
        # Three stages on their own threads: this one decodes a batch while another works
        # out the instants, posts and id numbers of the one before (``prepare``), and a
        # third counts the one before that, in order.
        def numbered() -> Iterator[tuple[pa.Table, int]]:
            first_row = 1
            for table in _batches(path, fmt, columns, result, source.budget):
                yield table, first_row
                first_row += table.num_rows

        try:
            pipelined(numbered(), lambda batch: collector.prepare(*batch),
                      lambda batch, prepared: collector.add(*batch, prepared.result()))
        except pa.ArrowException:
            # What the checks of the values let through and Arrow still refused (a
            # cast past its limits): an answer in words, never the library's.
            raise InvalidInput(f"{_WORDS[fmt]} cannot be read: it holds values this "
                               "service cannot read") from None
    return finish_table(result, collector, shared is None)
