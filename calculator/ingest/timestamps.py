"""Timestamps of a log column as UTC nanoseconds, vectorized, with row-exact errors.

Accepted: ISO 8601 with an offset or ``Z``; ISO 8601 without one (read in the zone
the caller names, and counted so the result can say so); epoch seconds, with up to
nine decimals. Anything else is an error naming the row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from calculator.errors import FieldProblem, InvalidInput
from calculator.ingest import compiled_reads
from calculator.ingest.plain_values import NO_VALUE_TEXTS, one_value_each
from calculator.timeutil import FIRST_YEAR, LAST_YEAR, SUPPORTED_YEARS

_EPOCH = r"^-?\d{1,11}(\.\d{1,9})?$"
_ISO_DATE_TIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
_OFFSET = _ISO_DATE_TIME + r"(Z|z|[+-]\d{2}(:?\d{2})?)$"
_NAIVE = _ISO_DATE_TIME + r"$"
_BILLION = pa.scalar(Decimal(10**9), pa.decimal128(10, 0))
_UTC_NS = pa.timestamp("ns", tz="UTC")
_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}  # nanoseconds in each unit
_NO_VALUE_UPPER = frozenset(text.upper() for text in NO_VALUE_TEXTS)
# The first and the last nanosecond of the years read, since the epoch.
EARLIEST_NS = int(np.datetime64(f"{FIRST_YEAR}-01-01", "ns").astype(np.int64))
LATEST_NS = int(np.datetime64(f"{LAST_YEAR + 1}-01-01", "ns").astype(np.int64)) - 1


@dataclass
class TimestampNotes:
    """What had to be assumed to read the timestamps, counted over the whole log."""

    naive: int = 0
    ambiguous: int = 0  # naive times in an hour the zone's clock repeats
    nonexistent: int = 0  # naive times in an hour the zone's clock skips
    epoch: int = 0
    kinds: set[str] = field(default_factory=set)

    def add(self, other: TimestampNotes) -> None:
        """Count in what reading another batch had to assume."""
        self.naive += other.naive
        self.ambiguous += other.ambiguous
        self.nonexistent += other.nonexistent
        self.epoch += other.epoch
        self.kinds |= other.kinds


def bad_timestamp(row: int, value: object, why: str = "") -> InvalidInput:
    """A row whose timestamp cannot be read: its row and what was expected, never the value
    (a log's content is not echoed)."""
    if value is None or (isinstance(value, str) and (not value.strip()
                                                     or value.upper() in _NO_VALUE_UPPER)):
        # NaN, N/A and null name no value, as an empty cell does (decision 0166); the text
        # may come here upper-cased, as the reading of mixed kinds gives it.
        message = ("is empty or names no value (NaN, N/A, null); every row needs the instant "
                   "of its access")
    else:
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) > 11:
            why = "; epoch milliseconds are not accepted, give seconds (with decimals)"
        message = (f"is not an ISO 8601 instant (2024-11-15T09:30:00Z), a local date-time "
                   f"(2024-11-15 09:30:00) or epoch seconds (1731663000){why}")
    return InvalidInput(f"row {row}, timestamp: {message}",
                        problems=[FieldProblem(message, field="timestamp", row=row)])


def _outside(row: int) -> InvalidInput:
    message = f"is outside {SUPPORTED_YEARS}, the instants this service reads"
    return InvalidInput(f"row {row}, timestamp: {message}",
                        problems=[FieldProblem(message, field="timestamp", row=row)])


