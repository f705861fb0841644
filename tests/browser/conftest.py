"""A real server and Debian's headless Chromium, driven by Playwright (never `playwright install`).

Each test runs its steps through ``steps``: a screenshot per step in tests/artifacts/, and a
failure that names the step (with a screenshot of the moment it failed).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from calculator.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = "browser tests need Debian's chromium; .ci/run installs it"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STEP_TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


class SlowAssessments:
    """WSGI middleware that holds POST /v1/assessments for ``delay`` seconds, so that a test
    can see the page's progress while a (large) log is evaluated."""

    def __init__(self, app: Callable, delay: float = 0.0) -> None:
        self.app = app
        self.delay = delay

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        if (self.delay and environ["REQUEST_METHOD"] == "POST"
                and environ.get("PATH_INFO") == "/v1/assessments"):
            time.sleep(self.delay)
        return self.app(environ, start_response)


class LiveServer:
    def __init__(self, app: Any, slow: SlowAssessments) -> None:
        self.app = app
        self.slow = slow
        self.httpd = make_server("127.0.0.1", 0, slow, threaded=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def store(self) -> Any:
        return self.app.extensions["calculator.store"]


@pytest.fixture
def server(tmp_path) -> Iterator[LiveServer]:
    """The app on a free loopback port, on a SQLite database of its own."""
    with live_server(tmp_path) as live:
        yield live


@contextmanager
def live_server(tmp_path: Path, **config: Any) -> Iterator[LiveServer]:
    """A server as ``server`` gives, with settings of its own (a small size limit...)."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
                      "INSTANCE_PATH": str(tmp_path / "instance"), **config})
    live = LiveServer(app, SlowAssessments(app.wsgi_app))
    live.thread.start()
    try:
        yield live
    finally:
        live.httpd.shutdown()
        live.httpd.server_close()
        live.store.dispose()


class Steps:
    """Named steps of one test: a screenshot after each, and failures that say which step."""

    def __init__(self, page: Any, test_name: str) -> None:
        self.page = page
        self.prefix = re.sub(r"[^A-Za-z0-9_-]+", "-", test_name)
        self.number = 0
        self.shots: list[Path] = []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _shot(self, name: str) -> Path:
        path = ARTIFACTS / f"{self.prefix}-{self.number:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        return path

    @contextmanager
    def __call__(self, title: str) -> Iterator[None]:
        self.number += 1
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
        try:
            yield
        except Exception as exc:
            try:
                shot = self._shot(f"FAILED-{slug}")
            except Exception:  # the page itself may be gone
                shot = None
            raise AssertionError(f"step {self.number} failed: {title}: {exc}"
                                 + (f" (screenshot {shot.name})" if shot else "")) from exc
        self._shot(slug)


@pytest.fixture
def context(browser) -> Iterator[Any]:
    made = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US",
                               timezone_id="UTC")
    made.set_default_timeout(STEP_TIMEOUT_MS)
    yield made
    made.close()


@pytest.fixture
def page(context) -> Iterator[Any]:
    """A page that fails the test on a script error (a broken page must not pass quietly)."""
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def steps(page, request) -> Steps:
    return Steps(page, request.node.name)
