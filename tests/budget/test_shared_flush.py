"""Grants of several threads share one confirming commit, and none is answered before a
commit begun after its own grant has returned (decision 0124): checked against the
record of every flush's start and end, for generated timings of concurrent grants."""

from __future__ import annotations

import itertools
import threading
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.budget.running import SharedFlush

TIMINGS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(grants=TIMINGS, flush_ms=st.integers(0, 2), failing=st.sets(st.integers(0, 5)))
def test_no_grant_is_answered_before_a_flush_begun_after_it_has_returned(
        grants, flush_ms, failing):
    shared, ticks = SharedFlush(), itertools.count()
    flushes: list[tuple[int, int]] = []  # (began, ended) of each flush that returned
    answered: list[tuple[int, int]] = []  # (committed, answered) of each grant
    errors: list[BaseException] = []
    runs = itertools.count()

    def flush() -> None:
        began = next(ticks)
        time.sleep(flush_ms / 1000)
        if next(runs) in failing:  # a flush that fails: its runner hears it, others wait on
            raise ConnectionError("the server went away")
        flushes.append((began, next(ticks)))

    def grant(before_ms: int, after_ms: int) -> None:
        time.sleep(before_ms / 1000)
        committed = next(ticks)
        try:
            shared.wait(flush)
        except ConnectionError as exc:
            errors.append(exc)
            return
        answered.append((committed, next(ticks)))
        time.sleep(after_ms / 1000)

    threads = [threading.Thread(target=grant, args=timing) for timing in grants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answered) + len(errors) == len(grants)  # every grant heard something
    for committed, done in answered:
        assert any(committed < began and ended < done for began, ended in flushes)
    assert len(flushes) <= len(answered)  # never more confirming commits than grants


def test_grants_waiting_together_share_one_confirming_commit():
    shared, flushes, release = SharedFlush(), [], threading.Event()

    def flush() -> None:
        flushes.append(1)
        release.wait(5)  # the first flush is under way while the others commit

    first = threading.Thread(target=shared.wait, args=(flush,))
    first.start()
    while not flushes:
        time.sleep(0.001)
    others = [threading.Thread(target=shared.wait, args=(flush,)) for _ in range(6)]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 5
    while shared._committed < 7 and time.monotonic() < deadline:  # all six are waiting
        time.sleep(0.001)
    release.set()
    for thread in [first, *others]:
        thread.join()
    assert len(flushes) == 2  # the first grant's, and one for the six that came during it
