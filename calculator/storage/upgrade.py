"""Bring a database to the newest schema, safely from several processes at once.

``migrate(url)`` runs the Alembic migrations shipped in this package, so an installed
package can migrate its own database. Several gunicorn workers or hosts may start
together: the upgrade runs under a lock (a PostgreSQL advisory lock; for SQLite an
exclusive lock on a file beside the database), so one process migrates and the others
find the schema current once they get the lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from calculator.storage.engine import make_engine, private_file, private_folder, sqlite_path

# An arbitrary constant naming this service's migration lock among PostgreSQL advisory locks.
ADVISORY_LOCK = 7_346_201_904_118


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "calculator.storage:migrations")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: one process is assumed
        yield
        return
    private_folder(path.parent)
    private_file(path)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(url_or_engine: str | Engine) -> str:
    """Upgrade the database to the newest revision; return that revision."""
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        return _migrate(engine)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def _migrate(engine: Engine) -> str:
    head = head_revision()
    config = alembic_config()
    if engine.dialect.name == "sqlite":
        path = sqlite_path(engine.url)
        lock = _file_lock(Path(f"{path}.migrate-lock")) if path else contextlib.nullcontext()
        with lock, engine.connect() as connection:
            if current_revision(connection) != head:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
        return head
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK})
        connection.commit()
        try:
            if current_revision(connection) != head:
                connection.rollback()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK})
            connection.commit()
    return head


def needs_migration(engine: Engine) -> bool:
    with engine.connect() as connection:
        return current_revision(connection) != head_revision()
