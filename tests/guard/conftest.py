"""The service under a real threaded WSGI server on loopback (SQLite and PostgreSQL), with
its clock injected, for the budget clients' tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.serving import make_server

from calculator.api.budgets.routes import CLOCK

START = datetime(2025, 3, 1, tzinfo=UTC)  # X's damages clause is in force


class Clock:
    """The service's now, moved by the tests (and by the client's sleeps)."""

    def __init__(self) -> None:
        self.now = START
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        """Seconds since START: a monotonic clock for the clients."""
        return (self.now - START).total_seconds()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(make_app, clock) -> Iterator[tuple[str, object]]:
    """The app under a real threaded WSGI server: its URL and the app."""
    app = make_app(**{CLOCK: clock})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", app
    finally:
        httpd.shutdown()
        thread.join()