def to_utc_ns(values: pa.Array | pa.ChunkedArray, assume_tz: str, first_row: int,
              notes: TimestampNotes) -> np.ndarray:
    """Read one column of timestamps; ``first_row`` is the row number of its first value."""
    values = one_value_each(values, first_row,
                            lambda row, what: bad_timestamp(row, "?", f"; it holds {what}"))
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        # The common form (2025-03-01T12:00:00Z) in one compiled pass when it is loaded,
        # chunk by chunk where the chunks lie (joining them copied every text): Arrow's
        # cast took 17 ms per million, the pass 3 ms for a log in time order (9 ms reading
        # every text whole).
        fast = compiled_reads.utc_instants(values)
        if fast is not None:
            notes.kinds.add("offset")
            return fast
    if isinstance(values, pa.ChunkedArray):
        if values.null_count == 0 and values.type == _UTC_NS:
            notes.kinds.add("offset")  # the CSV reader parsed them already: no copy needed
            row = first_row
            for chunk in values.chunks:
                _within_years(chunk, row)
                row += len(chunk)
            return np.concatenate([c.cast(pa.int64()).to_numpy() for c in values.chunks]
                                  or [np.zeros(0, dtype=np.int64)])
        values = values.combine_chunks()
    if values.null_count:
        index = int(np.flatnonzero(np.asarray(values.is_null()))[0])
        if index:  # a value before the first empty one that cannot be read is named first
            to_utc_ns(values.slice(0, index), assume_tz, first_row, TimestampNotes())
        raise bad_timestamp(first_row + index, None)
    kind = values.type
    if pa.types.is_timestamp(kind):
        _within_years(values, first_row)
        if kind.tz is None:
            return _localize(values, assume_tz, first_row, notes)
        notes.kinds.add("offset")
        return np.asarray(values.cast(_UTC_NS).cast(pa.int64()))
    if pa.types.is_integer(kind):
        notes.kinds.add("epoch")
        notes.epoch += len(values)
        try:
            return np.asarray(pc.multiply_checked(values.cast(pa.int64()), 10**9))
        except pa.ArrowInvalid:
            return _per_value(values.cast(pa.string()), assume_tz, first_row, notes)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _from_strings(values, assume_tz, first_row, notes)
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        # Epoch seconds with decimals: their text decides (a float loses digits).
        return _per_value(values.cast(pa.string()), assume_tz, first_row, notes)
    # Durations, dates without a time, times of day, booleans...: none is an instant (the
    # text of a duration is a bare number in any unit, which would pass for epoch seconds).
    raise bad_timestamp(first_row, "?", f"; the column holds {kind} values, not instants")


