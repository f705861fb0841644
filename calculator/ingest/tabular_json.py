"""JSON logs: JSON Lines decoded line by line, and a JSON array of objects decoded one
element at a time; both turned into tables of the counted columns in batches."""

from __future__ import annotations

import codecs
import io
import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa

from calculator.errors import FieldProblem, InvalidInput, shortened
from calculator.ingest.columns import LOOKS_LIKE_A_VALUE, ColumnMap, ColumnNames
from calculator.ingest.row_values import MAX_POSTS, field_problem, posts_problem, whole_posts_text
from calculator.ingest.table_read import (
    COUNTED_COLUMNS,
    LONGEST_LINE,
    MAX_COLUMN_NAME,
    TableRead,
    line_too_long,
    names_within_bounds,
)
from calculator.json_input import JsonReader, JsonRefused

MAX_JSON_ELEMENT = 64 << 20  # characters one element of a JSON array may take
_JSON_BATCH = 50_000  # records of JSON turned into columns at once
# A JSON string may escape half of a UTF-16 pair, which decodes to no Unicode text.
_HALF_PAIR = "an escape of half a UTF-16 pair (\\ud800 to \\udfff alone), which is no Unicode text"


def _json_column_map(records: list[tuple[int, Any]], result: TableRead,
                     names: ColumnNames) -> ColumnMap:
    """Which key carries which fact, from the keys of a batch of records and of the
    batches before it, as if they were one batch: so a log is read one way throughout,
    however it is cut into batches. A batch whose keys change how earlier keys are read
    (``time``, then also ``timestamp``) is refused."""
    keys: dict[str, None] = {}
    for row, record in records:
        if not isinstance(record, dict):
            raise InvalidInput(f"row {row}: expected a JSON object with a time, found "
                               f"{type(record).__name__}",
                               problems=[FieldProblem("expected a JSON object", row=row)])
        names_of = [k.strip().lower() for k in record]
        if len(set(names_of)) != len(names_of):
            # Both would be read as one column, row by row: ``posts`` and ``Posts`` in one
            # record gave that record two rows, or two counts and a crash.
            twice = next(name for name, times in Counter(names_of).items() if times > 1)
            message = (f"the record names the column {shortened(twice)} twice, in keys that "
                       "differ only in case or spaces")
            raise InvalidInput(f"row {row}: {message}", problems=[FieldProblem(message, row=row)])
        keys.update(dict.fromkeys(k.lower() for k in record))
    for key in keys:
        if not _is_unicode(key):
            row = next(row for row, record in records if any(k.lower() == key for k in record))
            message = f"a key holds {_HALF_PAIR}"
            raise InvalidInput(f"row {row}: {message}", problems=[FieldProblem(message, row=row)])
        if len(key) > MAX_COLUMN_NAME:
            row = next(row for row, record in records if any(k.lower() == key for k in record))
            names_within_bounds([key], "the record names", row)
    known = result.column_map
    if known is not None:
        keys = dict.fromkeys([*known.internal_of, *result.ignored_columns]) | keys
    names_within_bounds(list(keys), "the JSON records name")
    found = names.resolve(list(keys), "the JSON records")
    if found.source_of("timestamp") is None:
        raise names.no_time_column(list(keys), f"the JSON records (from row {records[0][0]})")
    if known is not None and any(found.internal_of.get(key) != fact
                                 for key, fact in known.internal_of.items()):
        row = records[0][0]
        message = ("these records name their columns differently from the records before "
                   "them; name the columns to read (the column options)")
        raise InvalidInput(f"row {row}: {message}", problems=[FieldProblem(message, row=row)])
    result.column_map = found
    # The columns as the log names them, in the order first seen, as a table's header gives
    # them: the document's input.columns.
    listed = set(result.columns)
    result.columns.extend(key for key in keys if key not in listed)
    return found


