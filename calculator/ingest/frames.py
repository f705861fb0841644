"""Tables held in memory as logs: a pandas or polars DataFrame, a pyarrow Table, RecordBatch or
RecordBatchReader, or any object that hands out an Arrow stream (``__arrow_c_stream__``).

Each is written as an Arrow IPC stream to a private temporary file, which is then read,
hashed and counted as an Arrow file on disk is, so a table and the same rows in a file give
the same document but for the input's digest and size (decision 0165). Only a stream's
batches are held at once; a DataFrame is converted whole, as Arrow converts it.
"""

from __future__ import annotations

import sys
import tempfile
from typing import IO, Any

import pyarrow as pa
import pyarrow.ipc as ipc

from calculator.errors import InvalidInput, shortened
from calculator.ingest.source import spooling

# The name pandas gives an index without a name when it keeps it as a column; the column
# is called "index" instead, as ``DataFrame.reset_index`` calls it.
_UNNAMED_INDEX = "__index_level_0__"


def table_kind(source: object) -> str | None:
    """What kind of table ``source`` is, in words for messages; None when it is no table."""
    if isinstance(source, pa.Table | pa.RecordBatch | pa.RecordBatchReader):
        return f"the pyarrow {type(source).__name__}"
    if _is_pandas_frame(source):
        return "the DataFrame"
    if hasattr(source, "__arrow_c_stream__"):
        return f"the {type(source).__name__}"
    return None


def spooled_table(source: Any) -> IO[bytes]:
    """The table's rows as an Arrow IPC stream in a temporary file (removed when closed),
    open for reading from its start. ``source`` is a table (``table_kind`` is not None)."""
    stream = _batches(source)
    schema = plain_schema(stream.schema)
    spool = tempfile.NamedTemporaryFile(prefix="table-", suffix=".arrows")  # noqa: SIM115
    try:
        with spooling(), pa.OSFile(spool.name, "wb") as sink, \
                ipc.new_stream(sink, schema) as writer:
            for batch in stream:
                writer.write_batch(_plain_batch(batch, schema))
    except pa.ArrowException:
        # A stream that fails as it is read, or a column of no type a log's can take (a
        # list of text views): said in words, never Arrow's (they can quote values).
        spool.close()
        raise InvalidInput(f"{table_kind(source)} cannot be read as an Arrow table") from None
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _batches(source: Any) -> pa.RecordBatchReader:
    if isinstance(source, pa.RecordBatchReader):
        return source
    if isinstance(source, pa.Table):
        return source.to_reader()
    if isinstance(source, pa.RecordBatch):
        return pa.Table.from_batches([source]).to_reader()
    if _is_pandas_frame(source):
        return _from_pandas(source).to_reader()
    try:
        return pa.RecordBatchReader.from_stream(source)
    except (pa.ArrowException, TypeError, ValueError):
        raise InvalidInput(f"{table_kind(source)} cannot be read as an Arrow table") from None


def plain_schema(schema: pa.Schema) -> pa.Schema:
    """The schema with every column in a type the column readers take: views as large
    strings and binaries, dictionaries as their values; field and schema metadata (a
    writer's version, pandas' index notes) left out, so that they do not change the digest."""
    return pa.schema([pa.field(f.name, _plain_type(f.type), f.nullable) for f in schema])


def _plain_type(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_dictionary(kind):
        return _plain_type(kind.value_type)
    if pa.types.is_string_view(kind):
        return pa.large_string()
    if pa.types.is_binary_view(kind):
        return pa.large_binary()
    return kind


def _plain_batch(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    if batch.schema.equals(schema):
        return batch
    return pa.RecordBatch.from_arrays(
        [_plain(column, field.type) for column, field in zip(batch.columns, schema, strict=True)],
        schema=schema)


def _plain(column: pa.Array, kind: pa.DataType) -> pa.Array:
    if isinstance(column, pa.DictionaryArray):
        # Its values made plain first: Arrow takes no values out of a view of strings.
        return _plain(column.dictionary, kind).take(column.indices)
    return column.cast(kind)


def _is_pandas_frame(source: object) -> bool:
    # pandas is imported by whoever made the frame: a frame cannot exist without it.
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(source, pandas.DataFrame)


def _from_pandas(frame: Any) -> pa.Table:
    """The frame as an Arrow table, its index kept as a column where it holds data (a time
    index, say); refused, by its column, where a column's values are of no one type."""
    names = [str(name) for name in frame.columns]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InvalidInput(f"the DataFrame names the column "
                           f"{', '.join(shortened(n) for n in twice)} more than once")
    try:
        table = pa.Table.from_pandas(frame, preserve_index=None)
    except (pa.ArrowException, ValueError, TypeError):
        raise _unconvertible(frame) from None
    if _UNNAMED_INDEX in table.column_names and "index" not in table.column_names:
        table = table.rename_columns(["index" if name == _UNNAMED_INDEX else name
                                      for name in table.column_names])
    return table


def _unconvertible(frame: Any) -> InvalidInput:
    """The first column Arrow cannot convert, named (its values never are: they are the
    log's content)."""
    for position, name in enumerate(frame.columns):
        try:
            pa.Array.from_pandas(frame.iloc[:, position])
        except (pa.ArrowException, ValueError, TypeError):
            shown = shortened(str(name))
            return InvalidInput(
                f"the DataFrame's column {shown} holds values of more than one kind (text and "
                f"numbers, say), which no table column can hold; convert it to one type "
                f"(df['{shown}'].astype(str)) or leave it out (df.drop(columns='{shown}'))")
    return InvalidInput("the DataFrame cannot be converted to an Arrow table")
