"""The worker: take a job, assess its upload, store the assessment, end the job.

One job at a time per process (reading reports its progress to one process-wide observer,
see ``calculator.ingest.progress``); run several processes for several jobs at once. While
a job runs, a heartbeat thread renews the lease and records the progress (bytes, rows,
phase); when the job was cancelled, or the lease was lost, the reading stops at its next
report. The assessment is stored under an idempotency key made from the job's id, so a job
run twice (its first worker died after storing) stores one assessment.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from calculator.errors import CalculatorError
from calculator.ingest import progress
from calculator.jobs.options import options_from_json
from calculator.jobs.queue import Job, Jobs
from calculator.jobs.uploads import delete_upload, open_upload
from calculator.rules import RuleLookup
from calculator.storage import Store

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
# Ended jobs are kept this long (a client polling a job, or retrying with its
# Idempotency-Key, finds it), then purged; their assessments stay. Decision 0127.
DEFAULT_KEEP_JOBS = timedelta(days=30)
# How often a worker looks for jobs to purge: the rows are small, there is no hurry.
PURGE_EVERY = timedelta(hours=1)


class JobStopped(Exception):
    """The job was cancelled, its lease lost, or the worker asked to stop."""


def worker_name() -> str:
    """A worker's name in leases: host, process and a random part (a pid is reused)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Tracker:
    """Counts what reading reports, for the heartbeat to record; raises ``JobStopped``
    from the reading once ``stop`` was called."""

    def __init__(self, total_bytes: int) -> None:
        self.total_bytes = total_bytes
        self.bytes_read = 0
        self.rows_read = 0
        self.phase = "reading"
        self.stopped: str | None = None  # why: cancelled, lease lost, shutdown
        self._lock = threading.Lock()

    def advance(self, bytes_read: int = 0, rows: int = 0) -> None:
        with self._lock:
            self.bytes_read += bytes_read
            self.rows_read += rows
            if self.phase == "reading" and self.bytes_read >= self.total_bytes:
                # Every byte is read: what is left is counting the last rows and the windows.
                self.phase = "assessing"
        if self.stopped:
            raise JobStopped(self.stopped)

    def stop(self, why: str) -> None:
        self.stopped = self.stopped or why


class Heartbeat:
    """Renews the lease and records progress on its own thread: every second (progress a
    page can show), or every quarter of the lease if that is shorter."""

    def __init__(self, jobs: Jobs, job: Job, worker: str, lease: timedelta,
                 tracker: Tracker) -> None:
        self.jobs, self.job, self.worker, self.lease = jobs, job, worker, lease
        self.tracker = tracker
        self.every = max(0.05, min(1.0, lease.total_seconds() / 4))
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def beat(self) -> bool:
        tracker = self.tracker
        held = self.jobs.renew(self.job.id, self.worker, self.lease, phase=tracker.phase,
                               bytes_read=tracker.bytes_read, rows_read=tracker.rows_read)
        if not held:
            tracker.stop("the job was cancelled, or taken up by another worker")
        return held

    def _run(self) -> None:
        while not self._done.wait(self.every):
            try:
                if not self.beat():
                    return
            except Exception:  # the database went away a moment: the next beat retries
                log.warning("job %s: the lease could not be renewed", self.job.id,
                            exc_info=True)


@dataclass(frozen=True)
class Outcome:
    job_id: str
    state: str  # done, failed, queued (given back), stopped
    detail: str = ""


Say = Callable[[str], None]


