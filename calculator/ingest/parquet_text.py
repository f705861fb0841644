"""Parquet text decoded with 64-bit offsets, and handed on as the file's own type.

Arrow decodes a Parquet text column faster into 64-bit offsets (``large_string``) than into
32-bit ones, whose every value it checks against the 2 GiB a 32-bit column can hold: a
10 M-row log's timestamp, posts and post id columns, in row groups two at once and narrowed
back, took 0.51 s of CPU against 0.60 s (best of 11 each, in turns; decision 0171).
Narrowing the offsets back to the file's own type takes about 0.3 ms a million rows (the
text itself is shared), so every reader after this one sees the table as stored, to the
type.

Arrow's ``binary_type`` option asks for the wider offsets, but a file Arrow wrote stores its
Arrow schema, and the stored ``string`` wins over the option. Such a file is opened with its
own metadata less that schema: the metadata of an empty file of the same schema, written
without it, with the file's row groups appended (Arrow appends only row groups of an equal
schema). Only files Arrow itself wrote are opened so: Arrow works around other writers'
known faults by the writer's name, which that metadata no longer carries. Where any of this
does not hold, or the columns would not come out as stored but for the width of their
offsets, the file is read as stored.

A file of fewer than ``WIDE_FROM_ROWS`` rows is read as stored: opening it wide cost about
0.2 ms a file, where the decoding saves about 10 ns a row (a partitioned log may hold
thousands of small files)."""

from __future__ import annotations

import contextlib

import pyarrow as pa
import pyarrow.parquet as pq

_STORED_SCHEMA = b"ARROW:schema"
_ARROW_WRITER = "parquet-cpp-arrow"
_WIDER = {pa.string(): pa.large_string(), pa.binary(): pa.large_binary()}
WIDE_FROM_ROWS = 1 << 16


def wide_text_metadata(path: str, parquet: pq.ParquetFile, needed: list[str]
                       ) -> pq.FileMetaData | None:
    """The metadata to open the file at ``path`` with so that its text columns among ``needed`` are
    decoded with 64-bit offsets (``opened``), or None where it cannot be so read."""
    stored, metadata = parquet.schema_arrow, parquet.metadata
    if metadata.num_rows < WIDE_FROM_ROWS \
            or not any(stored.field(name).type in _WIDER for name in needed):
        return None
    if _STORED_SCHEMA in (metadata.metadata or {}):
        if not (metadata.created_by or "").startswith(_ARROW_WRITER):
            return None
        try:
            sink = pa.BufferOutputStream()
            pq.ParquetWriter(sink, stored, store_schema=False,
                             version=metadata.format_version).close()
            bare = pq.read_metadata(pa.BufferReader(sink.getvalue()))
            bare.append_row_groups(metadata)
        except (pa.ArrowException, ValueError, TypeError):
            return None  # a schema Arrow would write otherwise, or a format it does not
        metadata = bare
    try:
        wide = opened(path, metadata)
    except (TypeError, pa.ArrowException, OSError):
        return None  # an Arrow without the option
    if not all(wide.schema_arrow.field(name).type == _WIDER.get(stored.field(name).type,
                                                                stored.field(name).type)
               for name in needed):
        return None
    return metadata


def opened(path: str, metadata: pq.FileMetaData) -> pq.ParquetFile:
    """The file opened to decode its text with 64-bit offsets (``wide_text_metadata``)."""
    return pq.ParquetFile(path, memory_map=True, metadata=metadata,
                          binary_type=pa.large_binary())


def as_stored(table: pa.Table, stored: pa.Schema) -> pa.Table:
    """The table with each text column back in the file's own type (the offsets narrowed;
    a column whose text passes 2 GiB stays wide, as Arrow would have split it)."""
    for index, name in enumerate(table.column_names):
        kind = stored.field(name).type
        if kind in _WIDER and table.column(index).type != kind:
            with contextlib.suppress(pa.ArrowInvalid):  # past 2 GiB: kept wide
                table = table.set_column(index, name, table.column(index).cast(kind))
    return table
