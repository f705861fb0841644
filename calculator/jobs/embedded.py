"""The job workers ``calculator serve`` runs beside its web workers (gunicorn hooks).

gunicorn loads this module as its configuration (``--config python:calculator.jobs.
embedded``): once the server listens, it starts ``CALCULATOR_JOB_WORKERS`` worker processes
(``calculator worker``, forked from the master while it has no other thread: decision 0109)
and starts again any that stops; when the server stops, so do they (a job in hand goes back
to the queue). A worker also stops by itself if the server is gone (killed), so none is
left behind.
"""

from __future__ import annotations

import os
import subprocess
import threading
from typing import Any

from calculator.jobs.worker_processes import JobWorker, start_job_worker

WORKERS_ENV = "CALCULATOR_JOB_WORKERS"
_RESTART_AFTER = 1.0  # seconds between looks at the workers
_STOP_WAIT = 15.0  # seconds a worker has to give its job back before it is killed


class _Supervisor:
    def __init__(self, count: int, log: Any, listeners: list[Any]) -> None:
        self.count, self.log, self.listeners = count, log, listeners
        self.processes: list[JobWorker] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="job-workers", daemon=True)

    def _start_one(self) -> JobWorker:
        # The first ones fork from the master, whose only thread this is until the watch
        # starts; a worker started again later is a new interpreter.
        process = start_job_worker(os.getpid(), self.listeners)
        self.log.info("Started job worker %s", process.pid)
        return process

    def start(self) -> None:
        self.processes = [self._start_one() for _ in range(self.count)]
        self.thread.start()

    def _watch(self) -> None:
        while not self.stopping.wait(_RESTART_AFTER):
            for index, process in enumerate(self.processes):
                # gunicorn's arbiter reaps every child; poll() then says 0 for ours.
                if process.poll() is not None and not self.stopping.is_set():
                    self.log.warning("Job worker %s stopped (%s); starting another",
                                     process.pid, process.returncode)
                    self.processes[index] = self._start_one()

    def stop(self) -> None:
        self.stopping.set()
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(_STOP_WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            except OSError:
                pass  # already reaped by the arbiter


_supervisor: _Supervisor | None = None


def when_ready(server: Any) -> None:
    global _supervisor
    count = int(os.environ.get(WORKERS_ENV) or 0)
    if count > 0 and _supervisor is None:
        _supervisor = _Supervisor(count, server.log, list(server.LISTENERS))
        _supervisor.start()


def on_exit(server: Any) -> None:
    if _supervisor is not None:
        _supervisor.stop()
