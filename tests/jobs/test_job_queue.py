"""The jobs' queue on SQLite and PostgreSQL: one worker holds a job at a time, a dead
worker's job is taken up again once its lease expires, and only the holder changes it."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from calculator.errors import Conflict, RecordNotFound
from calculator.jobs.queue import MAX_ATTEMPTS, Jobs
from calculator.storage import Store

LONG = timedelta(minutes=5)


@pytest.fixture
def queue(database_url):
    store = Store.open(database_url)
    yield Jobs(store.engine)
    store.dispose()


def submit(queue: Jobs, job_id: str = "a" * 32, owner: str | None = None, **extra):
    job, created = queue.submit(
        job_id, owner=owner, uploads=[f"/nowhere/{job_id}-0.log"], upload_bytes=100,
        log_sha256="0" * 64, options={"platform": "x"}, format_hint=None, reference=None,
        max_bytes=None, **extra)
    assert created
    return job


def test_a_queued_job_is_taken_by_one_worker_only(queue):
    submit(queue)
    first = queue.claim("w1", LONG)
    assert first is not None and first.state == "running" and first.attempts == 1
    assert first.lease_owner == "w1"
    assert queue.claim("w2", LONG) is None


def test_a_job_whose_lease_expired_is_taken_up_by_another_worker(queue):
    submit(queue)
    assert queue.claim("dead", timedelta(milliseconds=50)) is not None
    time.sleep(0.1)
    again = queue.claim("alive", LONG)
    assert again is not None and again.lease_owner == "alive" and again.attempts == 2


def test_a_worker_that_lost_its_lease_changes_nothing(queue):
    job = submit(queue)
    queue.claim("dead", timedelta(milliseconds=50))
    time.sleep(0.1)
    queue.claim("alive", LONG)
    assert not queue.renew(job.id, "dead", LONG, phase="reading", bytes_read=1, rows_read=1)
    assert not queue.finish(job.id, "dead", "b" * 32, bytes_read=1, rows_read=1)
    assert not queue.fail(job.id, "dead", {"type": "/problems/x"})
    assert queue.finish(job.id, "alive", "c" * 32, bytes_read=100, rows_read=7)
    done = queue.get(job.id)
    assert (done.state, done.assessment_id, done.rows_read) == ("done", "c" * 32, 7)


def test_progress_is_recorded_with_each_renewal(queue):
    job = submit(queue)
    queue.claim("w", LONG)
    assert queue.renew(job.id, "w", LONG, phase="assessing", bytes_read=100, rows_read=42)
    seen = queue.get(job.id)
    assert (seen.phase, seen.bytes_read, seen.rows_read) == ("assessing", 100, 42)


def test_a_job_that_kills_its_workers_is_failed_not_taken_up_forever(queue):
    job = submit(queue)
    for _ in range(MAX_ATTEMPTS):
        assert queue.claim("doomed", timedelta(milliseconds=20)) is not None
        time.sleep(0.05)
    assert queue.claim("next", LONG) is None
    failed = queue.get(job.id)
    assert failed.state == "failed"
    assert f"stopped {MAX_ATTEMPTS} times" in failed.problem["detail"]


def test_a_worker_that_stops_gives_its_job_back_without_counting_an_attempt(queue):
    job = submit(queue)
    queue.claim("w", LONG)
    assert queue.release(job.id, "w", counted=False)
    back = queue.get(job.id)
    assert (back.state, back.attempts, back.lease_owner) == ("queued", 0, None)


def test_a_cancelled_job_is_not_taken_and_its_worker_loses_it(queue):
    job = submit(queue)
    queue.claim("w", LONG)
    assert queue.cancel(job.id, None).state == "cancelled"
    assert not queue.renew(job.id, "w", LONG, phase="reading", bytes_read=0, rows_read=0)
    assert queue.claim("other", LONG) is None
    with pytest.raises(Conflict, match="has ended"):
        queue.cancel(job.id, None)


def test_a_job_is_seen_by_its_owner_only(queue):
    job = submit(queue, owner="alice")
    assert queue.get(job.id, "alice").id == job.id
    with pytest.raises(RecordNotFound):
        queue.get(job.id, "bob")
    with pytest.raises(RecordNotFound):
        queue.cancel(job.id, "bob")


def test_the_same_idempotency_key_finds_the_same_job(queue):
    first = submit(queue, idempotency_key="k", request_hash="h")
    again, created = queue.submit(
        "b" * 32, owner=None, uploads=[], upload_bytes=100, log_sha256="0" * 64,
        options={}, format_hint=None, reference=None, max_bytes=None,
        idempotency_key="k", request_hash="h")
    assert (again.id, created) == (first.id, False)


def test_many_workers_take_every_job_exactly_once(queue):
    ids = [f"{n:032d}" for n in range(40)]
    for job_id in ids:
        submit(queue, job_id)
    taken: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := queue.claim(name, LONG)) is not None:
            with lock:
                taken.append(job.id)
            assert queue.finish(job.id, name, "r" * 32, bytes_read=100, rows_read=1)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == ids


def test_a_worker_that_cannot_reach_the_upload_gives_the_job_back_until_it_is_abandoned(
        database_url, lookup):
    from calculator.jobs.worker import Worker

    store = Store.open(database_url)
    try:
        queue = Jobs(store.engine)
        job = submit(queue)  # its upload is in a folder this host does not have
        worker = Worker(store, lookup)
        outcomes = [worker.run_next() for _ in range(MAX_ATTEMPTS)]
        assert [o.state for o in outcomes] == ["queued"] * MAX_ATTEMPTS
        assert worker.run_next() is None
        abandoned = queue.get(job.id)
        assert abandoned.state == "failed"
        assert abandoned.problem["type"] == "/problems/job-abandoned"
        assert "/nowhere" not in str(abandoned.problem)
    finally:
        store.dispose()
