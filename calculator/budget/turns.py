"""SQLite writers of budgets take turns in the kernel instead of polling for the lock.

SQLite has one writer per file. A writer that finds the file locked sleeps in its busy
handler (1 ms, 2 ms, 5 ms... up to 100 ms a try) and tries again, so under a fleet's
concurrent reservations most of the time is spent asleep while the file is free. Budget
writers first take an exclusive ``flock`` on a file beside the database: the kernel wakes
the next waiter as soon as the lock is released, and ``BEGIN IMMEDIATE`` then finds the
database free (other writers, such as stored assessments, still meet the busy handler).
Within a process, threads queue on a lock first, since ``flock`` is held per open file,
not per thread. PostgreSQL needs none of this: its row lock queues waiters itself.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from calculator.storage.engine import FILE_MODE, sqlite_path

try:
    import fcntl
except ImportError:  # not on POSIX: the busy handler alone orders the writers
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".budgets-lock"
_OPENED: dict[str, tuple[int, threading.Lock, int]] = {}  # path -> (pid, lock, fd)
_GUARD = threading.Lock()


@contextmanager
def turn(engine: Engine) -> Iterator[None]:
    """Hold this process's turn to write budgets in ``engine``'s SQLite file."""
    path = sqlite_path(engine.url) if engine.dialect.name == "sqlite" else None
    if path is None or fcntl is None:
        yield
        return
    lock, fd = _opened(f"{path}{SUFFIX}")
    with lock:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _opened(path: str) -> tuple[threading.Lock, int]:
    # A descriptor inherited through fork shares its lock with the parent: each process
    # opens its own.
    with _GUARD:
        known = _OPENED.get(path)
        if known is None or known[0] != os.getpid():
            known = (os.getpid(), threading.Lock(),
                     os.open(path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, FILE_MODE))
            _OPENED[path] = known
        return known[1], known[2]
