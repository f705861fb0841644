"""Engines from a database URL: the embedded SQLite default, or PostgreSQL.

``DATABASE_URL`` (or ``CALCULATOR_DATABASE_URL``) selects the database; without one,
a SQLite file in the instance folder is used, created on first start.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from calculator.errors import InvalidArgument

SQLITE_FILE = "calculator.sqlite3"
ENV_NAMES = ("CALCULATOR_DATABASE_URL", "DATABASE_URL")


def database_url(explicit: str | None = None, instance_path: str | os.PathLike[str] | None = None,
                 environ: Mapping[str, str] | None = None) -> str:
    """The URL to use: ``explicit``, else the environment, else SQLite in the instance
    folder (which is created)."""
    environ = os.environ if environ is None else environ
    chosen = explicit or next((environ[n] for n in ENV_NAMES if environ.get(n)), None)
    if chosen:
        return chosen
    if instance_path is None:
        raise InvalidArgument("no database: set DATABASE_URL or give an instance folder")
    folder = Path(instance_path)
    private_folder(folder)
    return f"sqlite:///{folder / SQLITE_FILE}"


# Keys' digests, assessments and reviews are the owner's business only: what this service
# creates on disk is readable by its own user alone (an existing folder or file is left as
# its owner set it).
FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and missing parents) readable by the owner only."""
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(FOLDER_MODE)  # mkdir's mode is masked by the umask


def private_file(path: Path) -> None:
    """Create an empty ``path`` readable by the owner only, unless it exists. SQLite gives its
    -wal and -shm files the database file's mode."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    except FileExistsError:
        return
    path.chmod(FILE_MODE)


def normalize_url(url: str | URL) -> URL:
    """``postgres://`` and ``postgresql://`` use psycopg 3 (the driver installed)."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with the URL in it
        raise InvalidArgument("DATABASE_URL is not a database URL such as "
                              "postgresql://user@host/db or sqlite:///path") from exc
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidArgument(f"DATABASE_URL: {parsed.get_backend_name()} is not supported; "
                              "use sqlite or postgresql")
    return parsed


def is_sqlite(url: str | URL) -> bool:
    return normalize_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL (None for an in-memory database)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str | URL, **options: Any) -> Engine:
    """An engine for ``url``, set up for several processes sharing one database.

    SQLite: write-ahead logging (readers do not block the writer), a 30 s busy timeout (a
    writer waits for another instead of failing), foreign keys on. PostgreSQL: connections
    checked before use, so a restarted server costs no failed request."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is None:
            options.setdefault("poolclass", StaticPool)
            options.setdefault("connect_args", {"check_same_thread": False})
        else:
            private_folder(path.parent)
            private_file(path)
            options.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(parsed, **options)

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            if path is not None:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **options)


# Each PostgreSQL engine's sibling for single-statement calls (see ``autocommit_sibling``).
_SIBLINGS: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()
_SIBLINGS_GUARD = threading.Lock()


def autocommit_sibling(engine: Engine,
                       prepare: Callable[[Any, Any], None] | None = None) -> Engine:
    """An engine on the same PostgreSQL database for calls that are one statement each: in
    autocommit, and not checked before use (one round trip less per call), for callers
    that repeat a call once on a connection found dead instead
    (``sqlalchemy.exc.DBAPIError.connection_invalidated``). ``prepare(dbapi_connection,
    pool_record)`` runs on each new connection; the first caller's is kept. The sibling is
    disposed with ``engine``. SQLite: ``engine`` itself."""
    if engine.dialect.name != "postgresql":
        return engine
    with _SIBLINGS_GUARD:
        sibling = _SIBLINGS.get(engine)
        if sibling is None:
            # Nothing to roll back when a connection goes back to the pool: every
            # statement committed by itself (one call less per checkout).
            sibling = create_engine(engine.url, pool_pre_ping=False,
                                    isolation_level="AUTOCOMMIT", pool_reset_on_return=None)
            if prepare is not None:
                event.listen(sibling, "connect", prepare)
            _SIBLINGS[engine] = sibling
            event.listen(engine, "engine_disposed", lambda _engine: sibling.dispose())
    return sibling


def describe_url(url: str | URL) -> str:
    """The URL for a log line: the password hidden."""
    try:
        return normalize_url(url).render_as_string(hide_password=True)
    except InvalidArgument:
        return "(not a database URL)"
