"""The collector every tabular form counts through: it turns batches of columns into
counted instants, exclusion counts and the post ids' numbers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from calculator.errors import InvalidInput
from calculator.ingest import progress
from calculator.ingest.plain_values import Column, names_no_value, one_value_each
from calculator.ingest.post_id_numbers import NUMBER_LIMIT, PostNumbers, canonical_numbers
from calculator.ingest.post_occurrences import PostOccurrences
from calculator.ingest.row_values import (
    JSON_FORMATS,
    authorized_values,
    field_problem,
    named_as_in_the_log,
    platform_matches,
    posts_values,
)
from calculator.ingest.table_read import OPTIONAL_COLUMNS, TableRead
from calculator.ingest.timestamps import TimestampNotes, to_utc_ns
from calculator.ingest.unique_count import UniqueCount
from calculator.ingest.volume import Volume, VolumeBuilder


def _fits_numbers(column: pa.ChunkedArray) -> bool:
    """Whether an integer column's values are all below ``NUMBER_LIMIT`` (only unsigned
    64-bit ones can pass it); those that are not are told apart by their text."""
    if column.type != pa.uint64() or column.null_count == len(column):
        return True
    return pc.max(column).as_py() < NUMBER_LIMIT


@dataclass
class Prepared:
    """What of a batch can be worked out away from the collector, on another thread, while
    it counts the batch before: the instants, the posts and the ids' numbers when they are
    whole numbers. A problem found is kept and raised when the batch is counted, so the
    first bad row of the log is still the one named."""

    notes: TimestampNotes
    instants: np.ndarray | None = None
    posts: tuple[np.ndarray, int] | None = None
    numbers: np.ndarray | None = None  # canonical_numbers of a text post id column
    post_ids: Column | None = None  # the post id column as one plain value a row
    failed: InvalidInput | None = None


class _Collector:
    """Turns batches of columns into counted instants and exclusion counts."""

    def __init__(self, result: TableRead, platform: str | tuple[str, ...], assume_tz: str,
                 occurrences: bool = True) -> None:
        """``platform``: the assessed platform's id, or every name a log's platform column
        may give it (its id first: ``ReadChoices.platform_values``). ``occurrences`` False:
        the distinct count will not be priced, so the post ids' occurrences are not kept
        (only how many different ids there are)."""
        self.result = result
        self.platform = platform
        self.assume_tz = assume_tz
        self.builder = VolumeBuilder()
        self.post_numbers = PostNumbers()
        self.has_post_ids = False  # some rows came with a post id column
        self.occurrences = PostOccurrences()
        self.keeps_occurrences = occurrences
        self._unique = UniqueCount()  # the distinct count, sorted as the batches come

    def prepare(self, table: pa.Table, first_row: int) -> Prepared:
        """The batch's instants, posts and id numbers, for ``add``; touches nothing of the
        collector's, so it may run on another thread than ``add``."""
        found = Prepared(TimestampNotes())
        try:
            with _text_named_by_row(table, first_row):
                found.instants = to_utc_ns(table.column("timestamp"), self.assume_tz,
                                           first_row, found.notes)
                if "posts" in table.column_names:
                    found.posts = posts_values(table.column("posts"), first_row,
                                               empty_allowed=self._posts_may_be_left_out)
                if "post_id" in table.column_names:
                    found.post_ids = _post_ids(table, first_row)
        except InvalidInput as exc:
            found.failed = exc
            return found
        if found.post_ids is not None:
            found.numbers = canonical_numbers(found.post_ids)
        return found

    @property
    def _posts_may_be_left_out(self) -> bool:
        """Only a JSON record may leave out its posts (its key absent, or null), as a file
        may leave out the column: a table's empty cell (CSV, Parquet, Arrow, ORC) is refused
        (decision 0166)."""
        return self.result.format in JSON_FORMATS

    def add(self, table: pa.Table, first_row: int, prepared: Prepared | None = None) -> None:
        """Count a batch (``prepared``: what ``prepare`` worked out of it)."""
        try:
            with _text_named_by_row(table, first_row):
                self._add(table, first_row, prepared)
        except InvalidInput as exc:
            raise named_as_in_the_log(exc, self.result.column_map) from None

    def _add(self, table: pa.Table, first_row: int, prepared: Prepared | None) -> None:
        rows = table.num_rows
        if rows == 0:
            return
        names = table.column_names
        if prepared is None:
            prepared = Prepared(self.result.timestamps)
            prepared.instants = to_utc_ns(table.column("timestamp"), self.assume_tz,
                                          first_row, prepared.notes)
        elif prepared.failed is not None:
            raise prepared.failed
        else:
            self.result.timestamps.add(prepared.notes)
        instants = prepared.instants
        if "posts" in names:
            posts, missing_posts = prepared.posts or posts_values(
                table.column("posts"), first_row, empty_allowed=self._posts_may_be_left_out)
            self.result.posts_missing += missing_posts
        else:
            posts = np.ones(rows, dtype=np.int64)
        keep = np.ones(rows, dtype=bool)
        if "platform" in names:
            same, missing = platform_matches(table.column("platform"), self.platform,
                                             first_row)
            self.result.platform_missing += int(missing.sum())
            other = ~same & ~missing
            self._exclude("other_platforms", other, posts)
            keep &= ~other
        if "authorized" in names:
            authorized, missing = authorized_values(table.column("authorized"), first_row)
            self.result.authorized_missing += int(missing.sum())
            left_out = authorized & keep
            self._exclude("authorized", left_out, posts)
            keep &= ~authorized
        for column in OPTIONAL_COLUMNS:
            if column in names:
                self.result.present.add(column)
            else:
                self.result.absent[column] += rows
        self.result.rows += rows
        progress.rows_read(rows)
        self._occurrences(table, first_row, instants, keep, prepared)
        if keep.all():
            self.builder.add(instants, posts)
        else:
            self.builder.add(instants[keep], posts[keep])

    def _occurrences(self, table: pa.Table, first_row: int, instants: np.ndarray,
                     keep: np.ndarray, prepared: Prepared) -> None:
        """Post ids of the counted rows, as numbers in order of first sight (``prepared``:
        the plain column and its ``canonical_numbers`` when already worked out)."""
        if "post_id" not in table.column_names:
            self.result.post_id_missing += int(keep.sum())
            return
        self.has_post_ids = True
        column = prepared.post_ids if prepared.post_ids is not None \
            else _post_ids(table, first_row)
        numbers = prepared.numbers
        if pa.types.is_integer(column.type) and _fits_numbers(column):
            values = np.asarray(pc.fill_null(column.cast(pa.int64()), -1))
            if len(values) and values.min() >= 0:
                # Whole numbers are their own post numbers, as their text would be: no text
                # is made of them.
                chosen = keep & self._present(np.asarray(column.is_valid()), keep)
                self._occur(instants[chosen], values[chosen])
                return
        if numbers is None:
            numbers = canonical_numbers(column)
        if numbers is not None:
            chosen = keep & self._present(np.asarray(column.is_valid()), keep)
            if chosen.all():
                self._occur(instants, numbers)
            else:
                self._occur(instants[chosen], numbers[chosen])
            return
        # Large text: a batch's ids may pass 2 GiB together, which plain text cannot hold.
        text = column.cast(pa.large_string())
        ids = pc.utf8_trim_whitespace(text)
        given = np.asarray(pc.fill_null(pc.not_equal(ids, ""), False)) & ~names_no_value(text)
        chosen = keep & self._present(given, keep)
        if chosen.all():
            self._occur(instants, self.post_numbers.of(ids))
        else:
            self._occur(instants[chosen], self.post_numbers.of(ids.filter(chosen)))

    def _occur(self, instants: np.ndarray, numbers: np.ndarray) -> None:
        if self.keeps_occurrences:
            self.occurrences.add(instants, numbers)
        self._unique.add(numbers)

    def _present(self, present: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """Counts the counted rows without a post id; ``present`` back."""
        self.result.post_id_missing += int(np.count_nonzero(keep & ~present))
        return present

    def distinct_posts(self) -> int | None:
        """How many different post ids the counted rows carry (all three counts are
        reported, decision 0011); None when the log has no post ids. The ids were sorted
        batch by batch as they were read, on a thread of their own (``UniqueCount``)."""
        if not self.has_post_ids:
            return None
        return self._unique.count()

    def distinct(self) -> Volume | None:
        """The distinct-post volume whenever the log has post ids; None when it has none."""
        if not self.has_post_ids:
            return None
        return self.occurrences.volume()

    def _exclude(self, reason: str, mask: np.ndarray, posts: np.ndarray) -> None:
        self.result.excluded_rows[reason] += int(mask.sum())
        self.result.excluded_posts[reason] += int(posts[mask].sum())


def _post_ids(table: pa.Table, first_row: int) -> Column:
    return one_value_each(table.column("post_id"), first_row, lambda row, what: field_problem(
        row, "post_id", f"holds {what}, not one post id"))


@contextmanager
def _text_named_by_row(table: pa.Table, first_row: int) -> Iterator[None]:
    """Text that is not UTF-8, refused by its row and column: a column file's text is not
    checked as it is read (Parquet's is not at all), and the kernels that read text refuse
    it with Arrow's words. Only then is the column searched for the row."""
    try:
        yield
    except pa.ArrowInvalid as exc:
        if "UTF8" not in str(exc):
            raise
        for name, column in zip(table.column_names, table.columns, strict=True):
            row = first_row
            for chunk in column.chunks:
                index = _first_not_utf8(chunk)
                if index is not None:
                    raise field_problem(row + index, name, "holds text that is not UTF-8") \
                        from None
                row += len(chunk)
        raise


def _first_not_utf8(chunk: pa.Array) -> int | None:
    """The first value of a text chunk that is not UTF-8 (halves checked in turn)."""
    if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)) \
            or _is_utf8(chunk):
        return None
    low, high = 0, len(chunk)  # the first such value lies in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if _is_utf8(chunk.slice(low, middle - low)):
            low = middle
        else:
            high = middle
    return low


def _is_utf8(texts: pa.Array) -> bool:
    try:
        texts.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True
