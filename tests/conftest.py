"""Shared fixtures: the bundled rules, the app, its test client and the CLI runner."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from calculator.app import create_app
from calculator.rules import RuleLookup, bundled_rules_dir, load_ruleset
from tests.running_servers import Server, free_port, server_environment, serving

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

    port = free_port()
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
