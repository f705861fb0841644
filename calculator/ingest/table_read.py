"""What reading a tabular log found: the counted volume, the rows left out and why, and
the plain sentences that say so."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from calculator.errors import FieldProblem, InvalidInput, shortened
from calculator.ingest.columns import ColumnMap
from calculator.ingest.timestamps import TimestampNotes
from calculator.ingest.volume import Volume

COUNTED_COLUMNS = ("timestamp", "posts", "platform", "authorized", "post_id")
OPTIONAL_COLUMNS = ("posts", "platform", "authorized")  # columns whose rows may go without them
# Every form of log is held to the same bounds on what it names: its columns (a CSV's
# header, a column file's schema, the keys of JSON records) are listed in the assessment
# document, and tens of thousands of them once took seconds to minutes to read.
MAX_COLUMNS = 10_000  # columns (or different keys) one log may name
MAX_COLUMN_NAME = 256  # characters of one column name (or key)

# Bytes one line of a text log may run on for (a CSV record of quoted values excepted).
# Refusing a row costs many times its length at its peak (its block, Arrow's columns, its
# text checked): a row holding a 200 MiB posts value took 17 s and 3.6 GB to be refused,
# one of 60 MiB 1.3 GB, and a line of any length was read on. A valid log may carry a long
# field (a 40 MiB note is read, 270 MB at peak).
LONGEST_LINE = 64 << 20


def line_too_long() -> InvalidInput:
    return InvalidInput(f"a line of the log runs on past {LONGEST_LINE >> 20} MiB without "
                        "ending: no row of a log is that long; check that the file is the "
                        "log, one row per line")


def names_within_bounds(names: list[str], naming: str, row: int | None = None) -> None:
    """Refuse ``names`` (all the columns a log names so far) past ``MAX_COLUMNS``, or one of
    them past ``MAX_COLUMN_NAME`` characters; ``naming`` says what names them, with its verb
    ("the Parquet file names"), ``row`` which row does, when one does."""
    message = None
    if len(names) > MAX_COLUMNS:
        message = f"{naming} more than {MAX_COLUMNS:,} columns; a log needs a few"
    else:
        longest = max(names, key=len, default="")
        if len(longest) > MAX_COLUMN_NAME:
            message = (f"{naming} a column of {len(longest):,} characters; a column name "
                       f"may have at most {MAX_COLUMN_NAME}")
    if message is None:
        return
    if row is None:
        raise InvalidInput(message, problems=[FieldProblem(message)])
    raise InvalidInput(f"row {row}: {message}", problems=[FieldProblem(message, row=row)])


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
    absent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPTIONAL_COLUMNS, 0))
    present: set[str] = field(default_factory=set)
    timestamps: TimestampNotes = field(default_factory=TimestampNotes)
    distinct: Volume | None = None  # occurrences of post ids, once built (distinct_volume)
    distinct_posts: int | None = None  # how many different post ids, when the log has them
    # Builds ``distinct`` when the distinct count is priced: sorting every occurrence by post
    # costs more than the rest of a read, and the other counts need only ``distinct_posts``.
    build_distinct: Callable[[], Volume] | None = field(default=None, repr=False)
    post_id_missing: int = 0  # counted rows without a post id (not in the distinct count)
    column_map: ColumnMap | None = None  # which of the log's columns carries which fact
    delimiters: set[str] = field(default_factory=set)  # what separated a CSV's fields
    # ``ignored_columns`` as a set, for ``ignore``: a log naming thousands of keys was
    # looked up in the list once per key and row (seconds per batch).
    _ignored: set[str] = field(default_factory=set, repr=False)

    def ignore(self, name: str) -> None:
        """Note a column (or key) that is not used, once, in the order first seen."""
        if name not in self._ignored:
            self._ignored.add(name)
            self.ignored_columns.append(name)

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
        other = sorted(d for d in self.delimiters if d != ",")
        if other:
            words = " and ".join(_SEPARATED_BY[d] for d in other)
            notes.append(f"The CSV's fields were separated by {words}"
                         f"{', and in some files by commas' if ',' in self.delimiters else ''}.")
        stamps = self.timestamps
        if stamps.naive:
            notes.append(f"{plural(stamps.naive, 'timestamp')} had no offset and "
                         f"{were(stamps.naive)} read as {assume_tz} (assume_tz).")
        if stamps.ambiguous:
            notes.append(f"{plural(stamps.ambiguous, 'local time')} fell in the hour that "
                         f"{assume_tz} repeats when clocks go back, and "
                         f"{were(stamps.ambiguous)} read as its first occurrence.")
        if stamps.nonexistent:
            notes.append(f"{plural(stamps.nonexistent, 'local time')} fell in the hour that "
                         f"{assume_tz} skips when clocks go forward, and "
                         f"{were(stamps.nonexistent)} moved past the gap.")
        if stamps.epoch:
            notes.append(f"{plural(stamps.epoch, 'timestamp')} {were(stamps.epoch)} epoch seconds "
                         "(UTC).")
        if not self.has_posts_column and "posts" not in self.present:
            # Files of one log, some with posts: the rows of the others are said below.
            notes.append("The log has no posts column: each row counts as one post.")
        if posts_missing := self.missing("posts", self.posts_missing):
            notes.append(f"{plural(posts_missing, 'row')} gave no posts count and "
                         f"{were(posts_missing)} counted as one post"
                         f"{' each' if posts_missing != 1 else ''}.")
        if platform_missing := self.missing("platform", self.platform_missing):
            notes.append(f"{plural(platform_missing, 'row')} named no platform and "
                         f"{were(platform_missing)} counted as {platform}.")
        if authorized_missing := self.missing("authorized", self.authorized_missing):
            notes.append(f"{plural(authorized_missing, 'row')} gave no authorized value "
                         f"and {were(authorized_missing)} counted as not authorized.")
        if self.excluded_rows["other_platforms"]:
            other = self.excluded_rows["other_platforms"]
            notes.append(f"{plural(other, 'row')} of other platforms {were(other)} left out.")
        if self.excluded_rows["authorized"]:
            marked = self.excluded_rows["authorized"]
            notes.append(f"{plural(marked, 'row')} marked authorized (made under an "
                         f"agreement) {were(marked)} left out.")
        if self.post_id_missing and self.has_post_ids:
            notes.append(f"{plural(self.post_id_missing, 'row')} had no post_id and "
                         f"{'is' if self.post_id_missing == 1 else 'are'} not in the "
                         "distinct count.")
        if self.ignored_columns:
            shown = ", ".join(shortened(n) for n in self.ignored_columns[:20])
            if len(self.ignored_columns) > 20:
                shown += f" and {len(self.ignored_columns) - 20:,} more"
            notes.append(f"Columns not used: {shown}.")
        return notes


_SEPARATED_BY = {"\t": "tabs", ";": "semicolons"}
_FACT_WORDS = {"timestamp": "time", "posts": "posts", "post_id": "post id", "url": "URL",
               "platform": "platform"}


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def were(count: int) -> str:
    """The verb after ``plural(count, ...)``: ``1 row was``, ``2 rows were``."""
    return "was" if count == 1 else "were"
