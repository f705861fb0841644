"""The checks of a row's values that every tabular form shares: its posts, platform and
authorized values, each refused with its row and field."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from calculator.errors import FieldProblem, InvalidInput
from calculator.ingest.columns import ColumnMap
from calculator.ingest.plain_values import names_no_value, one_value_each

MAX_POSTS = 10**12  # posts one row may carry: more is a mistake (and would overflow sums)
JSON_FORMATS = ("jsonl", "json")  # the forms whose records may leave out a column's key
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def named_as_in_the_log(exc: InvalidInput, column_map: ColumnMap | None) -> InvalidInput:
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


def field_problem(row: int, column: str, message: str) -> InvalidInput:
    """A problem of one row's value: which row, which field, what was expected."""
    return InvalidInput(f"row {row}, {column}: {message}",
                        problems=[FieldProblem(message, field=column, row=row)])


def posts_values(column: pa.ChunkedArray, first_row: int, empty_allowed: bool
           ) -> tuple[np.ndarray, int]:
    """Post counts, and how many rows gave none. A cell that is empty or names no value
    (``NaN``, ``N/A``, ``null``), or a null in a column file, is an error, not one post: only
    a log without the column counts one per row. ``empty_allowed``: a JSON record without
    the key (or with null) counts one, and the result says how many did."""
    values = one_value_each(column, first_row, lambda row, _: posts_problem(row))
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if values.type == pa.uint64() and len(values) and pc.max(values).as_py() > MAX_POSTS:
        # Past int64's range no cast is made: the row is named here.
        too_many = np.asarray(pc.fill_null(pc.greater(values, pa.scalar(MAX_POSTS, pa.uint64())),
                                           False))
        raise posts_problem(first_row + int(np.flatnonzero(too_many)[0]))
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = _whole_texts(values, first_row)
    elif pa.types.is_floating(values.type):
        raw = np.asarray(pc.fill_null(values.cast(pa.float64()), 0.0))
        with np.errstate(invalid="ignore"):
            wrong = ~np.isfinite(raw) | (raw != np.floor(raw)) | (np.abs(raw) > MAX_POSTS)
        if wrong.any():
            raise posts_problem(first_row + int(np.flatnonzero(wrong)[0]))
        values = pa.array(raw.astype(np.int64), mask=np.asarray(values.is_null()))
    elif pa.types.is_decimal(values.type):
        raw = values.to_pylist()
        for index, value in enumerate(raw):
            if value is not None and (value != int(value) or abs(value) > MAX_POSTS):
                raise posts_problem(first_row + index)
        values = pa.array([None if v is None else int(v) for v in raw], pa.int64())
    elif not pa.types.is_integer(values.type) and not pa.types.is_null(values.type):
        raise posts_problem(first_row)
    missing = values.null_count
    if missing and not empty_allowed:
        index = int(np.flatnonzero(np.asarray(values.is_null()))[0])
        message = ("is empty or not a number (NaN, N/A, null); give a whole number of posts, "
                   "or leave out the posts column to count one post per row")
        raise field_problem(first_row + index, "posts", message)
    # A column of int64 without nulls (a CSV's usual posts) is taken as it is, no copy made.
    result = np.asarray(pc.fill_null(values.cast(pa.int64()), 1) if missing
                        else values.cast(pa.int64()))
    if len(result) and (result.min() < 0 or result.max() > MAX_POSTS):
        wrong = np.flatnonzero((result < 0) | (result > MAX_POSTS))
        raise posts_problem(first_row + int(wrong[0]))
    return result, missing


# A whole number of posts in text, as every form reads it (decision 0166): digits, or a
# number whose value is whole however it is written (600000.0 as a writer of floats gives
# it, 6e5 as JSON may), as a JSON number of that value is read.
_DIGITS = r"^-?\d{1,18}$"
_DIGITS_AND_ZEROS = r"^-?\d{1,18}\.0*$"
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,4})?")


def whole_posts_text(text: str) -> int | None:
    """The whole number a text of posts names (surrounding blanks aside), or None when it
    names none: the rule of ``posts_values`` for one value."""
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    number = Decimal(text)
    if number != number.to_integral_value() or abs(number) > MAX_POSTS:
        return None
    return int(number)


def _whole_texts(values: pa.Array, first_row: int) -> pa.Array:
    """A text column of posts as whole numbers (an empty text is no value)."""
    values = pc.utf8_trim_whitespace(values)
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
    if np.asarray(pc.fill_null(pc.match_substring_regex(values, _DIGITS), True)).all():
        return values.cast(pa.int64())
    # "600000.0" a row (a float column written out) is common: its zeros are cut in bulk.
    zeros = pc.fill_null(pc.match_substring_regex(values, _DIGITS_AND_ZEROS), False)
    values = pc.if_else(zeros, pc.replace_substring_regex(values, r"\.0*$", ""), values)
    digits = np.asarray(pc.fill_null(pc.match_substring_regex(values, _DIGITS), True))
    if digits.all():
        return values.cast(pa.int64())
    texts = values.to_pylist()
    numbers: list[int | None] = [None] * len(texts)
    for index, text in enumerate(texts):
        if text is None:
            continue
        number = int(text) if digits[index] else whole_posts_text(text)
        if number is None:
            raise posts_problem(first_row + index)
        numbers[index] = number
    return pa.array(numbers, pa.int64())


def posts_problem(row: int) -> InvalidInput:
    return field_problem(row, "posts", f"is not a whole number of posts from 0 to {MAX_POSTS:,}")


def platform_matches(column: pa.ChunkedArray, platform: str | tuple[str, ...], first_row: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Which rows name ``platform`` (its id, or any of the names given) and which name
    none (a platform's name is compared without regard to case or surrounding blanks)."""
    column = one_value_each(column, first_row, lambda row, what: field_problem(
        row, "platform", f"holds {what}, not a platform's name"))
    text = column.cast(pa.large_string())  # a batch's names may pass 2 GiB together
    values = pc.utf8_lower(pc.utf8_trim_whitespace(text))
    missing = np.asarray(pc.fill_null(pc.equal(values, ""), True)) | names_no_value(text)
    names = (platform,) if isinstance(platform, str) else platform
    same = np.asarray(pc.fill_null(pc.is_in(values, value_set=pa.array(
        [n.strip().lower() for n in names], pa.large_string())), False))
    return same, missing


def authorized_values(column: pa.ChunkedArray, first_row: int) -> tuple[np.ndarray, np.ndarray]:
    values = one_value_each(column, first_row, lambda row, _: _not_true_or_false(row))
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_boolean(values.type):
        missing = np.asarray(values.is_null())
        return np.asarray(pc.fill_null(values, False)), missing
    given = values.cast(pa.large_string())
    text = pc.utf8_lower(pc.utf8_trim_whitespace(given))
    missing = np.asarray(pc.fill_null(pc.equal(text, ""), True)) | names_no_value(given)
    true = np.asarray(pc.fill_null(pc.is_in(text, pa.array(_TRUE, text.type)), False))
    false = np.asarray(pc.fill_null(pc.is_in(text, pa.array(_FALSE, text.type)), False))
    bad = ~(true | false | missing)
    if bad.any():
        raise _not_true_or_false(first_row + int(np.flatnonzero(bad)[0]))
    return true, missing


def _not_true_or_false(row: int) -> InvalidInput:
    return field_problem(row, "authorized", "is not true or false (also accepted: 1/0, yes/no)")
