"""A CSV is cut into blocks where a record ends, quotes considered: a value holding a
newline is one value across any cut, and a quote never closed is refused by its row, not
read as the rest of the log."""

from __future__ import annotations

import io

import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calculator
from calculator.errors import InvalidInput
from calculator.ingest.csv_records import _walked, record_end

T = "2025-01-01T00:00:00Z"


def reference(text: str, delimiter: str = ",") -> tuple[int, bool]:
    """Where the last record ends and whether the text ends inside a quoted value, one
    character at a time, as Arrow reads quotes: a quote opens a value only at a field's
    start, a doubled one inside it is a quote, and one anywhere else is a character."""
    ends, state = [], "start"
    for at, char in enumerate(text):
        if state == "quoted":
            state = "closing" if char == '"' else "quoted"
        elif char == '"' and state in ("closing", "start"):  # a doubled quote, or an opening
            state = "quoted"
        elif char == delimiter:
            state = "start"
        elif char == "\n":
            ends.append(at + 1)
            state = "start"
        else:
            state = "plain"
    return (ends[-1] if ends else 0), state == "quoted"


def whole(data: bytes):
    """The log read whole by Arrow, values holding newlines looked for."""
    return pacsv.read_csv(io.BytesIO(data), parse_options=pacsv.ParseOptions(
        newlines_in_values=True))


pieces = st.lists(st.sampled_from(["a", "b", ",", '"', '""', "\n", "\r\n", " "]), max_size=60)
plain = st.text(alphabet="ab ", max_size=4)
quoted = st.lists(st.sampled_from(["a", ",", "\n", '""', "\r\n"]), max_size=5).map(
    lambda inner: '"' + "".join(inner) + '"')
records = st.lists(st.lists(st.one_of(plain, quoted), min_size=1, max_size=4).map(",".join),
                   min_size=1, max_size=8)


def last_newline_end(text: str) -> int:
    return len(text[: text.rfind("\n") + 1].encode())


@settings(max_examples=2_000, deadline=None)
@given(pieces=pieces)
def test_walking_the_fields_ends_records_where_a_character_by_character_reading_says(pieces):
    """Any text, quotes inside unquoted values included."""
    text = "".join(pieces)
    assert _walked(text.encode(), ",") == reference(text)


@settings(max_examples=2_000, deadline=None)
@given(records=records, ends=st.lists(st.sampled_from(["\n", "\r\n"]), min_size=8,
                                      max_size=8), cut=st.floats(0, 1))
def test_a_block_of_a_csv_as_writers_quote_it_ends_where_the_reading_says(records, ends,
                                                                           cut):
    """Quotes only around values (as CSV writers put them), the block cut anywhere."""
    text = "".join(r + e for r, e in zip(records, ends, strict=False))
    text = text[: int(len(text) * cut)]
    assert record_end(text.encode(), ",", last_newline_end(text)) == reference(text)


@settings(max_examples=300, deadline=None)
@given(records=records, cut=st.floats(0, 1))
def test_a_tab_separated_block_ends_where_the_reading_says(records, cut):
    text = "".join(r.replace(",", "\t") + "\n" for r in records)
    text = text[: int(len(text) * cut)]
    assert record_end(text.encode(), "\t", last_newline_end(text)) == reference(text, "\t")


def test_a_value_holding_a_newline_is_one_value_across_a_block_cut():
    """25,000 records of a valid CSV (1.1 MB, past the first block) read as 25,001."""
    row = f'{T},1,"x\n{T},1,y"\n'
    data = ("timestamp,posts,url\n" + row * 25_000).encode()
    result = calculator.assess(data)
    assert result.input.rows == whole(data).num_rows == 25_000
    assert result.counted == {"posts": 25_000, "accesses": 25_000}


def test_quotes_inside_unquoted_values_do_not_hide_where_records_end():
    """A user agent's ``5" screen`` is a character, not a quote: the records around it are
    read as Arrow reads the whole log."""
    data = ("timestamp,posts,agent\n" +
            "".join(f'{T},1,Mozilla 5" screen {i}\n' for i in range(40_000)) +
            "".join(f'{T},2,"two\nlines"\n' for i in range(40_000))).encode()
    result = calculator.assess(data)
    assert result.input.rows == whole(data).num_rows == 80_000
    assert result.counted == {"posts": 120_000, "accesses": 80_000}


@pytest.mark.parametrize("after", [3, 30_000])
def test_a_quote_never_closed_is_refused_by_its_row(after):
    rows = "".join(f"{T},1,u{i}\n" for i in range(after))
    data = f'timestamp,posts,url\n{T},1,a\n{T},1,"abc\n{rows}'.encode()
    with pytest.raises(InvalidInput) as refused:
        calculator.assess(data)
    assert str(refused.value).startswith("row 2: a quoted value is never closed")
