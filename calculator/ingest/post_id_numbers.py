"""Post ids as numbers, equal for equal ids only: ids written as whole numbers (X's,
Reddit's numeric ids...) are their own number, without a lookup, since the text of a number
without leading zeros names one number and back; other ids get negative numbers in order of
first sight."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# A post id that is a number: 0, or up to 18 digits without a leading zero (fits 64 bits).
NUMBER_LIMIT = 10**18

# The numbers written with k digits are _FROM[k] <= n < _BELOW[k] (k from 1 to 18).
_DIGITS = len(str(NUMBER_LIMIT - 1))
_FROM = np.array([0, 0] + [10**(k - 1) for k in range(2, _DIGITS + 1)], dtype=np.int64)
_BELOW = np.array([0] + [10**k for k in range(1, _DIGITS + 1)], dtype=np.int64)


def canonical_numbers(ids: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """The post numbers of a text column whose every id is a whole number (as
    ``whole_numbers`` defines it); None when some id is not, for the general path to tell
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


def whole_numbers(ids: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Which ids are numbers as ``NUMBER_LIMIT`` says: ASCII digits only, at most 18, no
    leading zero (three plain kernels; a regular expression took four times as long)."""
    digits = np.asarray(pc.fill_null(pc.ascii_is_decimal(ids), False))
    length = np.asarray(pc.fill_null(pc.binary_length(ids), 0))
    zero_led = np.asarray(pc.fill_null(pc.starts_with(ids, "0"), False)) & (length > 1)
    return digits & (length <= 18) & ~zero_led



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
