"""Shared fixtures: the bundled rules, the app, its test client and the CLI runner."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from calculator.app import create_app
from calculator.rules import RuleLookup, bundled_rules_dir, load_ruleset

# Hypothesis's per-example deadline (200 ms by default) is a timing check: on a loaded machine
# it fails examples whose answers are right. Speed is measured by bench/, never by tests, so
# every property test runs without it (a test's own @settings keeps its example count).
settings.register_profile("calculator", deadline=None)
settings.load_profile("calculator")

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
ARCHIVE_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference" / "terms-archive"
BUNDLES = {
    "OpenTermsArchive/pga-versions": "pga-versions.bundle",
    "OpenTermsArchive/vlopses-us-versions": "vlopses-us-versions.bundle",
    "xdevplatform/docs": "xdevplatform-docs.bundle",
}


@pytest.fixture(scope="session")
def ruleset():
    return load_ruleset()


@pytest.fixture(scope="session")
def lookup(ruleset):
    return RuleLookup(ruleset)


# -- Building an app costs about a second, most of it reading and checking every rule file and
#    migrating a new database; a session builds hundreds of apps over the same few rule folders
#    and empty databases. Each is done once per session here, and the answer is the same.

@pytest.fixture(scope="session", autouse=True)
def rules_read_once_per_revision():
    """The app's ``load_ruleset``, kept per folder and revision (the digest of every rule
    file's path and bytes): an edited copy of the rules is read afresh, and a broken one
    still raises, since nothing is kept until a read succeeds."""
    import calculator.app
    from calculator.rules import ruleset_revision

    real = calculator.app.load_ruleset
    kept = {}

    def load_ruleset_kept(directory=None):
        root = Path(directory) if directory is not None else bundled_rules_dir()
        if not root.is_dir():
            return real(directory)
        key = (str(root.resolve()), ruleset_revision(root))
        if key not in kept:
            kept[key] = real(directory)
        return kept[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(calculator.app, "load_ruleset", load_ruleset_kept)
        yield


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite database brought to the newest schema by the migrations, once per session."""
    from calculator.storage import Store

    path = tmp_path_factory.mktemp("migrated") / "empty.sqlite3"
    Store.open(f"sqlite:///{path}").dispose()
    return path


def fresh_sqlite(path: Path, migrated: Path) -> None:
    """Put a copy of the migrated empty database at ``path`` unless a database is there: the
    same file the migrations would write, without running them again."""
    if not path.exists():
        shutil.copy(migrated, path)  # its mode too: private, as the store makes it


@pytest.fixture
def app(tmp_path, migrated_sqlite):
    """The app on a fresh SQLite database of its own (``make_app`` and ``stored_client``,
    below, run on SQLite and PostgreSQL in turn)."""
    fresh_sqlite(tmp_path / "app.sqlite3", migrated_sqlite)
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


@pytest.fixture(params=["sqlite", "postgresql"])
def bench_database(request):
    """A bench script's database, each in turn: its extra arguments (none for its SQLite
    default; --database-url for the PostgreSQL server) and an environment naming no other."""
    args = []
    if request.param == "postgresql":
        base = os.environ.get("TEST_DATABASE_URL")
        if not base:
            pytest.skip(PG_SKIP)
        args = ["--database-url", base]
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CALCULATOR_DATABASE_URL")}
    return args, env


@pytest.fixture
def make_app(tmp_path, database_url, migrated_sqlite):
    """Apps on ``database_url`` (several may share it: a restart is a second app)."""
    from calculator.storage.engine import sqlite_path

    made = []
    sqlite_file = sqlite_path(database_url) if database_url.startswith("sqlite") else None

    def make(**config):
        if sqlite_file is not None and config.get("MIGRATE_ON_START", True):
            fresh_sqlite(sqlite_file, migrated_sqlite)
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


