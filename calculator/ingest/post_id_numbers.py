"""Post ids as numbers, equal for equal ids only: ids written as whole numbers (X's,
Reddit's numeric ids...) are their own number, without a lookup, since the text of a number
without leading zeros names one number and back; other ids get negative numbers in order of
first sight."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from calculator.ingest import compiled_reads

# A post id that is a number: 0, or up to 19 digits without a leading zero, below 2**63 so
# that it is its own 64-bit number (X's ids have had 19 digits since 2022).
NUMBER_LIMIT = 2**63
_HIGHEST = str(NUMBER_LIMIT - 1)  # a text of as many digits above it is no number

_DIGITS = len(str(NUMBER_LIMIT - 1))  # the most digits a post number is written with


def canonical_numbers(ids: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """The post numbers of a text column whose every id is a whole number (as
    ``whole_numbers`` defines it); None when some id is not, for the general path to tell
    apart. A null's entry is 0 and means nothing (a row without a post id is not counted).

    Each id's length (1 to 19 bytes) and first byte (a digit, and not a zero unless the id
    is ``0``) are checked on the column's own buffers, and then Arrow casts the column,
    which fails on any other byte that is no digit, and on a 19-digit id past
    ``NUMBER_LIMIT``: casting first and checking the numbers took half as long again."""
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)) or \
            len(ids) == 0:
        return None
    chunks = ids.chunks if isinstance(ids, pa.ChunkedArray) else [ids]
    compiled = compiled_reads.post_numbers(chunks)  # one pass, where it is loaded
    if compiled is not None:
        return compiled
    if not all(_written_as_numbers(chunk) for chunk in chunks):
        return None
    try:
        return np.asarray(pc.fill_null(ids.cast(pa.int64()), 0))
    except pa.ArrowInvalid:  # a byte that is no digit, or 19 digits past NUMBER_LIMIT
        return None


def _written_as_numbers(chunk: pa.Array) -> bool:
    """Whether every id of a text chunk is written as ``NUMBER_LIMIT`` says a number is.
    Bytes between the ids (under a null, say) must be digits too: a column holding others
    is simply left to the general path."""
    if len(chunk) == 0:
        return True
    _, offsets_buffer, data_buffer = chunk.buffers()
    wide = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=wide)[chunk.offset:chunk.offset + len(chunk)
                                                        + 1]
    lengths = np.diff(offsets)
    if chunk.null_count:
        valid = np.asarray(chunk.is_valid())
        lengths, starts = lengths[valid], offsets[:-1][valid]
        if len(lengths) == 0:
            return True
    else:
        starts = offsets[:-1]
    if lengths.min() < 1 or lengths.max() > _DIGITS:
        return False
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else \
        np.zeros(0, dtype=np.uint8)
    first = data[starts]
    # Each id's first byte a digit other than 0 (unsigned bytes wrap below "1", so one
    # comparison finds every other byte), or the id "0" itself. Arrow's cast reads the rest
    # and fails on any byte that is no digit; what else it takes (a sign, "0x" hex, leading
    # zeros) needs a first byte of "-" or "0". Checking every byte here took 7 ms a million.
    led = (first - np.uint8(ord("1")) > 8) & ~((first == ord("0")) & (lengths == 1))
    return not led.any()


def whole_numbers(ids: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Which ids are numbers as ``NUMBER_LIMIT`` says: ASCII digits only, at most 19 and
    below the limit, no leading zero (plain kernels; a regular expression took four times
    as long). Texts of as many digits compare as their numbers do."""
    digits = np.asarray(pc.fill_null(pc.ascii_is_decimal(ids), False))
    length = np.asarray(pc.fill_null(pc.binary_length(ids), 0))
    zero_led = np.asarray(pc.fill_null(pc.starts_with(ids, "0"), False)) & (length > 1)
    fits = length < _DIGITS
    if (length == _DIGITS).any():
        fits |= (length == _DIGITS) & \
            np.asarray(pc.fill_null(pc.less_equal(ids, _HIGHEST), False))
    return digits & fits & ~zero_led



class PostNumbers:
    """The numbers of a log's post ids, kept across its batches and files (the other ids'
    numbers are given in order of first sight, so they must be remembered)."""

    def __init__(self) -> None:
        self.other_ids: dict[str, int] = {}

    def of(self, ids: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """A number per post id, equal for equal ids only (the module's notes say how)."""
        numeric = whole_numbers(ids)
        numbers = np.empty(len(ids), dtype=np.int64)
        if numeric.all():
            numbers[:] = np.asarray(ids.cast(pa.int64()))
        elif numeric.any():
            numbers[numeric] = np.asarray(ids.filter(numeric).cast(pa.int64()))
        if not numeric.all():
            other = ids.filter(~numeric)
            encoded = pc.dictionary_encode(other).combine_chunks()
            seen = np.array([-1 - self.other_ids.setdefault(value, len(self.other_ids))
                             for value in encoded.dictionary.to_pylist()] or [0],
                            dtype=np.int64)
            numbers[~numeric] = seen[np.asarray(encoded.indices)]
        return numbers
