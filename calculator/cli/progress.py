"""A progress bar for reading a big log on a terminal: bytes read of the total, rows, rate and
time left, drawn with rich on standard error (so that ``--json`` on stdout stays clean).

Shown only when standard error is a terminal and ``--quiet`` was not given; a pipeline sees
nothing. The bar goes away when reading ends, leaving the answer alone on the screen.
"""

from __future__ import annotations

import os
import signal
import stat
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def ended_by_terminate() -> Iterator[None]:
    """SIGTERM (a pipeline's timeout, ``kill``) ends the read through every cleanup, as
    Ctrl-C does: it ended the process at once, leaving the copy of a log read from standard
    input in the temporary folder and the terminal's cursor hidden. Exit codes as a shell
    gives them: 143 for SIGTERM, 130 for Ctrl-C (click's own answer to it was 1, which
    ``rules check`` gives to problems found)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class ProgressBar:
    """An observer of ``calculator.ingest.progress`` that draws a rich progress bar."""

    def __init__(self, name: str, total: int | None, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.rows = 0
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TextColumn("{task.fields[rows]:,} rows"), TransferSpeedColumn(),
            TimeRemainingColumn(), console=console or Console(stderr=True), transient=True)
        self.task = self.progress.add_task(f"reading {name}", total=total, rows=0)

    def advance(self, bytes_read: int = 0, rows: int = 0) -> None:
        # Called from the reading thread and from a hashing thread: rich's update is locked.
        self.rows += rows
        self.progress.update(self.task, advance=bytes_read, rows=self.rows)


def _size(path: str) -> int | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_size if stat.S_ISREG(found.st_mode) else None


@contextmanager
def reading_progress(path: str | list[str], quiet: bool) -> Iterator[None]:
    """Show the reading of ``path`` (or ``-``, or several paths read as one log) on a
    terminal, unless ``quiet``."""
    if quiet or not sys.stderr.isatty():
        yield
        return
    from calculator.ingest.progress import watching

    if isinstance(path, list):
        sizes = [_size(p) for p in path]
        bar = ProgressBar(f"{len(path):,} files", None if None in sizes else sum(sizes))
    else:
        bar = ProgressBar("standard input" if path == "-" else os.path.basename(path),
                          None if path == "-" else _size(path))
    with bar.progress, watching(bar):
        yield
