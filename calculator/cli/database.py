"""The database the command line works on, and ``calculator migrate``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from calculator.errors import InvalidInput

database_url_option = click.option(
    "--database-url", "database", envvar=["CALCULATOR_DATABASE_URL", "DATABASE_URL"],
    default=None, metavar="URL",
    help="Database (env CALCULATOR_DATABASE_URL or DATABASE_URL); default: SQLite in the "
         "instance folder (CALCULATOR_INSTANCE_PATH).")


def resolve(database: str | None) -> str:
    """The URL given, or the one the service would use by default."""
    if database:
        return database
    from calculator.app import default_instance_path
    from calculator.storage import database_url

    return database_url(None, default_instance_path())


def open_store(database: str | None, existing: bool = False) -> Any:
    """The store, migrated (so that a first ``keys create`` needs no other setup); SQLAlchemy
    is imported only by commands that open one. ``existing``: a command that only reads or
    changes what is stored refuses an SQLite file that is not there, rather than making
    one: ``keys list`` on a mistyped path made a new database and said the service was
    open. A database named otherwise (the environment, the default) is made as before: a
    fresh install has none yet."""
    from calculator.storage import Store, describe_url

    url = resolve(database)
    if existing and _typed(database):
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        path = parsed.database
        if parsed.get_backend_name() == "sqlite" and path and path != ":memory:" \
                and not Path(path).exists():
            raise InvalidInput(f"there is no database at {describe_url(url)}: give the "
                               "service's database (--database-url or "
                               "CALCULATOR_DATABASE_URL), or make one with calculator migrate")
    return Store.open(url)


def _typed(database: str | None) -> bool:
    """Whether ``database`` was typed on this command line (not read from the environment)."""
    ctx = click.get_current_context(silent=True)
    return bool(database) and ctx is not None and \
        ctx.get_parameter_source("database") == click.core.ParameterSource.COMMANDLINE


@click.command("migrate")
@database_url_option
def migrate_command(database: str | None) -> None:
    """Bring the database to the newest schema (serve does this itself on start)."""
    from calculator.storage import describe_url, head_revision

    url = resolve(database)
    store = open_store(url)
    try:
        click.echo(f"calculator: {describe_url(url)} is at schema revision {head_revision()}",
                   err=True)
    finally:
        store.dispose()
