"""Shared fixtures: the bundled rules, the app, its test client and the CLI runner."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from calculator.app import create_app
from calculator.rules import RuleLookup, bundled_rules_dir, load_ruleset

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


@pytest.fixture(scope="session")
def ruleset():
    return load_ruleset()


@pytest.fixture(scope="session")
def lookup(ruleset):
    return RuleLookup(ruleset)


@pytest.fixture
def app(tmp_path):
    """The app on a fresh SQLite database of its own (``make_app`` and ``stored_client``,
    below, run on SQLite and PostgreSQL in turn)."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    yield app
    app.extensions["calculator.store"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def rules_copy(tmp_path) -> Path:
    """A private copy of the bundled rules, for tests that break them on purpose."""
    target = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), target)
    return target


# -- Storage over both databases (issue 4): SQLite always; PostgreSQL when TEST_DATABASE_URL
#    names a server (.ci/run starts one). Each PostgreSQL test gets a schema of its own.

PG_SKIP = "PostgreSQL tests need TEST_DATABASE_URL; .ci/run starts a server and sets it"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(PG_SKIP)
    from sqlalchemy import text

    from calculator.storage.engine import make_engine, normalize_url

    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = normalize_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def make_app(tmp_path, database_url):
    """Apps on ``database_url`` (several may share it: a restart is a second app)."""
    made = []

    def make(**config):
        app = create_app({"TESTING": True, "DATABASE_URL": database_url,
                          "INSTANCE_PATH": str(tmp_path / "instance"), **config})
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["calculator.store"].dispose()


@pytest.fixture
def stored_client(make_app):
    """A test client of an app on each database in turn."""
    return make_app().test_client()


# -- Webhooks (issue 11): a real HTTP receiver on loopback that answers with the statuses a
#    test queues (200 once the queue is empty) and keeps every request as received.

@pytest.fixture
def webhook_receiver():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from types import SimpleNamespace

    state = SimpleNamespace(requests=[], statuses=[], url=None)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append(SimpleNamespace(path=self.path, body=body,
                                                  headers=dict(self.headers.items())))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/terms"
    yield state
    server.shutdown()
    server.server_close()
