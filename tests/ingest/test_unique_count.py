"""The distinct count of post ids, sorted batch by batch as a log is read and merged at the
end, is the number of different ids however the log is cut into batches."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.ingest.unique_count import UniqueCount

batches = st.lists(st.lists(st.one_of(st.integers(-5, 40), st.integers(-2**63, 2**63 - 1)),
                            max_size=60), max_size=24)


@settings(deadline=None)  # a thread per batch: a shared machine's pauses are not the property
@given(batches)
def test_post_ids_read_in_any_batches_count_each_different_id_once(parts):
    counter = UniqueCount()
    for part in parts:
        counter.add(np.array(part, dtype=np.int64))
    assert counter.count() == len({value for part in parts for value in part})


def test_ids_repeated_across_many_batches_count_once():
    counter = UniqueCount()
    for start in range(0, 300, 3):
        counter.add(np.arange(start, start + 50, dtype=np.int64)[::-1])
    assert counter.count() == 347
