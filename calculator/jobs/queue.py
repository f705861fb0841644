"""The jobs' queue in the service's database: submit, look, cancel; claim under a lease.

A worker claims the oldest job that is queued, or running under a lease that has expired
(its worker died), in one transaction: PostgreSQL skips rows another worker has locked
(``FOR UPDATE SKIP LOCKED``), so workers on several hosts never wait on each other or
take one job twice at once; SQLite has one writer at a time (``BEGIN IMMEDIATE``), which
is the same guarantee on one machine. The worker renews its lease while it works; every
later write is conditional on still holding it, so a worker that lost its lease (or whose
job was cancelled) changes nothing. A job is therefore done at least once, and since an
assessment depends only on the log, the options and the rules, a second run gives the
same answer. See docs/decisions/0093-assessment-jobs.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from calculator.errors import Conflict, RecordNotFound, shown_id
from calculator.storage.job_schema import jobs
from calculator.storage.repository import IdempotencyConflict, Page, idempotency_scope

KIND = "job"
# A job whose workers died this many times is failed rather than taken up again: a log
# that kills its worker (out of memory, say) must not take every worker down in turn.
MAX_ATTEMPTS = 3
ACTIVE = ("queued", "running")
ENDED = ("done", "failed", "cancelled")
STATES = (*ACTIVE, *ENDED)


@dataclass(frozen=True)
class Job:
    id: str
    owner: str | None
    state: str
    phase: str
    created_at: datetime
    started_at: datetime | None
    updated_at: datetime
    finished_at: datetime | None
    uploads: tuple[str, ...]
    upload_bytes: int
    log_sha256: str
    format_hint: str | None
    options: dict[str, Any]
    reference: str | None
    max_bytes: int | None
    bytes_read: int
    rows_read: int
    attempts: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    assessment_id: str | None
    problem: dict[str, Any] | None
    request_hash: str | None

    @property
    def ended(self) -> bool:
        return self.state in ENDED


def _job(row: Any) -> Job:
    values = dict(row)
    values.pop("idempotency_scope", None)
    upload = values.pop("upload")
    values["uploads"] = tuple(upload.split("\n")) if upload else ()
    return Job(**values)


def _now() -> datetime:
    return datetime.now(UTC)


def _owned_by(owner: str | None) -> Any:
    return jobs.c.owner.is_(None) if owner is None else jobs.c.owner == owner


class Jobs:
    """The jobs of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- the API's side --------------------------------------------------------------------

    def submit(self, job_id: str, *, owner: str | None, uploads: list[str], upload_bytes: int,
               log_sha256: str, options: dict[str, Any], format_hint: str | None,
               reference: str | None, max_bytes: int | None,
               idempotency_key: str | None = None, request_hash: str | None = None
               ) -> tuple[Job, bool]:
        """Queue a job for uploads already kept; (job, created). With an Idempotency-Key
        used before by this owner for a job, that job is returned (created False) when the
        request is the same, ``IdempotencyConflict`` when it is not."""
        scope = None if idempotency_key is None else idempotency_scope(KIND, owner,
                                                                       idempotency_key)
        now = _now()
        row = {"id": job_id, "owner": owner, "state": "queued", "phase": "queued",
               "created_at": now, "started_at": None, "updated_at": now, "finished_at": None,
               "upload": "\n".join(uploads), "upload_bytes": upload_bytes,
               "log_sha256": log_sha256, "format_hint": format_hint, "options": options,
               "reference": reference, "max_bytes": max_bytes, "bytes_read": 0,
               "rows_read": 0, "attempts": 0, "lease_owner": None, "lease_expires_at": None,
               "assessment_id": None, "problem": None, "idempotency_scope": scope,
               "request_hash": request_hash}
        try:
            with self.engine.begin() as connection:
                connection.execute(jobs.insert().values(**row))
        except IntegrityError:
            if scope is None:
                raise
            earlier = self.find_by_idempotency_key(owner, idempotency_key or "")
            if earlier is None:
                raise
            if earlier.request_hash != request_hash:
                raise IdempotencyConflict() from None
            return earlier, False
        return _job(row), True

    def release_key_of(self, assessment_id: str) -> None:
        """Free the Idempotency-Key of the job that made an assessment now deleted, as a
        deleted assessment's own key is freed: a retry then makes a new one, where it was
        answered with the deleted assessment's 404."""
        with self.engine.begin() as connection:
            connection.execute(jobs.update().where(jobs.c.assessment_id == assessment_id)
                               .values(idempotency_scope=None))

    def find_by_idempotency_key(self, owner: str | None, key: str) -> Job | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(jobs).where(
                jobs.c.idempotency_scope == idempotency_scope(KIND, owner, key))
            ).mappings().first()
        return None if row is None else _job(row)

    def get(self, job_id: str, owner: str | None = None, *, any_owner: bool = False) -> Job:
        query = select(jobs).where(jobs.c.id == job_id)
        if not any_owner:
            query = query.where(_owned_by(owner))
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            raise RecordNotFound(f"no job {shown_id(job_id)} that this key may see")
        return _job(row)

    def list(self, owner: str | None, *, states: tuple[str, ...] | None = None,
             created_to: datetime | None = None, page: int = 1, page_size: int = 20
             ) -> Page[Job]:
        """The owner's jobs, newest first (ties by id), in ``states`` (all when None),
        made before ``created_to`` (exclusive)."""
        if page < 1 or page_size < 1:
            raise ValueError("page and page_size start at 1")
        conditions = [_owned_by(owner)]
        if states is not None:
            conditions.append(jobs.c.state.in_(states))
        if created_to is not None:
            conditions.append(jobs.c.created_at < created_to)
        with self.engine.connect() as connection:
            total = connection.execute(
                select(func.count()).select_from(jobs).where(*conditions)).scalar_one()
            rows = connection.execute(
                select(jobs).where(*conditions)
                .order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
                .limit(page_size).offset((page - 1) * page_size)).mappings().all()
        return Page([_job(row) for row in rows], total, page, page_size)

    def purge(self, ended_before: datetime) -> tuple[int, list[str]]:
        """Delete the jobs that ended (done, failed or cancelled) before ``ended_before``:
        how many, and the uploads some of them still named (their deletion failed when the
        job ended), for the caller to delete. A job in flight is never purged, however old;
        the assessments jobs stored are records of their own and stay."""
        old = and_(jobs.c.state.in_(ENDED), jobs.c.finished_at < ended_before)
        with self.engine.begin() as connection:
            left = connection.execute(select(jobs.c.upload).where(
                old, jobs.c.upload.is_not(None))).scalars().all()
            purged = connection.execute(delete(jobs).where(old)).rowcount
        return purged, [location for upload in left for location in upload.split("\n") if location]

    def cancel(self, job_id: str, owner: str | None) -> Job:
        """Cancel a queued or running job (its worker stops at its next report); the
        uploads are the caller's to delete. A job that has ended is a ``Conflict``."""
        now = _now()
        with self.engine.begin() as connection:
            done = connection.execute(
                update(jobs).where(jobs.c.id == job_id, _owned_by(owner),
                                   jobs.c.state.in_(ACTIVE))
                .values(state="cancelled", phase="ended", finished_at=now, updated_at=now,
                        lease_owner=None, lease_expires_at=None)).rowcount
        job = self.get(job_id, owner)
        if not done:
            raise Conflict(f"job {job_id} has ended ({job.state}); nothing to cancel"
                           + (": delete its assessment instead" if job.state == "done"
                              else ""))
        return job

    # -- the workers' side -----------------------------------------------------------------

    def claim(self, worker: str, lease: timedelta) -> Job | None:
        """Take the oldest job that is queued or whose lease expired, for ``lease``; None
        when there is none. A job taken up too often is failed instead (see MAX_ATTEMPTS)."""
        while True:
            now = _now()
            with self.engine.connect() as connection:
                claimable = or_(jobs.c.state == "queued",
                                and_(jobs.c.state == "running", jobs.c.lease_expires_at < now))
                query = (select(jobs).where(claimable).order_by(jobs.c.created_at, jobs.c.id)
                         .limit(1))
                if connection.dialect.name == "sqlite":
                    # Take the write lock before reading: two workers never read one job.
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    query = query.with_for_update(skip_locked=True)
                row = connection.execute(query).mappings().first()
                if row is None:
                    connection.rollback()
                    return None
                job = _job(row)
                if job.attempts >= MAX_ATTEMPTS:
                    self._give_up(connection, job, now)
                    connection.commit()
                    continue
                connection.execute(update(jobs).where(jobs.c.id == job.id).values(
                    state="running", phase="reading", lease_owner=worker,
                    lease_expires_at=now + lease, attempts=jobs.c.attempts + 1,
                    started_at=job.started_at or now, updated_at=now, bytes_read=0,
                    rows_read=0))
                connection.commit()
            return self.get(job.id, any_owner=True)

    def _give_up(self, connection: Connection, job: Job, now: datetime) -> None:
        connection.execute(update(jobs).where(jobs.c.id == job.id).values(
            state="failed", phase="ended", finished_at=now, updated_at=now, lease_owner=None,
            lease_expires_at=None, problem={
                "type": "/problems/job-abandoned", "title": "The job could not be finished",
                "status": 500,
                "detail": f"the workers assessing this log stopped {job.attempts} times before "
                          "finishing it (for instance out of memory, or killed); it is not "
                          "tried again. Split the log by period and send the parts."}))

    def renew(self, job_id: str, worker: str, lease: timedelta, *, phase: str,
              bytes_read: int, rows_read: int) -> bool:
        """Extend the lease and record progress; False when this worker no longer holds
        the job (cancelled, or taken up by another after the lease expired)."""
        now = _now()
        with self.engine.begin() as connection:
            return bool(connection.execute(
                update(jobs).where(*self._held(job_id, worker)).values(
                    lease_expires_at=now + lease, updated_at=now, phase=phase,
                    bytes_read=bytes_read, rows_read=rows_read)).rowcount)

    def finish(self, job_id: str, worker: str, assessment_id: str, *, bytes_read: int,
               rows_read: int) -> bool:
        now = _now()
        with self.engine.begin() as connection:
            return bool(connection.execute(
                update(jobs).where(*self._held(job_id, worker)).values(
                    state="done", phase="ended", finished_at=now, updated_at=now,
                    assessment_id=assessment_id, lease_owner=None, lease_expires_at=None,
                    bytes_read=bytes_read, rows_read=rows_read)).rowcount)

    def fail(self, job_id: str, worker: str, problem: dict[str, Any]) -> bool:
        """End a job whose log cannot be assessed (a bad row, a log over the limit): the
        same problem a request would have answered; it is not tried again."""
        now = _now()
        with self.engine.begin() as connection:
            return bool(connection.execute(
                update(jobs).where(*self._held(job_id, worker)).values(
                    state="failed", phase="ended", finished_at=now, updated_at=now,
                    problem=problem, lease_owner=None, lease_expires_at=None)).rowcount)

    def release(self, job_id: str, worker: str, *, counted: bool = True) -> bool:
        """Give a job back to the queue after a failure of this worker, not of the log
        (``counted``), or because the worker is stopping (not counted as an attempt)."""
        now = _now()
        attempts = jobs.c.attempts if counted else jobs.c.attempts - 1
        with self.engine.begin() as connection:
            return bool(connection.execute(
                update(jobs).where(*self._held(job_id, worker)).values(
                    state="queued", phase="queued", updated_at=now, lease_owner=None,
                    lease_expires_at=None, attempts=attempts)).rowcount)

    def forget_upload(self, job_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(jobs).where(jobs.c.id == job_id).values(upload=None))

    @staticmethod
    def _held(job_id: str, worker: str) -> tuple[Any, ...]:
        return (jobs.c.id == job_id, jobs.c.state == "running", jobs.c.lease_owner == worker)

