"""The compiled loops of a read (numba; machine code cached on disk after the first run).

Each does in one pass what Arrow and numpy do in several, for the common form of a value
only, and says where it met another: the caller then reads the whole batch the general way,
so a value either loop reads is read as the general way reads it. Kept apart, and loaded
with the compiled search only (``compiled_reads``), so that no read imports numba.

Signatures are given, so that each loop's machine code is loaded on import and an argument
of another type is refused rather than compiled for then (several seconds)."""

from __future__ import annotations

import sys

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

_RO_BYTES = types.Array(types.uint8, 1, "C", readonly=True)
# Text with 32-bit offsets (Arrow's ``string``) and 64-bit ones (``large_string``, which
# polars writes), each compiled: the loops read offsets alike whatever their width.
_RO_OFFSETS = (types.Array(types.int32, 1, "C", readonly=True),
               types.Array(types.int64, 1, "C", readonly=True))
_RO_INT64 = types.Array(types.int64, 1, "C", readonly=True)
_INT64 = types.Array(types.int64, 1, "C")
_U = np.uint64  # offsets into the text as unsigned: numba leaves out the wrap-around
_NS = 1_000_000_000
_DAY_NS = 86_400 * _NS


@njit(inline="always")
def _digit(data, at):  # pragma: no cover (compiled)
    """The digit at ``at``, or a value above 9 for any other byte (unsigned wrap-around)."""
    return _U(data[at]) - _U(48)


@njit(inline="always")
def _days(year, month, day):  # pragma: no cover (compiled)
    """Days since 1970-01-01 of a date of the proleptic Gregorian calendar (H. Hinnant's
    ``days_from_civil``, as Arrow's own reading uses)."""
    shifted = year - (1 if month <= 2 else 0)
    era = shifted // 400
    of_era = shifted - era * 400
    of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    return era * 146097 + of_era * 365 + of_era // 4 - of_era // 100 + of_year - 719468


@njit(inline="always")
def _month_days(year, month):  # pragma: no cover (compiled)
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month == 4 or month == 6 or month == 9 or month == 11 else 31


@intrinsic
def _word(typingctx, data, at):  # pragma: no cover (compiled)
    """The eight bytes of ``data`` from ``at`` as one number, the first byte lowest, in one
    load at any alignment (swapped into that order on a machine that stores the highest
    byte first)."""
    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        place = builder.gep(array.data, [args[1]])
        word = builder.load(builder.bitcast(
            place, context.get_value_type(types.uint64).as_pointer()), align=1)
        return builder.bswap(word) if sys.byteorder == "big" else word
    return types.uint64(data, at), codegen


_NIBBLES = _U(0x0F0F0F0F0F0F0F0F)
_HIGH_NIBBLES = _U(0xF0F0F0F0F0F0F0F0)
_ZEROS = _U(0x3030303030303030)  # eight "0"


@njit(inline="always")
def _eight_digits(word):  # pragma: no cover (compiled)
    """Whether the eight bytes of ``word`` (first byte lowest) are all digits, and their
    number, the first digit highest: three multiplications where a loop took eight steps
    (D. Lemire's and simdjson's way; each product keeps the pairs, then the fours, then the
    eights it needs in place)."""
    digits = ((word & _HIGH_NIBBLES) | (((word + _U(0x0606060606060606)) & _HIGH_NIBBLES)
                                        >> _U(4))) == _U(0x3333333333333333)
    value = ((word & _NIBBLES) * _U(2561)) >> _U(8)
    value = ((value & _U(0x00FF00FF00FF00FF)) * _U(6553601)) >> _U(16)
    value = ((value & _U(0x0000FFFF0000FFFF)) * _U(42949672960001)) >> _U(32)
    return digits, value


