"""What reading a tabular log found, and the counting shared by its every form: the
collector that turns batches of columns into counted instants and exclusion counts, and
the checks of a row's posts, platform and authorized values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from calculator.errors import FieldProblem, InvalidInput, shortened
from calculator.ingest import progress
from calculator.ingest.columns import ColumnMap
from calculator.ingest.post_occurrences import PostOccurrences
from calculator.ingest.timestamps import TimestampNotes, to_utc_ns
from calculator.ingest.unique_count import UniqueCount
from calculator.ingest.volume import Volume, VolumeBuilder

_COUNTED_COLUMNS = ("timestamp", "posts", "platform", "authorized", "post_id")
_OPTIONAL = ("posts", "platform", "authorized")  # columns whose rows may go without them
MAX_POSTS = 10**12  # posts one row may carry: more is a mistake (and would overflow sums)
# A post id that is a number: 0, or up to 18 digits without a leading zero (fits 64 bits).
_NUMBER_LIMIT = 10**18
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


@dataclass
class TableRead:
    """What reading a tabular log found: the counted volume and everything left out."""

    format: str
    volume: Volume
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    has_posts_column: bool = False
    excluded_rows: dict[str, int] = field(default_factory=lambda: {
        "other_platforms": 0, "authorized": 0})
    excluded_posts: dict[str, int] = field(default_factory=lambda: {
        "other_platforms": 0, "authorized": 0})
    platform_missing: int = 0  # rows without a platform, counted as the assessed one
    authorized_missing: int = 0  # rows without an authorized value, counted as not authorized
    posts_missing: int = 0  # rows with a posts column but no value there, counted as one
    # Rows read in a batch without the posts, platform or authorized column at all (JSON
    # records are read in batches; a key some records lack is missing from a batch only by
    # chance), and which of those columns any batch had: a row without the column in a log
    # that has it counts as missing there, however the log was cut into batches.
    absent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_OPTIONAL, 0))
    present: set[str] = field(default_factory=set)
    timestamps: TimestampNotes = field(default_factory=TimestampNotes)
    distinct: Volume | None = None  # occurrences of post ids, once built (distinct_volume)
    distinct_posts: int | None = None  # how many different post ids, when the log has them
    # Builds ``distinct`` when the distinct count is priced: sorting every occurrence by post
    # costs more than the rest of a read, and the other counts need only ``distinct_posts``.
    build_distinct: Callable[[], Volume] | None = field(default=None, repr=False)
    post_id_missing: int = 0  # counted rows without a post id (not in the distinct count)
    column_map: ColumnMap | None = None  # which of the log's columns carries which fact

    def missing(self, column: str, empty: int) -> int:
        """Rows without a value in ``column`` (``empty``: those with the column, empty),
        when the log has that column."""
        return empty + self.absent[column] if column in self.present else empty

    @property
    def has_post_ids(self) -> bool:
        return self.distinct is not None or self.distinct_posts is not None

    def distinct_volume(self) -> Volume | None:
        """The distinct-post volume (built once, when first asked for); None without post
        ids."""
        if self.distinct is None and self.build_distinct is not None:
            self.distinct = self.build_distinct()
            self.build_distinct = None
        return self.distinct

    def notes(self, platform: str, assume_tz: str) -> list[str]:
        """Plain sentences for every choice made while reading the log."""
        notes = []
        renamed = self.column_map.renamed() if self.column_map else {}
        if renamed:
            read = "; ".join(f"the {words} from the column {renamed[internal]}"
                             for internal, words in _FACT_WORDS.items() if internal in renamed)
            notes.append(f"Columns read under other names: {read}.")
        stamps = self.timestamps
        if stamps.naive:
            notes.append(f"{plural(stamps.naive, 'timestamp')} had no offset and were read as "
                         f"{assume_tz} (assume_tz).")
        if stamps.ambiguous:
            notes.append(f"{plural(stamps.ambiguous, 'local time')} fell in the hour that "
                         f"{assume_tz} repeats when clocks go back, and were read as its "
                         "first occurrence.")
        if stamps.nonexistent:
            notes.append(f"{plural(stamps.nonexistent, 'local time')} fell in the hour that "
                         f"{assume_tz} skips when clocks go forward, and were moved past the "
                         "gap.")
        if stamps.epoch:
            notes.append(f"{plural(stamps.epoch, 'timestamp')} were epoch seconds (UTC).")
        if not self.has_posts_column:
            notes.append("The log has no posts column: each row counts as one post.")
        if posts_missing := self.missing("posts", self.posts_missing):
            notes.append(f"{plural(posts_missing, 'row')} gave no posts count and were "
                         "counted as one post each.")
        if platform_missing := self.missing("platform", self.platform_missing):
            notes.append(f"{plural(platform_missing, 'row')} named no platform and were "
                         f"counted as {platform}.")
        if authorized_missing := self.missing("authorized", self.authorized_missing):
            notes.append(f"{plural(authorized_missing, 'row')} gave no authorized value "
                         "and were counted as not authorized.")
        if self.excluded_rows["other_platforms"]:
            notes.append(f"{plural(self.excluded_rows['other_platforms'], 'row')} of other "
                         "platforms were left out.")
        if self.excluded_rows["authorized"]:
            notes.append(f"{plural(self.excluded_rows['authorized'], 'row')} marked "
                         "authorized (made under an agreement) were left out.")
        if self.post_id_missing and self.has_post_ids:
            notes.append(f"{plural(self.post_id_missing, 'row')} had no post_id and are not in "
                         "the distinct count.")
        if self.ignored_columns:
            shown = ", ".join(shortened(n) for n in self.ignored_columns[:20])
            if len(self.ignored_columns) > 20:
                shown += f" and {len(self.ignored_columns) - 20:,} more"
            notes.append(f"Columns not used: {shown}.")
        return notes


_FACT_WORDS = {"timestamp": "time", "posts": "posts", "post_id": "post id", "url": "URL",
               "platform": "platform"}


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


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
    failed: InvalidInput | None = None


class _Collector:
    """Turns batches of columns into counted instants and exclusion counts."""

    def __init__(self, result: TableRead, platform: str, assume_tz: str,
                 occurrences: bool = True) -> None:
        """``occurrences`` False: the distinct count will not be priced, so the post ids'
        occurrences are not kept (only how many different ids there are)."""
        self.result = result
        self.platform = platform
        self.assume_tz = assume_tz
        self.builder = VolumeBuilder()
        self.post_ids: dict[str, int] = {}
        self.has_post_ids = False  # some rows came with a post id column
        self.occurrences = PostOccurrences()
        self.keeps_occurrences = occurrences
        self._unique = UniqueCount()  # the distinct count, sorted as the batches come

    def prepare(self, table: pa.Table, first_row: int) -> Prepared:
        """The batch's instants, posts and id numbers, for ``add``; touches nothing of the
        collector's, so it may run on another thread than ``add``."""
        found = Prepared(TimestampNotes())
        try:
            found.instants = to_utc_ns(table.column("timestamp"), self.assume_tz, first_row,
                                       found.notes)
            if "posts" in table.column_names:
                found.posts = _posts(table.column("posts"), first_row,
                                     empty_allowed=self.result.format != "csv")
        except InvalidInput as exc:
            found.failed = exc
            return found
        if "post_id" in table.column_names:
            found.numbers = canonical_numbers(table.column("post_id"))
        return found

    def add(self, table: pa.Table, first_row: int, prepared: Prepared | None = None) -> None:
        """Count a batch (``prepared``: what ``prepare`` worked out of it)."""
        try:
            self._add(table, first_row, prepared)
        except InvalidInput as exc:
            raise _named_as_in_the_log(exc, self.result.column_map) from None

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
            posts, missing_posts = prepared.posts or _posts(
                table.column("posts"), first_row, empty_allowed=self.result.format != "csv")
            self.result.posts_missing += missing_posts
        else:
            posts = np.ones(rows, dtype=np.int64)
        keep = np.ones(rows, dtype=bool)
        if "platform" in names:
            same, missing = _platform_matches(table.column("platform"), self.platform)
            self.result.platform_missing += int(missing.sum())
            other = ~same & ~missing
            self._exclude("other_platforms", other, posts)
            keep &= ~other
        if "authorized" in names:
            authorized, missing = _authorized(table.column("authorized"), first_row)
            self.result.authorized_missing += int(missing.sum())
            left_out = authorized & keep
            self._exclude("authorized", left_out, posts)
            keep &= ~authorized
        for column in _OPTIONAL:
            if column in names:
                self.result.present.add(column)
            else:
                self.result.absent[column] += rows
        self.result.rows += rows
        progress.rows_read(rows)
        self._occurrences(table, instants, keep, prepared.numbers)
        if keep.all():
            self.builder.add(instants, posts)
        else:
            self.builder.add(instants[keep], posts[keep])

    def _occurrences(self, table: pa.Table, instants: np.ndarray, keep: np.ndarray,
                     numbers: np.ndarray | None) -> None:
        """Post ids of the counted rows, as numbers in order of first sight (``numbers``:
        the column's ``canonical_numbers`` when already worked out)."""
        if "post_id" not in table.column_names:
            self.result.post_id_missing += int(keep.sum())
            return
        self.has_post_ids = True
        column = table.column("post_id")
        if pa.types.is_integer(column.type):
            values = np.asarray(pc.fill_null(column.cast(pa.int64()), -1))
            if len(values) and values.min() >= 0 and values.max() < _NUMBER_LIMIT:
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
        ids = pc.utf8_trim_whitespace(column.cast(pa.string()))
        chosen = keep & self._present(np.asarray(pc.fill_null(pc.not_equal(ids, ""), False)),
                                      keep)
        if chosen.all():
            self._occur(instants, self._numbers(ids))
        else:
            self._occur(instants[chosen], self._numbers(ids.filter(chosen)))

    def _occur(self, instants: np.ndarray, numbers: np.ndarray) -> None:
        if self.keeps_occurrences:
            self.occurrences.add(instants, numbers)
        self._unique.add(numbers)

    def _present(self, present: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """Counts the counted rows without a post id; ``present`` back."""
        self.result.post_id_missing += int(np.count_nonzero(keep & ~present))
        return present

    def _numbers(self, ids: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """A number per post id, equal for equal ids only. Ids written as whole numbers
        (X's, Reddit's numeric ids...) are their own number, without a lookup: the text of
        a number without leading zeros names one number and back. Other ids get negative
        numbers in order of first sight."""
        numeric = _whole_numbers(ids)
        numbers = np.empty(len(ids), dtype=np.int64)
        if numeric.all():
            numbers[:] = np.asarray(ids.cast(pa.int64()))
        elif numeric.any():
            numbers[numeric] = np.asarray(ids.filter(numeric).cast(pa.int64()))
        if not numeric.all():
            other = ids.filter(~numeric)
            encoded = pc.dictionary_encode(other).combine_chunks()
            seen = np.array([-1 - self.post_ids.setdefault(value, len(self.post_ids))
                             for value in encoded.dictionary.to_pylist()] or [0],
                            dtype=np.int64)
            numbers[~numeric] = seen[np.asarray(encoded.indices)]
        return numbers

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


# The numbers written with k digits are _FROM[k] <= n < _BELOW[k] (k from 1 to 18).
_DIGITS = len(str(_NUMBER_LIMIT - 1))
_FROM = np.array([0, 0] + [10**(k - 1) for k in range(2, _DIGITS + 1)], dtype=np.int64)
_BELOW = np.array([0] + [10**k for k in range(1, _DIGITS + 1)], dtype=np.int64)


def canonical_numbers(ids: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """The post numbers of a text column whose every id is a whole number (as
    ``_whole_numbers`` defines it); None when some id is not, for the general path to tell
    apart. A null's entry is 0 and means nothing (a row without a post id is not counted).

    Arrow parses the whole column at once. A text it parses that is not such a number
    (``007``, ``-0``, ``0x1F``) parses to a number with fewer digits than the text has
    bytes, or starts with a zero: one length check and one prefix check find it, with no
    trimming, digit test or lookup (about a third of the time)."""
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)) or \
            len(ids) == 0:
        return None
    try:
        numbers = np.asarray(pc.fill_null(ids.cast(pa.int64()), 0))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # empty, spaces, letters, too big
        return None
    length = np.asarray(pc.fill_null(pc.binary_length(ids), 1))
    if numbers.min() < 0 or length.max() > _DIGITS or \
            not ((numbers >= _FROM[length]) & (numbers < _BELOW[length])).all():
        return None
    if np.asarray(pc.fill_null(pc.starts_with(ids, "0"), False))[length > 1].any():
        return None
    return numbers


def _whole_numbers(ids: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Which ids are numbers as ``_NUMBER_LIMIT`` says: ASCII digits only, at most 18, no
    leading zero (three plain kernels; a regular expression took four times as long)."""
    digits = np.asarray(pc.fill_null(pc.ascii_is_decimal(ids), False))
    length = np.asarray(pc.fill_null(pc.binary_length(ids), 0))
    zero_led = np.asarray(pc.fill_null(pc.starts_with(ids, "0"), False)) & (length > 1)
    return digits & (length <= 18) & ~zero_led


def _named_as_in_the_log(exc: InvalidInput, column_map: ColumnMap | None) -> InvalidInput:
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


def _problem(row: int, column: str, message: str) -> InvalidInput:
    return InvalidInput(f"row {row}, {column}: {message}",
                        problems=[FieldProblem(message, field=column, row=row)])


def _posts(column: pa.ChunkedArray, first_row: int, empty_allowed: bool
           ) -> tuple[np.ndarray, int]:
    """Post counts, and how many rows gave none. A CSV cell that is empty or not a number
    (``NaN``, ``N/A``, ``null``: pyarrow reads them as null) is an error, not one post: only
    a log without the column counts one per row. ``empty_allowed``: a JSON record without
    the key counts one, and the result says how many did."""
    values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = pc.utf8_trim_whitespace(values)
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        whole = pc.match_substring_regex(values, r"^-?\d{1,18}$")
        whole = np.asarray(pc.fill_null(whole, True))
        if not whole.all():
            raise _posts_problem(first_row + int(np.flatnonzero(~whole)[0]))
        values = values.cast(pa.int64())
    elif pa.types.is_floating(values.type) or pa.types.is_decimal(values.type):
        raw = values.to_pylist()
        for index, value in enumerate(raw):
            if value is not None and (value != value or value != int(value)
                                      or abs(value) > MAX_POSTS):
                raise _posts_problem(first_row + index)
        values = pa.array([None if v is None else int(v) for v in raw], pa.int64())
    elif not pa.types.is_integer(values.type) and not pa.types.is_null(values.type):
        raise _posts_problem(first_row)
    missing = values.null_count
    if missing and not empty_allowed:
        index = int(np.flatnonzero(np.asarray(values.is_null()))[0])
        message = ("is empty or not a number (NaN, N/A, null); give a whole number of posts, "
                   "or leave out the posts column to count one post per row")
        raise _problem(first_row + index, "posts", message)
    result = np.asarray(pc.fill_null(values.cast(pa.int64()), 1))
    wrong = np.flatnonzero((result < 0) | (result > MAX_POSTS))
    if len(wrong):
        raise _posts_problem(first_row + int(wrong[0]))
    return result, missing


def _posts_problem(row: int) -> InvalidInput:
    return _problem(row, "posts", f"is not a whole number of posts from 0 to {MAX_POSTS:,}")


def _platform_matches(column: pa.ChunkedArray, platform: str) -> tuple[np.ndarray, np.ndarray]:
    values = pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))
    missing = np.asarray(pc.fill_null(pc.equal(values, ""), True))
    same = np.asarray(pc.fill_null(pc.equal(values, platform), False))
    return same, missing


def _authorized(column: pa.ChunkedArray, first_row: int) -> tuple[np.ndarray, np.ndarray]:
    values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_boolean(values.type):
        missing = np.asarray(values.is_null())
        return np.asarray(pc.fill_null(values, False)), missing
    text = pc.utf8_lower(pc.utf8_trim_whitespace(values.cast(pa.string())))
    missing = np.asarray(pc.fill_null(pc.equal(text, ""), True))
    true = np.asarray(pc.fill_null(pc.is_in(text, pa.array(_TRUE)), False))
    false = np.asarray(pc.fill_null(pc.is_in(text, pa.array(_FALSE)), False))
    bad = ~(true | false | missing)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise _problem(first_row + index, "authorized",
                       "is not true or false (also accepted: 1/0, yes/no)")
    return true, missing
