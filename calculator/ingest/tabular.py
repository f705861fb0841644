"""Logs with a timestamp column: CSV with a header, JSON Lines, a JSON array of objects.

Columns: a time column (required), ``posts`` (default 1 per row), ``platform``,
``authorized`` (true/false), ``actor``, ``post_id``, ``url``, ``status``; the time, posts,
post id, URL and platform columns are also found under common names or the names the
caller gives (``calculator.ingest.columns``). Other columns are read past and reported.
Every row is either counted or left out and counted as left out; a row that cannot be
read stops the read with its row number.

The CSV reading lives in ``tabular_csv``, the JSON reading in ``tabular_json``, and what
every form shares in ``table_read`` (the result), ``tabular_rows`` (the collector),
``row_values`` (the checks of row values) and ``post_id_numbers``.
"""

from __future__ import annotations

from calculator.errors import InvalidInput
from calculator.ingest.columns import ColumnNames
from calculator.ingest.source import LogSource
from calculator.ingest.table_read import COUNTED_COLUMNS, TableRead, plural
from calculator.ingest.tabular_csv import _Blocks, _read_csv
from calculator.ingest.tabular_json import _json_column_map, _jsonl_records
from calculator.ingest.tabular_rows import _Collector
from calculator.ingest.volume import Volume

# What other modules read from here: the reader's entry points and what the readers of
# the other forms (many files, columnar, Arrow's JSON Lines) build on.
__all__ = ["COUNTED_COLUMNS", "Collector", "TableRead", "_Blocks", "_Collector",
           "_json_column_map", "_jsonl_records", "finish_table", "plural", "read_table"]


Collector = _Collector  # shared by the readers of every tabular form


def read_table(source: LogSource, fmt: str, platform: str | tuple[str, ...], assume_tz: str,
               columns: ColumnNames | None = None, shared: Collector | None = None,
               occurrences: bool = True) -> TableRead:
    """Read a CSV, JSON Lines or JSON array log into counted instants (and, when it has
    post ids, their occurrences for the distinct count); ``columns`` names
    the columns that carry the time, posts, post id, URL or platform when their common
    names do not.

    With ``shared``, the rows are counted into that collector, which the files of one log
    share (so post ids are told apart across files), and the result holds this file's
    rows and notes only: its volume is built once, by the caller, from the collector.
    ``occurrences`` False: the distinct count is not priced, so only how many different post
    ids there are is kept, not where they occur."""
    columns = columns or ColumnNames()
    result = TableRead(format=fmt, volume=Volume.empty())
    collector = shared or _Collector(result, platform, assume_tz, occurrences)
    collector.result = result
    try:
        if fmt == "csv":
            _read_csv(source.stream, result, collector, columns)
        elif fmt == "jsonl":
            from calculator.ingest.jsonl_arrow import read_jsonl  # it builds on this module

            read_jsonl(source.stream, result, collector, columns)
        else:  # a JSON array of records
            from calculator.ingest.json_array_arrow import read_json_array

            read_json_array(source.stream, result, collector, columns)
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
        result.distinct_posts = collector.distinct_posts()
        if result.distinct_posts is not None and collector.keeps_occurrences:
            result.build_distinct = collector.distinct
    return result
