"""Ended jobs are deleted by the workers once older than the kept period (30 days by
default); jobs in flight never are, and the assessments jobs stored stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from calculator.cli import main
from calculator.jobs.worker import DEFAULT_KEEP_JOBS, PURGE_EVERY, Worker
from tests.api.test_jobs_api import ASYNC, post, run_jobs, uploads_folder

LATER = DEFAULT_KEEP_JOBS + timedelta(minutes=1)


@pytest.fixture
def app(make_app):
    return make_app()


def worker(app, **options) -> Worker:
    return Worker(app.extensions["calculator.store"], app.extensions["calculator.lookup"],
                  **options)


def test_a_job_ended_longer_ago_than_kept_is_deleted_its_assessment_stays(app):
    client = app.test_client()
    done = post(client, headers=ASYNC).headers["Location"]
    run_jobs(app)
    assessment = client.get(done).get_json()["assessment"]
    cancelled = post(client, headers=ASYNC).headers["Location"]
    client.delete(cancelled)
    failed = post(client, body=b"timestamp,posts\nyesterday,5\n", headers=ASYNC)
    run_jobs(app)
    now = datetime.now(UTC)
    assert worker(app).purge(now + DEFAULT_KEEP_JOBS - timedelta(minutes=1)) == 0
    assert worker(app).purge(now + LATER) == 3
    for location in (done, cancelled, failed.headers["Location"]):
        assert client.get(location).status_code == 404
    assert client.get(assessment).status_code == 200
    assert client.get("/v1/jobs").get_json()["total"] == 0


def test_a_job_in_flight_is_never_deleted_however_old(app):
    client = app.test_client()
    queued = post(client, headers=ASYNC).headers["Location"]
    running = post(client, headers=ASYNC).get_json()["id"]
    jobs = worker(app).jobs
    held = jobs.claim("w", timedelta(minutes=5))
    assert held is not None and held.id == queued.rsplit("/", 1)[1]
    assert worker(app).purge(datetime.now(UTC) + timedelta(days=3650)) == 0
    assert client.get(queued).get_json()["state"] == "running"
    assert client.get(f"/v1/jobs/{running}").get_json()["state"] == "queued"


def test_an_upload_an_ended_job_still_named_is_deleted_with_it(app):
    client = app.test_client()
    location = post(client, headers=ASYNC).headers["Location"]
    job_id = location.rsplit("/", 1)[1]
    jobs = worker(app).jobs
    jobs.cancel(job_id, None)  # as if the upload's deletion had failed when it ended
    assert len(list(uploads_folder(app).iterdir())) == 1
    assert worker(app).purge(datetime.now(UTC) + LATER) == 1
    assert list(uploads_folder(app).iterdir()) == []


def test_a_worker_purges_at_most_once_an_hour_and_never_when_told_to_keep_jobs(app):
    client = app.test_client()
    post(client, headers=ASYNC)
    run_jobs(app)
    first = datetime.now(UTC) + LATER
    looking = worker(app)
    assert looking.purge_if_due(first) == 1
    post(client, headers=ASYNC)
    run_jobs(app)
    assert looking.purge_if_due(first + PURGE_EVERY / 2) == 0  # an hour has not passed
    assert worker(app, keep_jobs=None).purge_if_due(first + PURGE_EVERY) == 0
    assert looking.purge_if_due(first + PURGE_EVERY) == 1


def test_calculator_worker_keeps_jobs_the_days_it_is_told(app, database_url):
    client = app.test_client()
    location = post(client, headers=ASYNC).headers["Location"]
    run_jobs(app)
    runner = CliRunner()
    kept = runner.invoke(main, ["worker", "--once", "--keep-jobs", "1",
                                "--database-url", database_url])
    assert kept.exit_code == 0, kept.output
    assert client.get(location).status_code == 200
    # A period of 86 microseconds: the job ended longer ago than that.
    purged = runner.invoke(main, ["worker", "--once", "--keep-jobs", "0.000000001",
                                  "--database-url", database_url])
    assert purged.exit_code == 0, purged.output
    assert "deleted 1 job ended over" in purged.output
    assert client.get(location).status_code == 404
