"""The compiled parse of plain timestamp-and-posts lines (numba; machine code cached on
disk after the first run). Kept apart so that importing the CSV reader does not import
numba: ``plain_csv`` loads it on a helper thread."""

from __future__ import annotations

import numpy as np
from numba import njit

_QUOTE, _COMMA, _NEWLINE, _DASH, _COLON, _DOT, _T, _Z = b'",\n-:.TZ'
_NS_PER_SECOND = 1_000_000_000
# Years read here: wider than any crawl log, narrower than a nanosecond timestamp's range,
# so no arithmetic below can overflow; any other year is left to Arrow.
_FIRST_YEAR, _LAST_YEAR = 1970, 2200
_MOST_DIGITS = 18  # of a post count: any 18-digit number fits in int64


@njit(cache=True, nogil=True, inline="always")
def _number(data, at, count):  # pragma: no cover (compiled)
    """The number written by ``count`` digits from ``at``; -1 when one is not a digit."""
    value = 0
    for k in range(at, at + count):
        digit = np.int64(data[k]) - 48
        if digit < 0 or digit > 9:
            return -1
        value = value * 10 + digit
    return value


@njit(cache=True, nogil=True, inline="always")
def _days_in_month(year, month):  # pragma: no cover (compiled)
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month == 4 or month == 6 or month == 9 or month == 11 else 31


@njit(cache=True, nogil=True, inline="always")
def _days_since_epoch(year, month, day):  # pragma: no cover (compiled)
    """Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil)."""
    shifted = year - (month <= 2)
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    return era * 146097 + year_of_era * 365 + year_of_era // 4 - year_of_era // 100 \
        + day_of_year - 719468


@njit(cache=True, nogil=True)
def parse_lines(data, instants, posts):  # pragma: no cover (compiled)
    """Each line of ``data`` (bytes ending with a newline) as its instant (ns since the
    epoch, UTC) and its posts, written from the start of ``instants`` and ``posts``; the
    number of lines, or -1 as soon as one line is not exactly
    ``YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z,<1 to 18 digits>`` (each field may be in double
    quotes) naming a real date and time of the years 1970-2200."""
    n = len(data)
    at = 0
    row = 0
    while at < n:
        quoted = data[at] == _QUOTE
        p = at + quoted
        if p + 20 > n:
            return -1
        year = _number(data, p, 4)
        month = _number(data, p + 5, 2)
        day = _number(data, p + 8, 2)
        hour = _number(data, p + 11, 2)
        minute = _number(data, p + 14, 2)
        second = _number(data, p + 17, 2)
        if (data[p + 4] != _DASH or data[p + 7] != _DASH or data[p + 10] != _T
                or data[p + 13] != _COLON or data[p + 16] != _COLON
                or year < _FIRST_YEAR or year > _LAST_YEAR or month < 1 or month > 12
                or day < 1 or day > _days_in_month(year, month) or hour < 0 or hour > 23
                or minute < 0 or minute > 59 or second < 0 or second > 59):
            return -1
        p += 19
        fraction = 0
        if data[p] == _DOT:
            p += 1
            begin = p
            scale = _NS_PER_SECOND // 10
            while p < n and p - begin < 9:
                digit = np.int64(data[p]) - 48
                if digit < 0 or digit > 9:
                    break
                fraction += digit * scale
                scale //= 10
                p += 1
            if p == begin:
                return -1
        if p >= n or data[p] != _Z:
            return -1
        p += 1
        if quoted:
            if p >= n or data[p] != _QUOTE:
                return -1
            p += 1
        if p >= n or data[p] != _COMMA:
            return -1
        p += 1
        quoted = p < n and data[p] == _QUOTE
        p += quoted
        begin = p
        count = 0
        while p < n and p - begin <= _MOST_DIGITS:
            digit = np.int64(data[p]) - 48
            if digit < 0 or digit > 9:
                break
            count = count * 10 + digit
            p += 1
        if p == begin or p - begin > _MOST_DIGITS:
            return -1
        if quoted:
            if p >= n or data[p] != _QUOTE:
                return -1
            p += 1
        if p >= n or data[p] != _NEWLINE:
            return -1
        seconds = ((_days_since_epoch(year, month, day) * 24 + hour) * 60 + minute) * 60 \
            + second
        instants[row] = seconds * _NS_PER_SECOND + fraction
        posts[row] = count
        row += 1
        at = p + 1
    return row