# -- Real servers (issue 13): `calculator serve` under gunicorn, as deployed, on a free
#    loopback port with an instance folder of its own; its output goes to a log file.

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running server: where to reach it, its environment and its log."""

    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | list[tuple[str, str]] | None = None,
             timeout: float = 60) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request on a new connection: status, headers and body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            pairs = headers.items() if isinstance(headers, dict) else headers or []
            names = set()
            for name, value in pairs:
                connection.putheader(name, value)
                names.add(name.lower())
            if body is not None and "content-length" not in names:
                connection.putheader("Content-Length", str(len(body)))
            # The server may answer (and close) before reading the whole body: read its answer.
            with suppress(BrokenPipeError, ConnectionResetError):
                connection.endheaders(body)
            answer = connection.getresponse()
            return answer.status, answer.headers, answer.read()
        finally:
            connection.close()

    def health_seconds(self) -> float:
        """Seconds /health takes to answer 200 (it must answer within 30)."""
        began = time.monotonic()
        with urllib.request.urlopen(f"{self.base}/health", timeout=30) as answer:
            assert answer.status == 200
        return time.monotonic() - began

    def wait_until_up(self, seconds: float = 180) -> None:
        # An upper bound, not a wait: a server up in a second is used after a second. It is
        # wide because a gunicorn start (imports, rules, migrations, workers) on a machine
        # that other suites load took over 60 s, and a slow start is not what is tested.
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("the server exited: " + self.log.read_text()[-2000:])
            try:
                self.health_seconds()
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise AssertionError("the server did not answer /health in time")


def server_environment(folder: Path) -> dict[str, str]:
    """The environment of a server with the bundled rules and SQLite in ``folder``."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               CALCULATOR_INSTANCE_PATH=str(folder / "instance"))
    for name in ("CALCULATOR_RULES_DIR", "CALCULATOR_DATABASE_URL", "DATABASE_URL",
                 "CALCULATOR_HOST", "CALCULATOR_PORT", "CALCULATOR_ALLOW_ANONYMOUS"):
        env.pop(name, None)
    return env


def create_key(env: dict[str, str], name: str) -> str:
    """`calculator keys create NAME` for the service whose environment is ``env``, run in
    this process: the same command and database, without a new interpreter importing the
    calculator again (seconds of CPU each time)."""
    from calculator.cli import main

    unset = {variable: None for variable in os.environ if variable not in env}
    created = CliRunner().invoke(main, ["keys", "create", name], env={**env, **unset})
    assert created.exit_code == 0, created.output
    return created.stdout.strip()


@contextmanager
def serving(folder: Path, *options: str, command: list[str] | None = None,
            env: dict[str, str] | None = None, port: int | None = None,
            cwd: Path | None = None, log: Path | None = None) -> Iterator[Server]:
    """``calculator serve OPTIONS`` (or ``command``, given ``{port}``) until the block ends.
    ``port`` (else a free one), ``cwd`` (else ``folder``) and ``log`` (else one per port in
    ``folder``) for a command that takes its port from the environment or a restart."""
    port = port or free_port()
    env = env or server_environment(folder)
    argv = [a.format(port=port) for a in command] if command else [
        str(BIN / "calculator"), "serve", "--port", str(port), *options]
    log = log or folder / f"server-{port}.log"
    with log.open("w") as output, subprocess.Popen(argv, cwd=cwd or folder, env=env,
                                                   stdout=output,
                                                   stderr=subprocess.STDOUT) as process:
        server = Server(port, env, log, process)
        try:
            server.wait_until_up()
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()  # never left running after the test, whatever it found
                process.wait()
                raise


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """One `calculator serve` (2 workers, open: no key) for a module's tests."""
    with serving(tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture
def start_server():
    """``serving``, for tests that start servers of their own."""
    return serving


@pytest.fixture
def server_env(tmp_path) -> dict[str, str]:
    """The environment ``serving`` gives a server whose folder is ``tmp_path``."""
    return server_environment(tmp_path)


# -- Object storage: a real S3 API (moto's server) on loopback ---------------------------

@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_environment(s3_endpoint, monkeypatch):
    """A fresh bucket, with credentials and endpoint where S3 clients look for them: the
    environment. Yields the s3fs filesystem and the bucket's name."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(name, value)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    store = s3fs.S3FileSystem()
    bucket = f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    store.mkdir(bucket)
    yield store, bucket
    s3fs.S3FileSystem.clear_instance_cache()


# -- The real terms archives (git bundles of the shared reference), cloned once per session,
#    and the archive check of the bundled rules against all of them, run once: the archive
#    tests and the rules' proofs read the same report.

@pytest.fixture(scope="session")
def archive_cache(tmp_path_factory) -> Path:
    missing = [f for f in BUNDLES.values() if not (ARCHIVE_DIR / f).is_file()]
    if missing:
        pytest.fail(f"the archive check runs against the shared reference archives; missing "
                    f"{', '.join(missing)} in {ARCHIVE_DIR}")
    return tmp_path_factory.mktemp("archives")


@pytest.fixture(scope="session")
def archive_options(archive_cache) -> list[str]:
    """``--archive`` options naming each bundle (cloned into the session's cache)."""
    return [f"--archive={name}={ARCHIVE_DIR / file}" for name, file in BUNDLES.items()]


@pytest.fixture(scope="session")
def archives(archive_cache):
    from calculator.archive import ArchiveRepository

    opened = {name: ArchiveRepository.open(name, ARCHIVE_DIR / file, archive_cache)
              for name, file in BUNDLES.items()}
    yield opened
    for repo in opened.values():
        repo.close()


@pytest.fixture(scope="session")
def archive_report(ruleset, archives):
    """The archive check of the bundled rules against every archive."""
    from calculator.archive import check_archives

    return check_archives(ruleset, archives)
