"""Post ids written as whole numbers are their own post numbers; every other text is told
apart by a lookup. The fast check of "a whole number" must agree with its definition: up
to 18 ASCII digits without a leading zero (so the text names one number and back)."""

from __future__ import annotations

import re

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from calculator.ingest.tabular_rows import _whole_numbers

DEFINITION = re.compile(r"(0|[1-9][0-9]{0,17})")

id_texts = st.one_of(
    st.from_regex(r"\A[0-9]{1,20}\Z"),
    st.text(alphabet="0123456789٣۴७ -+.x\u00a0", max_size=21),
    st.text(max_size=8),
)


@given(st.lists(id_texts, max_size=40))
def test_an_id_is_a_number_exactly_when_its_text_is_one_without_leading_zeros(texts):
    found = _whole_numbers(pa.array(texts, pa.string()))
    assert found.tolist() == [DEFINITION.fullmatch(t) is not None for t in texts]
