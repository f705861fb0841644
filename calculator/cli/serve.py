"""``calculator serve``: the HTTP service under gunicorn (or granian), on its embedded
defaults."""

from __future__ import annotations

import gc
import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from calculator.cli import Session, pass_session
from calculator.cli.database import database_url_option, open_store, resolve
from calculator.errors import InvalidArgument

if TYPE_CHECKING:
    from calculator.storage import Store

# gunicorn's default access log format, less `%(u)s`: that is the user name of an HTTP Basic
# header, which is where a confused client puts its API key (the key would be logged).
ACCESS_LOG_FORMAT = '%(h)s %(l)s - %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
WORKER_CLASS = "calculator.api.worker.ProblemWorker"
THREADED_WORKER_CLASS = "calculator.api.worker.ThreadedProblemWorker"
JOB_HOOKS = "python:calculator.jobs.embedded"


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback one (only this machine can call)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False  # gunicorn will say it cannot bind; nothing is opened
    return bool(infos) and all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback
                               for info in infos)


def refuse_open_service(host: str, allow_anonymous: bool, store: Store) -> None:
    """Opening the service to the network without API keys must be a deliberate choice."""
    if allow_anonymous or is_loopback(host) or store.keys.any():
        return
    raise InvalidArgument(
        f"refusing to serve on {host} with no API key: anyone who can reach it could assess, "
        "list and delete records. Create a key first (`calculator keys create NAME`), or pass "
        "--allow-anonymous (CALCULATOR_ALLOW_ANONYMOUS=1) to open it on purpose")


def granian_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    """The granian command line of ``--server granian`` (decision 0123): HTTP/1.1 with
    connections kept alive, ``threads`` requests at a time per worker process, a worker
    that dies started again, no access log."""
    return [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", host,
            "--port", str(port), "--workers", str(workers), "--blocking-threads",
            str(threads), "--http", "1", "--no-ws", "--respawn-failed-workers", "--factory",
            "calculator.app:create_app"]


def gunicorn_command(host: str, port: int, workers: int, timeout: int,
                     control_socket: str | None, job_workers: int = 0,
                     threads: int = 1) -> list[str]:
    """The gunicorn command line the service runs (with the job workers' hooks when it
    runs job workers); more than one thread: gunicorn's threaded workers."""
    worker = (["--worker-class", WORKER_CLASS] if threads == 1
              else ["--worker-class", THREADED_WORKER_CLASS, "--threads", str(threads)])
    control = (["--control-socket", control_socket] if control_socket
               else ["--no-control-socket"])
    hooks = ["--config", JOB_HOOKS] if job_workers else []
    return [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
            "--workers", str(workers), "--timeout", str(timeout),
            *worker, *control, *hooks,
            "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
            "calculator.app:create_app()"]


def _import_the_app_for_the_workers() -> None:
    """Import the app's modules here, once, before the server forks its workers, so that a
    worker only builds the app instead of importing everything again (several seconds of
    CPU per worker; decision 0108). What is imported now lives as long as the processes:
    the collector need not look at it again, neither in a worker (whose pages then stay
    shared with the master) nor at exit (Python's documented use of gc.freeze before a
    fork)."""
    import calculator.app  # noqa: F401

    gc.freeze()


def _module_main(command: list[str], module: str) -> list[str]:
    """The arguments of ``command`` (``python -m MODULE ARGS``), checked to be that."""
    if command[1:3] != ["-m", module]:
        raise ValueError(f"not a {module} command: {command[:3]}")
    return command[3:]


def become_gunicorn(command: list[str]) -> NoReturn:
    """Run ``command`` (``python -m gunicorn ARGS``) as this process, without exec-ing a new
    interpreter, so that its workers fork with the app imported. The process id, arguments,
    signals and exit status are gunicorn's, as with an exec; the command line gunicorn keeps
    for a USR2 upgrade is the one ``python -m gunicorn`` gives."""
    import gunicorn
    from gunicorn.app.wsgiapp import run

    args = _module_main(command, "gunicorn")
    _import_the_app_for_the_workers()
    sys.argv = [str(Path(gunicorn.__file__).with_name("__main__.py")), *args]
    run(prog="gunicorn")
    sys.exit(0)  # the arbiter exits itself; this is never reached on a normal stop


