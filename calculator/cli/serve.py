"""``calculator serve``: the HTTP service under gunicorn, on its embedded defaults."""

from __future__ import annotations

import os
import sys

import click

from calculator.cli import Session, pass_session
from calculator.cli.database import database_url_option, open_store, resolve


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="CALCULATOR_HOST",
              help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, envvar="CALCULATOR_PORT")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1),
              envvar="CALCULATOR_WORKERS", help="gunicorn worker processes.")
@click.option("--timeout", default=300, show_default=True, type=click.IntRange(1),
              help="Seconds a worker may spend on one request (large logs take a while).")
@database_url_option
@pass_session
def serve(session: Session, host: str, port: int, workers: int, timeout: int,
          database: str | None) -> None:
    """Serve the JSON API, its OpenAPI document (/openapi.json) and docs (/docs)."""
    # Check the rules here, so that broken rules stop the start with one clear line
    # instead of every worker failing to boot.
    from calculator.storage import describe_url

    ruleset = session.lookup.ruleset
    if session.rules_dir:
        os.environ["CALCULATOR_RULES_DIR"] = session.rules_dir
    # Migrate once, here, before any worker starts (under a lock, so that several hosts
    # starting together migrate once); the workers then only open the database.
    url = resolve(database)
    open_store(url).dispose()
    os.environ["CALCULATOR_DATABASE_URL"] = url
    os.environ["CALCULATOR_MIGRATE_ON_START"] = "false"
    click.echo(f"calculator: rules revision {ruleset.revision}; database "
               f"{describe_url(url)}; serving on http://{host}:{port}", err=True)
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
            "--workers", str(workers), "--timeout", str(timeout),
            "--access-logfile", "-", "calculator.app:create_app()"]
    os.execv(sys.executable, argv)
