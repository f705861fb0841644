"""The job worker processes a server runs beside it (decision 0109).

A job worker is ``calculator worker --exit-with SERVER``. When the server's process has no
other thread, it is forked from it: the server has the app imported already, and a fresh
interpreter would import it all again (about 2.4 s of CPU per start). Once the server has
other threads (gunicorn's supervising thread, its control socket), forking is not safe (a
lock another thread holds stays held in the child for ever), so the worker is started as a
new interpreter (``python -m calculator worker``), as it always was.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterable
from typing import Any, NoReturn


class ForkedWorker:
    """A job worker forked from this process, watched and stopped as ``subprocess.Popen``
    watches and stops a started one (``pid``, ``returncode``, ``poll``, ``wait``,
    ``terminate``, ``kill``)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                # Reaped by someone else (gunicorn's arbiter waits for every child): its
                # status is lost, as subprocess.Popen reports it then.
                self.returncode = 0
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired([f"job worker {self.pid}"], timeout or 0)
            time.sleep(0.02)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


JobWorker = ForkedWorker | subprocess.Popen


def start_job_worker(server: int, listeners: Iterable[Any] = ()) -> JobWorker:
    """A job worker that stops by itself once the process ``server`` (this one or its
    parent) is gone: forked from this process when no other thread runs in it (closing
    ``listeners``, the server's listening sockets, in the child), else a new interpreter."""
    if threading.active_count() > 1:
        return subprocess.Popen([sys.executable, "-m", "calculator", "worker",
                                 "--exit-with", str(server)])
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return ForkedWorker(pid)
    _be_the_job_worker(server, listeners)


def _be_the_job_worker(server: int, listeners: Iterable[Any]) -> NoReturn:
    """In the forked child: become ``calculator worker --exit-with SERVER``, then end
    without running the server's exit handlers or finalizing its objects (they are the
    server's; the worker closes what it opened itself)."""
    status = 1
    try:
        for listener in listeners:
            listener.close()  # the server's port is its own: never kept open by a worker
        # The server's signal handlers (gunicorn's queue them for its arbiter loop) are
        # not the worker's: back to the defaults, which the worker then sets its own over.
        for signum in signal.valid_signals():
            handler = signal.getsignal(signum)
            if callable(handler) and handler is not signal.default_int_handler:
                signal.signal(signum, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        from setproctitle import setproctitle

        from calculator.cli import main

        # What `ps` shows: the command this process now runs, as a started worker shows it.
        setproctitle(f"calculator worker --exit-with {server}")

        main.main(args=["worker", "--exit-with", str(server)], prog_name="calculator")
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
