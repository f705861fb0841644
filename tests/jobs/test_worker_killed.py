"""A job whose worker process is killed mid-job is taken up by another worker once the
lease expires, and gives the same assessment a request gives (at least once, same result)."""

from __future__ import annotations

import gzip
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calculator.app import create_app

BIN = Path(sys.executable).parent
HEADER = b"timestamp,posts\n"


def many_rows_log(copies: int) -> bytes:
    """A CSV of ``copies`` x 200,000 rows (a day of accesses, repeated) as multi-member gzip:
    small to send, slow enough to read that a worker can be killed in the middle."""
    day = 1740787200  # 2025-03-01T00:00:00Z
    rows = b"".join(b"%d,%d\n" % (day + (n * 7) % 86400, 1 + n % 9) for n in range(200_000))
    member = gzip.compress(rows, compresslevel=1)
    return gzip.compress(HEADER, compresslevel=1) + member * copies


def start_worker(database_url: str, folder: Path, name: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALCULATOR_")}
    with (folder / f"{name}.log").open("w") as log:
        return subprocess.Popen(
            [str(BIN / "calculator"), "worker", "--database-url", database_url, "--lease",
             "1", "--poll", "0.05"], env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def app(tmp_path, database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    yield app
    app.extensions["calculator.store"].dispose()


def test_a_killed_workers_job_is_finished_by_another_with_the_same_answer(app, tmp_path,
                                                                          database_url):
    client = app.test_client()
    body = many_rows_log(copies=3)
    posted = client.post("/v1/assessments", data=body, content_type="application/gzip",
                         headers={"Prefer": "respond-async"})
    assert posted.status_code == 202
    location = posted.headers["Location"]

    def job():
        return client.get(location).get_json()

    first = start_worker(database_url, tmp_path, "first")
    try:
        # Frozen as soon as it holds the job, then killed: mid-job, however fast it reads.
        claimed = wait_for(lambda: (lambda j: j if j["state"] != "queued" else None)(job()),
                           120, "the first worker to take the job")
        first.send_signal(signal.SIGSTOP)
        seen = job()
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert claimed["attempts"] == 1
    assert seen["state"] == "running", "the first worker finished before it was killed"
    assert seen["phase"] in ("reading", "assessing")

    second = start_worker(database_url, tmp_path, "second")
    try:
        # The same log assessed in this process, while the second worker starts and reads.
        from calculator.damages.assessment import assess

        direct = assess(io.BytesIO(body), rules=app.extensions["calculator.lookup"],
                        name="the upload").to_document()
        done = wait_for(lambda: (lambda j: j if j["state"] in ("done", "failed") else None)(
            job()), 300, "the second worker to finish the job")
    finally:
        second.terminate()
        second.wait(30)
    assert done["state"] == "done", done
    assert done["attempts"] == 2
    from_job = client.get(done["assessment"]).get_json()
    assert done["progress"]["rows_read"] == from_job["input"]["rows"] == 3 * 200_000
    # The job's document is the one assessed in this process, to the cent.
    assert {k: v for k, v in from_job.items() if k not in ("id", "created_at", "reference")} \
        == direct
    assert list((Path(app.instance_path) / "jobs").iterdir()) == []


def test_a_worker_stopped_with_sigterm_gives_its_job_back_without_counting_it(app, tmp_path,
                                                                             database_url):
    client = app.test_client()
    # Long enough that the worker is still reading when the signal comes, however fast the
    # readers are and however loaded the machine (it stops at its next report: no cost).
    posted = client.post("/v1/assessments", data=many_rows_log(copies=10),
                         content_type="application/gzip", headers={"Prefer": "respond-async"})
    location = posted.headers["Location"]
    worker = start_worker(database_url, tmp_path, "stopped")
    try:
        wait_for(lambda: client.get(location).get_json()["state"] == "running", 120,
                 "the worker to take the job")
        # Frozen while reading, asked to stop, then let go: it stops at its next report.
        worker.send_signal(signal.SIGSTOP)
        worker.send_signal(signal.SIGTERM)
        worker.send_signal(signal.SIGCONT)
        assert worker.wait(120) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    job = client.get(location).get_json()
    assert (job["state"], job["attempts"]) == ("queued", 0), job


def test_a_stop_asked_before_the_work_starts_still_gives_the_job_back(app):
    """SIGTERM between the claim and the start of the reading: the job goes back to the
    queue, not counted, rather than being assessed to its end by a stopping worker."""
    from calculator.jobs.worker import Worker

    client = app.test_client()
    location = client.post("/v1/assessments", data=many_rows_log(copies=1),
                           content_type="application/gzip",
                           headers={"Prefer": "respond-async"}).headers["Location"]
    worker = Worker(app.extensions["calculator.store"], app.extensions["calculator.lookup"])
    worker.stop_current("shutdown")
    outcome = worker.run_next()
    assert outcome is not None and outcome.state == "queued"
    job = client.get(location).get_json()
    assert (job["state"], job["attempts"]) == ("queued", 0), job