@njit(inline="always")
def _decimals(data, s, length):  # pragma: no cover (compiled)
    """The nanoseconds of the one to nine decimals between the point at ``s + 19`` and the
    ``Z`` that ends the text, or a value of 10**9 or more when one is not a digit. Up to
    eight are read as the eight bytes that end with the last one, shifted so that they come
    first and followed by "0"s: as eight digits they count tens of nanoseconds."""
    count = length - _U(21)
    if count == _U(9):
        digits, value = _eight_digits(_word(data, s + _U(20)))
        last = _digit(data, s + _U(28))
        return value * _U(10) + last if digits and last <= _U(9) else _U(_NS)
    shift = (_U(8) - count) * _U(8)
    word = (_word(data, s + length - _U(9)) >> shift) | (_ZEROS & ~(~_U(0) >> shift))
    digits, value = _eight_digits(word)
    return value * _U(10) if digits else _U(_NS)


@njit([types.int64(offsets, _RO_BYTES, types.int64, types.int64, _INT64)
       for offsets in _RO_OFFSETS], cache=True, nogil=True)
def utc_instants(offsets, data, first_year, last_year, out):  # pragma: no cover (compiled)
    """Each text's instant in UTC nanoseconds into ``out``, for texts written
    ``YYYY-MM-DDTHH:MM:SS[.f]Z`` (one to nine decimals) of a real date from ``first_year``
    to ``last_year``, hours 00-23, minutes and seconds 00-59. -1 when every text is;
    otherwise the first row that is not (``out`` is then partly written).

    A log in time order repeats its date, hour and minute for many rows (about 230 a
    minute in 10 M rows over 30 days): a text whose first 16 bytes (``YYYY-MM-DDTHH:MM``)
    are those of the last text read whole, checked and worked out then, is read from its
    seconds on (10 M texts in time order, best of 7: 0.029 s against 0.089 s read whole in
    seconds, 0.060 s against 0.112 s in milliseconds, 0.060 s against 0.143 s in
    microseconds, the decimals read eight at once by ``_decimals``)."""
    day_key = _U(1) << _U(63)  # the eight digits of the date last worked out
    day_ns = np.int64(0)
    known = False  # whether a text was read whole: its first 16 bytes, and their minute
    head, tail = _U(0), _U(0)
    minute_ns = np.int64(0)
    for row in range(len(out)):
        s = _U(offsets[row])
        length = _U(offsets[row + 1]) - s
        if length < _U(20) or length > _U(30) or length == _U(21):
            return row
        first, second = _word(data, s), _word(data, s + _U(8))
        if not known or first != head or second != tail:
            y0, y1 = _digit(data, s), _digit(data, s + _U(1))
            y2, y3 = _digit(data, s + _U(2)), _digit(data, s + _U(3))
            m0, m1 = _digit(data, s + _U(5)), _digit(data, s + _U(6))
            d0, d1 = _digit(data, s + _U(8)), _digit(data, s + _U(9))
            h0, h1 = _digit(data, s + _U(11)), _digit(data, s + _U(12))
            i0, i1 = _digit(data, s + _U(14)), _digit(data, s + _U(15))
            # The largest "digit" says whether all are digits, without a branch for each.
            top = max(max(max(y0, y1), max(y2, y3)), max(max(m0, m1), max(d0, d1)))
            top = max(top, max(max(h0, h1), max(i0, i1)))
            marks = (data[s + _U(4)] ^ 45) | (data[s + _U(7)] ^ 45) \
                | (data[s + _U(10)] ^ 84) | (data[s + _U(13)] ^ 58)
            if top > _U(9) or marks != 0:
                return row
            key = (((y0 * _U(10) + y1) * _U(10) + y2) * _U(10) + y3) * _U(10000) \
                + (m0 * _U(10) + m1) * _U(100) + d0 * _U(10) + d1
            if key != day_key:
                year = np.int64(key // _U(10000))
                month = np.int64(key // _U(100) % _U(100))
                day = np.int64(key % _U(100))
                if year < first_year or year > last_year or month < 1 or month > 12 \
                        or day < 1 or day > _month_days(year, month):
                    return row
                day_ns = _days(year, month, day) * _DAY_NS
                day_key = key
            hours, minutes = h0 * _U(10) + h1, i0 * _U(10) + i1
            if hours > _U(23) or minutes > _U(59):
                return row
            minute_ns = day_ns + np.int64((hours * _U(3600) + minutes * _U(60)) * _U(_NS))
            known, head, tail = True, first, second
        s0, s1 = _digit(data, s + _U(17)), _digit(data, s + _U(18))
        if (data[s + _U(16)] ^ 58) | (data[s + length - _U(1)] ^ 90) != 0 \
                or max(s0, s1) > _U(9):
            return row
        seconds = s0 * _U(10) + s1
        if seconds > _U(59):
            return row
        fraction = _U(0)
        if length > _U(20):
            if data[s + _U(19)] != 46:  # "."
                return row
            fraction = _decimals(data, s, length)
            if fraction >= _U(_NS):
                return row
        out[row] = minute_ns + np.int64(seconds * _U(_NS) + fraction)
    return -1


@njit([types.int64(offsets, _RO_BYTES, _INT64) for offsets in _RO_OFFSETS], cache=True,
      nogil=True)
def post_numbers(offsets, data, out):  # pragma: no cover (compiled)
    """Each text's number into ``out``, for texts written as ``post_id_numbers`` says a
    number is (1 to 19 digits, no leading zero but in ``0``, below 2**63). -1 when every
    text is; otherwise the first row that is not."""
    highest = _U(2**63 - 1)
    for row in range(len(out)):
        s = _U(offsets[row])
        end = _U(offsets[row + 1])
        length = end - s
        if length - _U(1) > _U(18):  # 0 wraps around to the largest
            return row
        if data[s] == 48 and length != _U(1):
            return row
        number = _U(0)
        for at in range(s, end):
            digit = _digit(data, at)
            if digit > _U(9):
                return row
            number = number * _U(10) + digit  # 19 digits stay below 2**64
        if number > highest:
            return row
        out[row] = np.int64(number)
    return -1


@njit(types.int64(_RO_INT64), cache=True, nogil=True)
def distinct_sorted(instants):  # pragma: no cover (compiled)
    """How many different values an ascending array holds."""
    if len(instants) == 0:
        return 0
    different = 1
    for k in range(1, len(instants)):
        different += instants[k] != instants[k - 1]
    return different


@njit(types.int64(_RO_INT64, _RO_INT64, _RO_INT64, types.boolean, _INT64, _INT64, _INT64),
      cache=True, nogil=True)
def fold_sorted(instants, posts, accesses, one_each, out_instants, out_posts,
                out_accesses):  # pragma: no cover (compiled)
    """Each run of equal instants of an ascending array as one: its instant, its posts
    summed and its accesses summed (``one_each``: one access a row, ``accesses`` unread).
    Returns how many runs were written (``distinct_sorted`` of the instants)."""
    k = -1
    last = np.int64(0)
    for row in range(len(instants)):
        instant = instants[row]
        access = 1 if one_each else accesses[row]
        if k >= 0 and instant == last:
            out_posts[_U(k)] += posts[row]
            out_accesses[_U(k)] += access
        else:
            k += 1
            out_instants[_U(k)] = instant
            out_posts[_U(k)] = posts[row]
            out_accesses[_U(k)] = access
            last = instant
    return k + 1


@njit(types.UniTuple(types.int64, 2)(_RO_INT64), cache=True, nogil=True)
def value_span(values):  # pragma: no cover (compiled)
    """The lowest and the highest of the values (at least one), in one pass."""
    low = high = values[0]
    for value in values:
        low = min(low, value)
        high = max(high, value)
    return low, high


@njit(types.int64(_RO_INT64, types.int64, types.Array(types.boolean, 1, "C")), cache=True,
      nogil=True)
def mark_seen(values, low, seen):  # pragma: no cover (compiled)
    """``seen[value - low] = True`` for each value, where ``seen`` reaches it. -1 when it
    reaches every value; otherwise the first it does not (those before are marked)."""
    size = _U(len(seen))
    for row in range(len(values)):
        at = _U(values[row] - low)  # below low wraps around past the size
        if at >= size:
            return row
        seen[at] = True
    return -1
