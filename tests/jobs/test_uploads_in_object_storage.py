"""Job uploads kept in object storage (JOB_UPLOADS=s3://...), as workers on several hosts
need them: written as the body arrives, read by the worker, deleted once the job ends.
Against a real S3 API on loopback (moto's server), credentials from the environment."""

from __future__ import annotations

from calculator.jobs.worker import Worker

LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"


def test_a_job_whose_upload_is_in_s3_is_assessed_and_its_upload_deleted(make_app, s3_environment):
    store, name = s3_environment
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
