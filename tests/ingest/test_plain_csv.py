"""Plain timestamp-and-posts CSV lines parsed by the compiled loop: the same table as
Arrow's reader wherever the loop answers, and Arrow's answer (and error) wherever it does
not."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.damages.assessment import assess
from calculator.errors import InvalidInput
from calculator.ingest import plain_csv
from calculator.ingest.tabular_csv import _read_csv_buffer

NAMES = plain_csv.PLAIN_COLUMNS


@pytest.fixture(scope="module", autouse=True)
def loaded_loop():
    plain_csv._load()  # the compiled loop, as the helper thread would load it


def _digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(str)


def _plain(year: int, month: int, day: int, clock: str = "10:20:30", fraction: str = ".5",
           zone: str = "Z", separator: str = "T", posts: str = "7", quote: str = "",
           end: str = "\n") -> str:
    return (f"{quote}{year:04d}-{month:02d}-{day:02d}{separator}{clock}{fraction}{zone}"
            f"{quote},{posts}{end}")


# A plain line: a real date and time of 1970-2200, 0 to 9 digits of fraction, fields
# quoted or not, a count of up to 18 digits (leading zeros allowed).
@st.composite
def plain_lines(draw) -> str:
    moment = draw(st.datetimes(datetime(1970, 1, 1), datetime(2200, 12, 31, 23, 59, 59)))
    digits = draw(st.integers(0, 9))
    fraction = "." + draw(st.text("0123456789", min_size=digits, max_size=digits)) \
        if digits else ""
    quote_posts = draw(st.sampled_from(['"', ""]))
    posts = str(draw(st.integers(0, 10**18 - 1))).zfill(draw(st.integers(1, 18)))
    return _plain(moment.year, moment.month, moment.day, f"{moment:%H:%M:%S}", fraction,
                  quote=draw(st.sampled_from(['"', ""])),
                  posts=f"{quote_posts}{posts}{quote_posts}")


# A line one part away from the plain form, which Arrow may or may not read.
_NEAR_MISSES = [
    _plain(2025, 13, 1), _plain(2025, 0, 1), _plain(2025, 3, 0), _plain(2025, 3, 32),
    _plain(2025, 2, 29), _plain(2100, 2, 29), _plain(2024, 2, 30), _plain(2025, 4, 31),
    _plain(2024, 2, 29), _plain(2000, 2, 29), _plain(1969, 12, 31), _plain(2201, 1, 1),
    _plain(25, 3, 1), _plain(2025, 3, 1, clock="24:00:00"), _plain(2025, 3, 1, "10:60:00"),
    _plain(2025, 3, 1, "23:59:60"), _plain(2025, 3, 1, "10:20"), _plain(2025, 3, 1, "1:20:30"),
    _plain(2025, 3, 1, fraction="."), _plain(2025, 3, 1, fraction=".1234567891"),
    _plain(2025, 3, 1, fraction=",5"), _plain(2025, 3, 1, zone="z"),
    _plain(2025, 3, 1, zone="+00:00"), _plain(2025, 3, 1, zone="+01:00"),
    _plain(2025, 3, 1, zone=""), _plain(2025, 3, 1, separator=" "),
    _plain(2025, 3, 1, separator="t"), _plain(2025, 3, 1, posts=""),
    _plain(2025, 3, 1, posts="-3"), _plain(2025, 3, 1, posts=" 7"),
    _plain(2025, 3, 1, posts="7 "), _plain(2025, 3, 1, posts="+4"),
    _plain(2025, 3, 1, posts="1.5"), _plain(2025, 3, 1, posts="NaN"),
    _plain(2025, 3, 1, posts="9" * 19), _plain(2025, 3, 1, posts="0" * 19),
    _plain(2025, 3, 1, posts='"7'), _plain(2025, 3, 1, posts="7,8"),
    _plain(2025, 3, 1, quote="'"), _plain(2025, 3, 1, end="\r\n"),
    _plain(2025, 3, 1, end="\n\n"), _plain(2025, 3, 1, end="\r"),
    '"2025-03-01T10:20:30Z,7\n', ' 2025-03-01T10:20:30Z,7\n', "\n",
]


def _arrow(block: bytes) -> pa.Table | None:
    try:
        return _read_csv_buffer(pa.py_buffer(block), NAMES, NAMES, plain_csv.PLAIN_TYPES)
    except pa.ArrowInvalid:
        return None


@settings(max_examples=400, deadline=None)
@given(st.lists(plain_lines(), min_size=1, max_size=12),
       st.one_of(st.none(), st.tuples(st.sampled_from(_NEAR_MISSES), st.integers(0, 12))))
def test_a_plain_line_read_by_the_loop_is_the_instant_and_posts_arrow_reads(block, miss):
    if miss is not None:
        block.insert(miss[1], miss[0])
    data = "".join(block).encode()
    ours, theirs = plain_csv.parse_plain(data, NAMES, NAMES, plain_csv.PLAIN_TYPES), \
        _arrow(data)
    if miss is None:
        assert ours is not None, "the loop left a block of plain lines to Arrow"
    if ours is None:
        return  # Arrow reads the block (or names its bad row), as it always did
    assert theirs is not None, "the loop read a block Arrow refuses"
    assert ours.schema == theirs.schema
    assert ours.column("timestamp").to_pylist() == theirs.column("timestamp").to_pylist()
    assert ours.column("posts").to_pylist() == theirs.column("posts").to_pylist()


def test_every_date_and_time_of_a_plain_log_reads_as_arrow_reads_it():
    """Every day of 1970-2200 (leap days and century years included) at a few times."""
    days = np.arange(np.datetime64("1970-01-01"), np.datetime64("2201-01-01"))
    times = ["00:00:00Z", "23:59:59.999999999Z", "12:34:56.7Z"]
    text = "".join(f"{day}T{time},{index % 1000}\n" for index, day in enumerate(days.astype(str))
                   for time in times).encode()
    ours = plain_csv.parse_plain(text, NAMES, NAMES, plain_csv.PLAIN_TYPES)
    assert ours is not None and ours.num_rows == 3 * len(days)
    assert ours.equals(_arrow(text))


def test_a_log_of_plain_lines_is_priced_the_same_with_or_without_the_loop(monkeypatch):
    rows = "".join(f'"2025-03-{1 + k // 40:02d}T{k % 24:02d}:{k % 60:02d}:07.{k:03d}Z",'
                   f"{k * 7919 % 90_000}\n" for k in range(1200))
    log = ("timestamp,posts\n" + rows).encode()
    with_loop = assess(log)
    monkeypatch.setattr(plain_csv, "_PARSE", None)
    without = assess(log)
    assert with_loop.readings == without.readings and with_loop.peak == without.peak
    assert (with_loop.input, with_loop.notes, with_loop.counted_posts) == \
        (without.input, without.notes, without.counted_posts)


def test_a_bad_row_among_plain_lines_is_named_as_arrow_names_it(monkeypatch):
    good = "2025-03-01T10:00:00.5Z,3\n" * 50
    log = ("timestamp,posts\n" + good + "2025-03-01T10:00:00.5Z,-4\n" + good).encode()
    with pytest.raises(InvalidInput, match="row 51") as with_loop:
        assess(log)
    monkeypatch.setattr(plain_csv, "_PARSE", None)
    with pytest.raises(InvalidInput) as without:
        assess(log)
    assert str(with_loop.value) == str(without.value)
