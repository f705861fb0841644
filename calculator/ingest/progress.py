"""How far reading a log has got: bytes of the input read and rows counted, for a progress bar.

Reading reports as it goes (``bytes_read``, ``rows_read``); nobody listens unless a caller
watches one reading with ``watching(observer)`` (the command line on a terminal). The
observer is process-wide, not per thread, because a log's bytes may be read on a helper
thread (hashing beside a columnar reader); an observer must therefore be thread-safe, and
only one reading is watched at a time. Reporting costs one global read when nobody listens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Observer(Protocol):
    def advance(self, bytes_read: int = 0, rows: int = 0) -> None: ...


_observer: Observer | None = None


def bytes_read(count: int) -> None:
    """``count`` more bytes of the input (as sent, before decompression) were read."""
    if _observer is not None:
        _observer.advance(bytes_read=count)


def rows_read(count: int) -> None:
    """``count`` more rows or records of the log were read."""
    if _observer is not None:
        _observer.advance(rows=count)


@contextmanager
def watching(observer: Observer) -> Iterator[None]:
    """Send every report made while inside to ``observer``."""
    global _observer
    previous, _observer = _observer, observer
    try:
        yield
    finally:
        _observer = previous