class Worker:
    """Takes jobs from ``store``'s database and assesses them under ``lookup``'s rules."""

    def __init__(self, store: Store, lookup: RuleLookup, *, lease: timedelta = DEFAULT_LEASE,
                 name: str | None = None, keep_jobs: timedelta | None = DEFAULT_KEEP_JOBS
                 ) -> None:
        self.store, self.lookup, self.lease = store, lookup, lease
        self.jobs = Jobs(store.engine)
        self.name = name or worker_name()
        self.current: Tracker | None = None
        self.stopping: str | None = None  # why, once asked to stop
        self.keep_jobs = keep_jobs  # None: ended jobs are kept for ever
        self._purged_at: datetime | None = None

    def purge(self, now: datetime | None = None) -> int:
        """Delete the jobs that ended more than ``keep_jobs`` ago (and any upload one of
        them still named); how many. Several workers purging at once is harmless."""
        if self.keep_jobs is None:
            return 0
        now = now or datetime.now(UTC)
        self._purged_at = now
        purged, uploads = self.jobs.purge(now - self.keep_jobs)
        for location in uploads:
            try:
                delete_upload(location)
            except OSError:
                log.warning("an ended job's upload could not be deleted", exc_info=True)
        return purged

    def purge_if_due(self, now: datetime | None = None) -> int:
        """``purge`` when this worker has not in the last ``PURGE_EVERY``."""
        now = now or datetime.now(UTC)
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return 0
        return self.purge(now)

    def stop_current(self, why: str) -> None:
        """Ask the job in hand to stop (from a signal handler): it goes back to the queue.
        Asked between the claim and the start of the work, the job stops at its first
        report all the same."""
        self.stopping = self.stopping or why
        if self.current is not None:
            self.current.stop(why)

    def run_next(self) -> Outcome | None:
        """Claim one job and see it through; None when none is waiting."""
        job = self.jobs.claim(self.name, self.lease)
        if job is None:
            return None
        return self.run(job)

    def run(self, job: Job) -> Outcome:
        tracker = Tracker(job.upload_bytes)
        self.current = tracker
        if self.stopping:  # asked before the tracker was there to hear it
            tracker.stop(self.stopping)
        try:
            with Heartbeat(self.jobs, job, self.name, self.lease, tracker) as heartbeat:
                try:
                    assessment = self._assess(job, tracker)
                    tracker.phase = "storing"
                    if not heartbeat.beat():
                        raise JobStopped(tracker.stopped or "stopped")
                    record = self._save(job, assessment)
                except CalculatorError as error:
                    if tracker.stopped or not self._uploads_exist(job):
                        return self._stopped(job, tracker)
                    self.jobs.fail(job.id, self.name, error.problem_document())
                    self._delete_uploads(job)
                    return Outcome(job.id, "failed", error.one_line())
                except JobStopped:
                    return self._stopped(job, tracker)
                except Exception as error:
                    if tracker.stopped:
                        return self._stopped(job, tracker)
                    # A failure of this worker (a bug, the database, the storage), not of
                    # the log: the job goes back to the queue and is tried again.
                    log.error("job %s failed in this worker:\n%s", job.id,
                              traceback.format_exc())
                    self.jobs.release(job.id, self.name)
                    return Outcome(job.id, "queued", f"{type(error).__name__}: {error}")
            if self.jobs.finish(job.id, self.name, record, bytes_read=tracker.bytes_read,
                                rows_read=tracker.rows_read):
                self._delete_uploads(job)
                return Outcome(job.id, "done", record)
            return self._stopped(job, tracker)
        finally:
            self.current = None

    def _assess(self, job: Job, tracker: Tracker) -> Any:
        from calculator.damages.assessment import assess

        if not job.uploads:
            raise JobStopped("the upload is gone (the job was cancelled)")
        with ExitStack() as files, progress.watching(tracker):
            source: Any
            if len(job.uploads) == 1 and "://" not in job.uploads[0]:
                # A local file is given by its path, so that the readers read it in place
                # (columnar files by random access, others without a copy); its name in
                # messages stays "the upload", never the server's path.
                source = job.uploads[0]
            else:
                streams = [files.enter_context(open_upload(u)) for u in job.uploads]
                source = streams[0] if len(streams) == 1 else streams
            name = "the upload" if len(job.uploads) == 1 else "the uploads"
            return assess(source, rules=self.lookup, name=name, format_hint=job.format_hint,
                          max_bytes=job.max_bytes, **options_from_json(job.options))

    def _save(self, job: Job, assessment: Any) -> str:
        from calculator.storage.assessments import save_assessment

        # The job's own key: a second run of the job finds the first one's assessment.
        saved = save_assessment(self.store, assessment, owner=job.owner,
                                reference=job.reference, idempotency_key=f"job {job.id}",
                                request_hash=job.request_hash or job.id)
        return saved.record.id

    def _stopped(self, job: Job, tracker: Tracker) -> Outcome:
        now = self.jobs.get(job.id, any_owner=True)
        if now.state == "cancelled":
            self._delete_uploads(now)
            return Outcome(job.id, "stopped", "cancelled")
        if tracker.stopped and "shutdown" in tracker.stopped:
            self.jobs.release(job.id, self.name, counted=False)
            return Outcome(job.id, "queued", "the worker is stopping")
        if now.state == "running" and now.lease_owner == self.name:
            # Still ours, yet its upload is not here (uploads in a folder another host
            # cannot see): another worker may reach it; after MAX_ATTEMPTS the job fails.
            self.jobs.release(job.id, self.name)
            return Outcome(job.id, "queued", "the upload cannot be read from this host")
        return Outcome(job.id, "stopped", tracker.stopped or "stopped")

    @staticmethod
    def _uploads_exist(job: Job) -> bool:
        """Whether the local uploads are still there (a cancel deletes them while read)."""
        return all(os.path.exists(u) for u in job.uploads if "://" not in u)

    def _delete_uploads(self, job: Job) -> None:
        for location in job.uploads:
            try:
                delete_upload(location)
            except OSError:
                log.warning("job %s: an upload could not be deleted", job.id, exc_info=True)
        self.jobs.forget_upload(job.id)