def become_granian(command: list[str], job_workers: int) -> NoReturn:
    """Run ``command`` (``python -m granian ARGS``) as this process, as ``become_gunicorn``
    does gunicorn: granian forks its workers too, which then only build the app. granian
    has no hooks to run job workers: they are forked first, with the app imported (decision
    0109), and each stops by itself once this process (the server) is gone."""
    import granian
    from granian.cli import cli

    from calculator.jobs.worker_processes import start_job_worker

    args = _module_main(command, "granian")
    _import_the_app_for_the_workers()
    for _ in range(job_workers):
        start_job_worker(os.getpid())
    sys.argv = [str(Path(granian.__file__).with_name("__main__.py")), *args]
    # granian's own entry point, with its own environment prefix (GRANIAN_*); it exits.
    cli.main(args=args, prog_name="granian", auto_envvar_prefix="GRANIAN")
    sys.exit(0)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="CALCULATOR_HOST",
              help="Address to listen on. Other than loopback, an API key must exist or "
                   "--allow-anonymous be given.")
@click.option("--port", default=8000, show_default=True, type=int, envvar="CALCULATOR_PORT")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1),
              envvar="CALCULATOR_WORKERS", help="Worker processes (gunicorn's or granian's).")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1),
              envvar="CALCULATOR_THREADS",
              help="Requests each worker serves at a time: above 1, gunicorn's threaded "
                   "workers, which keep connections alive (a crawler fleet's reservations: "
                   "see docs/crawler-teams.md).")
@click.option("--server", "server_name", type=click.Choice(["gunicorn", "granian"]),
              default="gunicorn", show_default=True, envvar="CALCULATOR_SERVER",
              help="The HTTP server: gunicorn, or granian (Rust), which spends about half "
                   "the CPU per request for a crawler fleet's reservations (docs/decisions/"
                   "0123); granian has no per-request timeout and no access log.")
@click.option("--timeout", default=300, show_default=True, type=click.IntRange(1),
              help="Seconds a worker may spend on one request (large logs take a while).")
@click.option("--allow-anonymous", is_flag=True, envvar="CALCULATOR_ALLOW_ANONYMOUS",
              help="Serve on a non-loopback address although no API key exists (anyone who "
                   "can reach it may use it).")
@click.option("--control-socket", default=None, metavar="PATH",
              envvar="CALCULATOR_CONTROL_SOCKET",
              help="gunicorn's control socket for this server (default: none, so that two "
                   "servers never share one).")
@click.option("--job-workers", default=1, show_default=True, type=click.IntRange(0),
              envvar="CALCULATOR_JOB_WORKERS",
              help="Processes that assess the jobs big uploads make, started and stopped "
                   "with the server; 0 when `calculator worker` runs elsewhere.")
@database_url_option
@pass_session
def serve(session: Session, host: str, port: int, workers: int, threads: int,
          server_name: str, timeout: int, allow_anonymous: bool, control_socket: str | None,
          job_workers: int, database: str | None) -> None:
    """Serve the JSON API, its OpenAPI document (/openapi.json) and docs (/docs)."""
    # Check the rules here, so that broken rules stop the start with one clear line
    # instead of every worker failing to boot.
    from calculator.storage import describe_url

    if server_name == "granian" and control_socket:
        raise InvalidArgument("--control-socket is gunicorn's: granian has none")
    ruleset = session.lookup.ruleset
    if session.rules_dir:
        os.environ["CALCULATOR_RULES_DIR"] = session.rules_dir
    # Migrate once, here, before any worker starts (under a lock, so that several hosts
    # starting together migrate once); the workers then only open the database.
    url = resolve(database)
    store = open_store(url)
    try:
        refuse_open_service(host, allow_anonymous, store)
    finally:
        store.dispose()
    os.environ["CALCULATOR_DATABASE_URL"] = url
    os.environ["CALCULATOR_MIGRATE_ON_START"] = "false"
    click.echo(f"calculator: rules revision {ruleset.revision}; database "
               f"{describe_url(url)}; serving on http://{host}:{port}; {job_workers} job "
               f"worker{'' if job_workers == 1 else 's'}", err=True)
    if server_name == "granian":
        become_granian(granian_command(host, port, workers, threads), job_workers)
    os.environ["CALCULATOR_JOB_WORKERS"] = str(job_workers)
    become_gunicorn(gunicorn_command(host, port, workers, timeout, control_socket,
                                     job_workers, threads))
