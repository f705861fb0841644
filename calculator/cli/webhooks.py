"""``calculator webhooks run``: the delivery worker."""

from __future__ import annotations

import time

import click

from calculator.cli import Seconds, Session, pass_session
from calculator.cli.database import database_url_option, open_store


@click.group("webhooks")
def webhooks() -> None:
    """Webhook deliveries: the worker that sends them."""


@webhooks.command("run")
@click.option("--once", is_flag=True, help="Send what is due, announce rule changes, stop.")
@click.option("--poll", default=5.0, show_default=True, type=Seconds(0.1, 3600),
              help="Seconds between looks for due deliveries.")
@click.option("--allow-private-targets", is_flag=True,
              envvar="CALCULATOR_WEBHOOKS_ALLOW_PRIVATE_TARGETS",
              help="Deliver to loopback, private and link-local hosts too (the same setting "
                   "as the server's).")
@database_url_option
@pass_session
def run(session: Session, once: bool, poll: float, allow_private_targets: bool,
        database: str | None) -> None:
    """Send due deliveries (signed, retried with backoff for up to a day) and announce
    rules.changed and exposure.changed for ruleset revisions the server started on."""
    # Imported when the command runs: --help and rule lookups must not load SQLAlchemy.
    from sqlalchemy.exc import SQLAlchemyError

    from calculator.webhooks.delivery import run_once
    from calculator.webhooks.rule_events import announce, record_served

    store = open_store(database)
    lookup = session.lookup
    try:
        # The worker runs the rules it was given; it records them as served too, so that a
        # worker started alone after a rules update still announces it.
        record_served(store.engine, lookup.ruleset)
        while True:
            try:
                announced = announce(store.engine, store, lookup)
                for revision in announced:
                    click.echo(f"calculator: announced ruleset revision {revision}", err=True)
                for outcome in run_once(store.engine, allow_private=allow_private_targets):
                    click.echo(f"calculator: delivery {outcome.delivery_id}: {outcome.state}"
                               + (f" ({outcome.error})" if outcome.error else ""), err=True)
            except SQLAlchemyError as exc:
                if once:
                    raise
                # The database went away for a moment: say so and try again; leases that
                # were held expire, so nothing is lost.
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                click.echo(f"calculator: the database failed ({reason}); retrying", err=True)
            if once:
                return
            time.sleep(poll)
    finally:
        store.dispose()
