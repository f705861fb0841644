"""Placing records that carry no access time inside the caller's collection window.

Decision record 0010: the records are spread evenly over the window, in order of creation
(post records) or in file order (pages, which are written as they are retrieved).
"""

from __future__ import annotations

import shutil
import tempfile
from array import array
from datetime import datetime
from typing import BinaryIO

from calculator.errors import InvalidInput
from calculator.ingest.crawlers._common import NS, counted
from calculator.ingest.events import ReadReport
from calculator.timeutil import format_instant

SPOOL_IN_MEMORY = 64 * 1024 * 1024


def require_window(window: tuple[datetime, datetime] | None, what: str) -> tuple[int, int]:
    """The window in UTC nanoseconds, or the error that says why one is needed."""
    if window is None:
        raise InvalidInput(
            f"a collection window is needed: {what} say when each post was created, not when "
            "the scraper collected it, so which 24-hour period it falls in cannot be known "
            "without the caller's statement of when the scraper ran: give the collection "
            "window (--collected-from and --collected-to on the command line, "
            "collected_from and collected_to over HTTP, collection_window in Python)."
        )
    start, end = window
    return _ns(start), _ns(end)


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * NS + moment.microsecond * 1000


class Rewindable:
    """The stream again from its start, as often as asked; spooled first if it cannot seek.

    Use it in a ``with`` block: the spool (memory up to 64 MiB, then a temporary file) is
    removed when the block ends.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._spool: tempfile.SpooledTemporaryFile[bytes] | None = None
        if stream.seekable():
            self._origin = stream.tell()
        else:
            self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
            shutil.copyfileobj(stream, self._spool, 1024 * 1024)
            self._origin = 0

    def again(self) -> BinaryIO:
        """The stream, positioned at its start."""
        target = self._spool if self._spool is not None else self._stream
        target.seek(self._origin)
        return target  # type: ignore[return-value]

    def __enter__(self) -> Rewindable:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._spool is not None:
            self._spool.close()


class EvenSpread:
    """Instants for n records, one every (end - start) / n, the first at the window's start."""

    def __init__(self, window_ns: tuple[int, int], keys: array[int] | int) -> None:
        self.start, self.end = window_ns
        if isinstance(keys, int):  # file order
            self.count = keys
            self.rank: array[int] | None = None
        else:  # order of creation, ties in file order
            self.count = len(keys)
            order = sorted(range(self.count), key=keys.__getitem__)
            self.rank = array("q", bytes(8 * self.count))
            for position, index in enumerate(order):
                self.rank[index] = position

    def instant(self, index: int) -> int:
        """The instant of the record at ``index`` (its position in the file, from 0)."""
        position = self.rank[index] if self.rank is not None else index
        return self.start + position * (self.end - self.start) // max(self.count, 1)

    def explain(self, report: ReadReport, what: str, order: str) -> None:
        if not self.count:
            return
        step_s = (self.end - self.start) / max(self.count, 1) / NS
        report.assumptions.append(
            f"This format records when posts were created, not when they were collected: "
            f"{counted(self.count, what)} placed evenly over the caller's collection window "
            f"{_show(self.start)} to {_show(self.end)}, {order}, one every {step_s:.3g} s. "
            "How they fall into 24-hour periods is therefore an assumption, not a record."
        )


def _show(ns: int) -> str:
    from datetime import UTC

    return format_instant(datetime.fromtimestamp(ns // NS, UTC))
