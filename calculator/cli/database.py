"""The database the command line works on, and ``calculator migrate``."""

from __future__ import annotations

from typing import Any

import click

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


def open_store(database: str | None) -> Any:
    """The store, migrated (so that a first ``keys create`` needs no other setup); SQLAlchemy
    is imported only by commands that open one."""
    from calculator.storage import Store

    return Store.open(resolve(database))


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