def _within_years(values: pa.Array, first_row: int) -> None:
    """Refuse, by its row, the first typed timestamp outside ``SUPPORTED_YEARS``: a column
    file can hold any 64-bit instant in seconds, and Arrow's cast to nanoseconds failed on
    one past 2262 with its own error (and the value), where a text timestamp is refused
    in words."""
    per = _PER_UNIT[values.type.unit]
    ticks = values.cast(pa.int64())
    lowest, highest = -(-EARLIEST_NS // per), LATEST_NS // per
    bounds = pc.min_max(ticks)
    if bounds["min"].as_py() >= lowest and bounds["max"].as_py() <= highest:
        return
    raw = np.asarray(ticks)
    raise _outside(first_row + int(np.flatnonzero((raw < lowest) | (raw > highest))[0]))


def _from_strings(values: pa.Array, assume_tz: str, first_row: int,
                  notes: TimestampNotes) -> np.ndarray:
    """Texts the compiled pass did not read (``to_utc_ns``): Arrow's cast, else value by
    value."""
    # Tried as they are first: whitespace around a timestamp is rare, and trimming copies
    # every string (a value that parses untrimmed has no whitespace to trim).
    for trimmed in (False, True):
        if trimmed:
            values = pc.utf8_trim_whitespace(values)
        try:
            result = np.asarray(values.cast(_UTC_NS).cast(pa.int64()))
            notes.kinds.add("offset")
            return result
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    return _per_value(values, assume_tz, first_row, notes)


def _per_value(values: pa.Array, assume_tz: str, first_row: int,
               notes: TimestampNotes) -> np.ndarray:
    """A column of mixed kinds: classify each value, then read each kind in bulk."""
    # RFC 3339 lets the "T" and "Z" of an instant be written in lower case, which Arrow's
    # reading does not take: an ISO instant or epoch seconds has no other letter to change.
    values = pc.utf8_upper(values)
    out = np.zeros(len(values), dtype=np.int64)
    offset = np.asarray(pc.match_substring_regex(values, _OFFSET))
    naive = np.asarray(pc.match_substring_regex(values, _NAIVE))
    epoch = np.asarray(pc.match_substring_regex(values, _EPOCH))
    unknown = ~(offset | naive | epoch)
    if unknown.any():
        index = int(np.flatnonzero(unknown)[0])
        raise bad_timestamp(first_row + index, values[index].as_py())
    for mask, reader in ((offset, _read_offset), (naive, _read_naive), (epoch, _read_epoch)):
        if mask.any():
            positions = np.flatnonzero(mask)
            subset = values.take(pa.array(positions))
            try:
                out[positions] = reader(subset, assume_tz, notes)
            except (pa.ArrowInvalid, InvalidInput):
                raise _first_failure(subset, positions, reader, assume_tz, first_row) from None
    return out


def _first_failure(subset: pa.Array, positions: np.ndarray, reader, assume_tz: str,
                   first_row: int) -> InvalidInput:
    for index in range(len(subset)):
        try:
            reader(subset.slice(index, 1), assume_tz, TimestampNotes())
        except (pa.ArrowInvalid, InvalidInput) as exc:
            row = first_row + int(positions[index])
            text = subset[index].as_py()
            year = text.strip()[:4] if isinstance(text, str) else ""
            if reader is _read_epoch or \
                    (year.isdigit() and not FIRST_YEAR <= int(year) <= LAST_YEAR):
                return _outside(row)
            why = "; it looks like one but is not a real date and time" \
                if isinstance(exc, pa.ArrowInvalid) else ""
            if isinstance(text, str) and _LEAP_SECOND.search(text):
                return _leap_second(row)
            return bad_timestamp(row, text, why)
    return bad_timestamp(first_row + int(positions[0]), subset[0].as_py())


# A second numbered 60: UTC's leap second, which is a real instant, but which instants
# counted as this service counts them (POSIX time, as Arrow and most logs count it: every
# day 86,400 seconds) cannot hold.
_LEAP_SECOND = re.compile(r"[T ]\d\d:\d\d:60(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\s*$",
                          re.IGNORECASE)


def _leap_second(row: int) -> InvalidInput:
    message = ("is a leap second (its second is 60), which instants counted without leap "
               "seconds, as POSIX time counts them (every day 86,400 seconds), cannot hold: "
               "give it as the second before (:59) or the one after")
    return InvalidInput(f"row {row}, timestamp: {message}",
                        problems=[FieldProblem(message, field="timestamp", row=row)])


def _read_offset(values: pa.Array, assume_tz: str, notes: TimestampNotes) -> np.ndarray:
    notes.kinds.add("offset")
    return np.asarray(values.cast(_UTC_NS).cast(pa.int64()))


def _read_naive(values: pa.Array, assume_tz: str, notes: TimestampNotes) -> np.ndarray:
    return _localize(values.cast(pa.timestamp("ns")), assume_tz, 0, notes)


def _read_epoch(values: pa.Array, assume_tz: str, notes: TimestampNotes) -> np.ndarray:
    notes.kinds.add("epoch")
    notes.epoch += len(values)
    scaled = pc.multiply_checked(values.cast(pa.decimal128(20, 9)), _BILLION)
    return np.asarray(scaled.cast(pa.int64()))


def _localize(values: pa.Array, assume_tz: str, first_row: int,
              notes: TimestampNotes) -> np.ndarray:
    notes.kinds.add("naive")
    notes.naive += len(values)
    naive = values.cast(pa.timestamp("ns"))
    if assume_tz == "UTC":
        return np.asarray(naive.cast(pa.int64()))
    # A repeated wall-clock hour is read as its first occurrence; a skipped one is moved
    # forward past the gap. Reading again with the other choice counts each case.
    def read(ambiguous: str, nonexistent: str) -> np.ndarray:
        return np.asarray(pc.assume_timezone(naive, timezone=assume_tz, ambiguous=ambiguous,
                                             nonexistent=nonexistent).cast(pa.int64()))

    chosen = read("earliest", "latest")
    notes.ambiguous += int((chosen != read("latest", "latest")).sum())
    notes.nonexistent += int((chosen != read("earliest", "earliest")).sum())
    return chosen
