"""``calculator worker``: assess the jobs that big uploads made (``POST /v1/assessments``)."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import click

from calculator.cli import Seconds, Session, pass_session
from calculator.cli.database import database_url_option, open_store


@click.command("worker")
@click.option("--once", is_flag=True, help="Assess the jobs waiting now, then stop.")
@click.option("--poll", default=1.0, show_default=True, type=Seconds(0.05, 3600),
              help="Seconds between looks for a job when none is waiting.")
@click.option("--lease", default=60, show_default=True, type=click.IntRange(1),
              envvar="CALCULATOR_JOB_LEASE",
              help="Seconds a job stays this worker's without news from it; renewed while "
                   "it works. A worker that dies loses its jobs to another after this long.")
@click.option("--keep-jobs", "keep_days", default=30.0, show_default=True,
              type=Seconds(0, 36500), envvar="CALCULATOR_KEEP_JOBS_DAYS", metavar="DAYS",
              help="Days an ended job (done, failed, cancelled) stays at /v1/jobs "
                   "before this worker deletes it (checked at start, then hourly); its "
                   "assessment stays, and a retry with its Idempotency-Key after that "
                   "makes a new job. 0 keeps ended jobs for ever.")
@click.option("--exit-with", "parent", type=int, default=None, hidden=True,
              help="Stop when the process with this id (the server) has gone.")
@database_url_option
@pass_session
def worker_command(session: Session, once: bool, poll: float, lease: int, keep_days: float,
                   parent: int | None, database: str | None) -> None:
    """Assess queued jobs, one at a time, until stopped (SIGTERM or Ctrl-C give the job in
    hand back to the queue). Run as many as the machine has cores to spare, on any host
    that reaches the database and the uploads (JOB_UPLOADS); `calculator serve` runs one
    itself unless --job-workers 0."""
    from datetime import timedelta

    from sqlalchemy.exc import SQLAlchemyError

    from calculator.jobs.worker import Worker

    store = open_store(database)
    worker = Worker(store, session.lookup, lease=timedelta(seconds=lease),
                    keep_jobs=timedelta(days=keep_days) if keep_days else None)
    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        stopping.set()
        worker.stop_current("shutdown")

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"calculator: worker {worker.name} waiting for jobs", err=True)
    try:
        while not stopping.is_set():
            if parent is not None and os.getppid() != parent:
                break  # the server that started this worker is gone
            try:
                if purged := worker.purge_if_due():
                    click.echo(f"calculator: deleted {purged} job{'' if purged == 1 else 's'} "
                               f"ended over {keep_days:g} days ago", err=True)
                outcome = worker.run_next()
            except SQLAlchemyError as exc:
                if once:
                    raise
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                click.echo(f"calculator: the database failed ({reason}); retrying", err=True)
                stopping.wait(poll)
                continue
            if outcome is not None:
                click.echo(f"calculator: job {outcome.job_id}: {outcome.state}"
                           + (f" ({outcome.detail})" if outcome.detail else ""), err=True)
            elif once:
                break
            else:
                stopping.wait(poll)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        store.dispose()
