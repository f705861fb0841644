"""Post ids written as whole numbers are their own post numbers; every other text is told
apart by a lookup. The fast check of "a whole number" must agree with its definition: up
to 19 ASCII digits without a leading zero, below 2^63 (so the text names one 64-bit number
and back: X's ids have 19 digits)."""

from __future__ import annotations

import re

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.ingest.post_id_numbers import PostNumbers, canonical_numbers, whole_numbers

DIGITS = re.compile(r"(0|[1-9][0-9]{0,18})")
EDGES = ["9223372036854775807", "9223372036854775808", "9999999999999999999",
         "1000000000000000000", "999999999999999999", "18446744073709551615",
         "01000000000000000000", "1844674407370955161"]


def is_number(text: str) -> bool:
    return DIGITS.fullmatch(text) is not None and int(text) < 2**63


id_texts = st.one_of(
    st.from_regex(r"\A[0-9]{1,20}\Z"),
    st.text(alphabet="0123456789٣۴७ -+.x\u00a0", max_size=21),
    st.text(max_size=8),
    st.sampled_from(EDGES),
    st.integers(10**18 - 5, 2**64).map(str),
)


@given(st.lists(id_texts, max_size=40))
def test_an_id_is_a_number_exactly_when_its_text_is_one_without_leading_zeros(texts):
    found = whole_numbers(pa.array(texts, pa.string()))
    assert found.tolist() == [is_number(t) for t in texts]


whole_or_none = st.one_of(st.from_regex(r"\A(0|[1-9][0-9]{0,17})\Z"),
                          st.integers(10**18, 2**63 - 1).map(str), st.none())
intruders = st.one_of(id_texts, st.sampled_from(["0xFFFFF", "0X5", "-0", "007", "-1",
                                                 "1000000000000000000", " 5", ""]))


@settings(deadline=None)  # a shared machine's pauses are not the property
@given(st.one_of(
    st.lists(whole_or_none, min_size=1, max_size=40),
    st.tuples(st.lists(whole_or_none, max_size=40), intruders, st.integers(0, 40)).map(
        lambda t: [*t[0][:t[2]], t[1], *t[0][t[2]:]]),
    st.lists(st.one_of(id_texts, st.none()), min_size=1, max_size=40)))
def test_a_column_of_whole_numbers_is_numbered_at_once_as_each_id_would_be(texts):
    """The column-at-once path takes a column only when every id in it is a whole number
    by the definition, and then numbers each as the id-by-id path does."""
    numbers = canonical_numbers(pa.array(texts, pa.string()))
    ids = [t for t in texts if t is not None]
    assert (numbers is not None) == all(is_number(t) for t in ids)
    if numbers is not None:
        one_by_one = PostNumbers().of(pa.array(ids, pa.string()))
        assert [n for n, t in zip(numbers.tolist(), texts, strict=True) if t is not None] == \
            one_by_one.tolist() == [int(t) for t in ids]


@settings(deadline=None)
@given(st.lists(st.one_of(whole_or_none, intruders), min_size=1, max_size=30),
       st.integers(0, 30), st.integers(0, 30), st.booleans())
def test_a_column_read_in_pieces_is_numbered_as_the_whole_column(texts, cut, skip, large):
    """Readers hand over columns in chunks, slices of a larger buffer and 64-bit offsets
    (a Parquet or Arrow batch, a CSV block): the checks read each piece's own bytes only."""
    kind = pa.large_string() if large else pa.string()
    whole = pa.array(["7", *texts, "x"], kind)  # bytes before and after the slice
    cut = min(cut, len(texts))
    pieces = pa.chunked_array([whole.slice(1, cut), whole.slice(1 + cut, len(texts) - cut)],
                              kind)
    alone = canonical_numbers(pa.array(texts, pa.string()))
    numbers = canonical_numbers(pieces)
    assert (numbers is None) == (alone is None)
    if numbers is not None:
        assert numbers.tolist() == alone.tolist()
    skip = min(skip, len(texts))
    assert (canonical_numbers(whole.slice(1 + skip, len(texts) - skip)) is None) == \
        (canonical_numbers(pa.array(texts[skip:], pa.string())) is None)
