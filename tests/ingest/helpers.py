"""What reading a log gives, as one comparable value: for the tests that hold a fast reader
to the strict reader's answers and errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from calculator.errors import InvalidInput
from calculator.ingest import compiled_reads
from calculator.ingest.formats import LogRead


@contextmanager
def loops(loaded: bool) -> Iterator[None]:
    """The read's compiled loops (decision 0170) loaded or not, as they were afterwards."""
    was = compiled_reads.loaded()
    compiled_reads.load() if loaded else compiled_reads.unload()
    try:
        yield
    finally:
        compiled_reads.load() if was else compiled_reads.unload()


def outcome(reading: Callable[[], LogRead]) -> tuple:
    """The counts and notes of the read, or the error's words and the rows and lines it
    names."""
    try:
        result = reading()
    except InvalidInput as exc:
        return ("error", str(exc), [p.row for p in exc.problems],
                [p.line for p in exc.problems])
    except RecursionError as exc:  # the strict reader's own answer to absurd nesting
        return ("error", type(exc).__name__)
    volume = result.volume
    return ("read", volume.instants.tolist(), volume.posts.tolist(), volume.accesses.tolist(),
            result.rows, result.counts, result.notes, result.excluded_rows,
            result.ignored_columns)
