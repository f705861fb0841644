"""A log's resolution is the coarsest of s, ms, µs, ns that every instant fits, wherever in
the log the one finer instant is (the instants are checked a slice at a time)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.damages import window_counts
from calculator.damages.window_counts import RESOLUTIONS, resolution_of


@settings(max_examples=60, deadline=None)
@given(coarse=st.sampled_from(RESOLUTIONS), fine=st.sampled_from(RESOLUTIONS),
       length=st.integers(1, 3000), where=st.floats(0, 1),
       first=st.sampled_from([1_740_000_001, -3_000_000_001]))
def test_one_finer_instant_anywhere_makes_the_whole_log_that_fine(coarse, fine, length,
                                                                   where, first):
    # The first instant fits no step coarser than ``coarse``; instants before 1970 are
    # negative, and a floored quotient is not a truncated one.
    instants = (np.arange(length, dtype=np.int64) + first) * coarse
    at = min(int(where * length), length - 1)
    instants[at] += fine if fine < coarse else 0
    window_counts._SLICE = 7  # several slices even for a short log
    try:
        found = resolution_of(instants)
    finally:
        window_counts._SLICE = 1 << 16
    assert found == min(coarse, fine)
    assert all(int(t) % found == 0 for t in instants)