def _json_columns(records: list[tuple[int, Any]], result: TableRead,
                  names: ColumnNames) -> pa.Table:
    """Records (row, object) as a table of the counted columns."""
    column_map = _json_column_map(records, result, names)
    columns: dict[str, list[Any]] = {}
    for index, (_row, record) in enumerate(records):
        for key, value in record.items():
            name = column_map.internal(key)
            if name not in COUNTED_COLUMNS:
                if name is None:
                    result.ignore(key.lower())
                continue
            if name not in columns:  # a key first seen here: None for the records before
                columns[name] = [None] * index
            columns[name].append(value)
        for values in columns.values():
            if len(values) < index + 1:
                values.append(None)
    if "posts" in columns:
        result.has_posts_column = True
    # Records without a time in a log whose earlier records had one: each is refused by row.
    columns.setdefault("timestamp", [None] * len(records))
    arrays = {}
    for name, values in columns.items():
        if name == "posts":
            arrays[name] = _json_posts(values, records)
        else:
            texts = [None if v is None else str(v) for v in values]
            arrays[name] = _text_array([t.lower() if t is not None else None for t in texts]
                                       if name == "authorized" else texts, name, records)
    return pa.table(arrays)


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text_array(texts: list[str | None], name: str, records: list[tuple[int, Any]]
                ) -> pa.Array:
    """Texts as Arrow text; JSON lets a string hold half of a UTF-16 pair (``"\\ud800"``),
    which is no Unicode text: the first such value is refused by its row."""
    try:
        return pa.array(texts, pa.string())
    except UnicodeEncodeError:
        for text, (row, _) in zip(texts, records, strict=True):
            if text is not None and not _is_unicode(text):
                raise field_problem(row, name, f"holds {_HALF_PAIR}") from None
        raise


def _json_posts(values: list[Any], records: list[tuple[int, Any]]) -> pa.Array:
    checked = []
    for value, (row, _) in zip(values, records, strict=True):
        if value is None:
            checked.append(None)  # not given: counts one, and the result says how many
        elif _whole_posts(value):
            checked.append(int(value))
        elif isinstance(value, str) and not value.strip():
            checked.append(None)  # an empty text is no value, as an empty CSV cell is
        elif isinstance(value, str) and (number := whole_posts_text(value)) is not None:
            checked.append(number)
        else:
            raise posts_problem(row)
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
    if isinstance(exc, JsonRefused) and "given twice" in exc.message and any(
            LOOKS_LIKE_A_VALUE.search(key) for key in exc.path.split(".")):
        # A log's keys can be its content (records keyed by post URL or id): not repeated.
        message = ("a key is given twice in one object (its name is not shown: it looks like "
                   "the log's content, a URL, an id or a time)")
    elif isinstance(exc, JsonRefused):
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
    lines = iter(lambda: stream.readline(LONGEST_LINE + 1), b"")
    for line_number, line in enumerate(lines, start=1):
        if len(line) > LONGEST_LINE and not line.endswith(b"\n"):
            raise line_too_long()
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


class NotAFragment(Exception):
    """A run of elements read as a fragment did not end where the fragment does."""


def _json_array_tables(stream: io.BufferedIOBase, result: TableRead, names: ColumnNames,
                       first_element: int = 0, fragment: bool = False, first_line: int = 1
                       ) -> Iterator[tuple[pa.Table, int]]:
    """A JSON array of objects, decoded one element at a time so it never sits whole.

    The text is read in blocks; an element cut by the end of a block is decoded again
    once more text is there (only the end of the log makes it an error), up to
    ``MAX_JSON_ELEMENT`` characters for one element. After the closing bracket only
    whitespace may follow: more text would otherwise go unread.

    A reader that takes over part way (``first_element`` elements already read) is handed
    ``[`` and the text after the last element's comma: it numbers on from there (the
    text starting on the log's line ``first_line``), and expects an element first. With
    ``fragment``, the text is elements each followed by a comma (a block of a longer
    array), and anything else raises ``NotAFragment``."""
    reader = JsonReader(decimal=True)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    buffer, position, element, line = "", 0, first_element, first_line
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
            if state == "closed" or (fragment and state == "value"):
                break
            if fragment:
                raise NotAFragment
            raise InvalidInput(f"the JSON array ends early, after element {element}")
        char = buffer[position]
        if state == "start":
            if char != "[":
                raise InvalidInput("expected a JSON array of objects")
            position += 1
            state = "value" if first_element else "first"
            continue
        if state in ("first", "after") and char == "]":
            if fragment:
                raise NotAFragment
            position += 1
            state = "closed"
            continue
        if state == "closed":
            at = line + buffer.count("\n", 0, position)
            message = "more text after the JSON array's closing bracket; send one array"
            raise InvalidInput(f"line {at}: {message}",
                               problems=[FieldProblem(message, line=at)])
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
