"""A needed column as one plain value a row, whatever Arrow type a column file gave it.

CSV and JSON readers hand over text, numbers, booleans and timestamps. Parquet and Arrow
files can hold anything Arrow can: dictionary-encoded values, bytes, text views, and
values that are not one value at all (lists, structures, maps). The checks of a row's
values (``row_values``, ``timestamps``, the post ids) expect the former; this is where the
latter are turned into them, or refused with the row and the field, never passed on to
fail in a cast."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from calculator.errors import InvalidInput

Column = pa.Array | pa.ChunkedArray
# (row, what the value is) -> the field's own problem, e.g. "a list or structure of values"
Refusal = Callable[[int, str], InvalidInput]

NOT_ONE_VALUE = "a list or structure of values"
# Texts that name no value, as a CSV reader takes them (pyarrow's own list): a cell holding
# one is read as an empty cell in a CSV, and a text value holding one is read so in every
# other form too, so that the same rows give the same answer in any form (decision 0166).
NO_VALUE_TEXTS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                  "1.#IND", "1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null")
NOT_UTF8 = "bytes that are not UTF-8 text"


_NO_VALUE = pa.array(NO_VALUE_TEXTS, pa.string())


def names_no_value(texts: Column) -> np.ndarray:
    """Which values of a text column are null or name no value (``NO_VALUE_TEXTS``, as
    they stand: a CSV reader does not trim them either)."""
    return np.asarray(pc.fill_null(pc.is_in(texts, value_set=_NO_VALUE.cast(texts.type)),
                                   True))


def one_value_each(column: Column, first_row: int, refused: Refusal) -> Column:
    """``column`` with dictionary-encoded values decoded, bytes and text views as plain
    text; a column of lists, structures or maps is refused at its first row holding one
    (one without any value is a column of empty text), bytes at the first that are not
    UTF-8. Plain columns come back as they are, at the cost of a look at their type."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = kind.value_type
    if pa.types.is_nested(kind):
        valid = np.asarray(column.is_valid())
        if valid.any():
            raise refused(first_row + int(np.flatnonzero(valid)[0]), NOT_ONE_VALUE)
        return pa.nulls(len(column), pa.string())
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or \
            pa.types.is_fixed_size_binary(kind) or pa.types.is_binary_view(kind):
        return _text(column, first_row, refused)
    if pa.types.is_string_view(kind):
        return column.cast(pa.string())
    return column


def _text(column: Column, first_row: int, refused: Refusal) -> Column:
    """Bytes as text; Arrow's cast checks that they are UTF-8, and only when one is not are
    the values of that chunk looked at one by one, to name the row."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    texts = []
    row = first_row
    for chunk in chunks:
        try:
            texts.append(chunk.cast(pa.large_string()))
        except pa.ArrowInvalid:
            values = chunk.to_pylist()
            for index, value in enumerate(values):
                try:
                    if value is not None:
                        value.decode("utf-8")
                except UnicodeDecodeError:
                    raise refused(row + index, NOT_UTF8) from None
            # Every value is UTF-8 to Python: taken as Python reads them.
            texts.append(pa.array([None if v is None else v.decode("utf-8") for v in values],
                                  pa.large_string()))
        row += len(chunk)
    return pa.chunked_array(texts, pa.large_string())
