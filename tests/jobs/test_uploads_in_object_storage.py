"""Job uploads kept in object storage (JOB_UPLOADS=s3://...), as workers on several hosts
need them: written as the body arrives, read by the worker, deleted once the job ends.
Against a real S3 API on loopback (moto's server), credentials from the environment."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from calculator.jobs.worker import Worker

LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(name, value)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    store = s3fs.S3FileSystem()
    name = f"jobs-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    store.mkdir(name)
    yield store, name
    s3fs.S3FileSystem.clear_instance_cache()


def test_a_job_whose_upload_is_in_s3_is_assessed_and_its_upload_deleted(make_app, bucket):
    store, name = bucket
    app = make_app(JOB_UPLOADS=f"s3://{name}/calculator-jobs")
    client = app.test_client()
    posted = client.post("/v1/assessments", data=LOG, content_type="text/csv",
                         headers={"Prefer": "respond-async"})
    assert posted.status_code == 202
    kept = store.ls(f"{name}/calculator-jobs")
    assert len(kept) == 1 and store.cat(kept[0]) == LOG
    worker = Worker(app.extensions["calculator.store"], app.extensions["calculator.lookup"])
    assert worker.run_next().state == "done"
    job = client.get(posted.headers["Location"]).get_json()
    assessment = client.get(job["assessment"]).get_json()
    assert assessment["headline"]["amount"] == "18000.00"
    store.invalidate_cache()
    assert not store.exists(kept[0])
