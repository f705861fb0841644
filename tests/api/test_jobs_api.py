"""Big uploads as jobs over HTTP, on SQLite and PostgreSQL: 202 with the job's Location,
progress while a worker assesses it, the assessment's URL once done (the same document a
request would have answered), problems in the job, cancel, retries and size limits."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from calculator.jobs.worker import Worker

LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"
ASYNC = {"Prefer": "respond-async"}


def post(client, body=LOG, query="", headers=None, content_type="text/csv"):
    return client.post(f"/v1/assessments{query}", data=body, content_type=content_type,
                       headers=headers or {})


def run_jobs(app) -> list:
    """What ``calculator worker --once`` does, in this process: every waiting job."""
    worker = Worker(app.extensions["calculator.store"], app.extensions["calculator.lookup"])
    outcomes = []
    while (outcome := worker.run_next()) is not None:
        outcomes.append(outcome)
    return outcomes


def without_record_fields(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in ("id", "created_at")}


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


def uploads_folder(app) -> Path:
    return Path(app.instance_path) / "jobs"


def test_prefer_respond_async_answers_202_with_the_jobs_location(client):
    response = post(client, headers=ASYNC, query="?reference=LEGAL-9")
    assert response.status_code == 202
    job = response.get_json()
    assert response.headers["Location"] == f"/v1/jobs/{job['id']}"
    assert response.headers["Preference-Applied"] == "respond-async"
    assert response.headers["Retry-After"] == "1"
    assert (job["state"], job["phase"], job["reference"]) == ("queued", "queued", "LEGAL-9")
    assert job["progress"] == {"bytes_read": 0, "bytes_total": len(LOG), "rows_read": 0,
                               "percent": 0}
    assert job["assessment"] is None


def test_a_done_job_points_at_the_same_assessment_a_request_answers(app, client):
    location = post(client, headers=ASYNC).headers["Location"]
    assert [o.state for o in run_jobs(app)] == ["done"]
    job = client.get(location)
    assert job.status_code == 200 and "Retry-After" not in job.headers
    done = job.get_json()
    assert (done["state"], done["phase"], done["attempts"]) == ("done", "ended", 1)
    assert done["progress"]["percent"] == 100 and done["progress"]["rows_read"] == 2
    assessment = client.get(done["assessment"]).get_json()
    answered = post(client).get_json()
    assert without_record_fields(assessment) == without_record_fields(answered)
    assert assessment["headline"]["amount"] == "18000.00"


def _orc(csv: bytes) -> bytes:
    import pyarrow.csv as pacsv
    import pyarrow.orc as orc

    sink = io.BytesIO()
    orc.write_table(pacsv.read_csv(io.BytesIO(csv)), sink)
    return sink.getvalue()


@pytest.mark.parametrize("body", [_orc(LOG), LOG.replace(b",", b"\t"),
                                  LOG.replace(b",", b";")], ids=["orc", "tsv", "semicolons"])
def test_a_log_in_another_form_as_a_job_is_assessed_as_its_request_is(app, client, body):
    location = post(client, body=body, headers=ASYNC,
                    content_type="application/octet-stream").headers["Location"]
    assert [o.state for o in run_jobs(app)] == ["done"]
    assessment = client.get(client.get(location).get_json()["assessment"]).get_json()
    answered = post(client, body=body, content_type="application/octet-stream").get_json()
    assert without_record_fields(assessment) == without_record_fields(answered)
    assert assessment["headline"]["amount"] == "18000.00"


def test_a_body_over_the_async_size_becomes_a_job_without_asking(make_app):
    app = make_app(ASYNC_ABOVE=len(LOG) - 1)
    client = app.test_client()
    assert post(client).status_code == 202
    assert "Preference-Applied" not in post(client).headers
    small = make_app(ASYNC_ABOVE=len(LOG))
    assert post(small.test_client()).status_code == 201
    over_the_request_limit = make_app(MAX_CONTENT_LENGTH=len(LOG) - 1)
    assert post(over_the_request_limit.test_client()).status_code == 202
    never_by_size = make_app(ASYNC_ABOVE=None, MAX_CONTENT_LENGTH=len(LOG) - 1)
    assert post(never_by_size.test_client()).status_code == 413
    assert post(never_by_size.test_client(), headers=ASYNC).status_code == 202


def test_a_multipart_upload_becomes_a_job_with_its_options(app, client):
    form = {"log": (io.BytesIO(LOG), "crawl.csv"), "region": "eu-efta-uk"}
    response = client.post("/v1/assessments", data=form, headers=ASYNC,
                           content_type="multipart/form-data")
    assert response.status_code == 202
    run_jobs(app)
    done = client.get(response.headers["Location"]).get_json()
    assessment = client.get(done["assessment"]).get_json()
    assert assessment["region"] == "eu-efta-uk"
    assert assessment["currency"] == "EUR"


def test_the_upload_is_deleted_once_the_job_is_done(app, client):
    post(client, body=gzip.compress(LOG), headers=ASYNC, content_type="application/gzip")
    assert len(list(uploads_folder(app).iterdir())) == 1
    assert [o.state for o in run_jobs(app)] == ["done"]
    assert list(uploads_folder(app).iterdir()) == []


def test_an_unreadable_row_fails_the_job_with_the_problem_a_request_answers(app, client):
    bad = LOG + b"yesterday,5\n"
    location = post(client, body=bad, headers=ASYNC).headers["Location"]
    assert [o.state for o in run_jobs(app)] == ["failed"]
    failed = client.get(location).get_json()
    assert failed["state"] == "failed" and failed["assessment"] is None
    answered = post(client, body=bad)
    assert answered.status_code == 422
    assert failed["problem"] == {**answered.get_json(), "instance": location}
    assert list(uploads_folder(app).iterdir()) == []


def test_bad_options_are_answered_at_once_and_nothing_is_kept(app, client):
    response = post(client, headers=ASYNC, query="?platform=nowhere")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "platform"
    response = post(client, headers=ASYNC, query="?tz=Mars/Olympus")
    assert response.status_code == 422
    assert not uploads_folder(app).exists() or list(uploads_folder(app).iterdir()) == []


def test_delete_cancels_a_queued_job_and_deletes_its_upload(app, client):
    location = post(client, headers=ASYNC).headers["Location"]
    cancelled = client.delete(location)
    assert cancelled.status_code == 200
    assert cancelled.get_json()["state"] == "cancelled"
    assert list(uploads_folder(app).iterdir()) == []
    assert run_jobs(app) == []
    again = client.delete(location)
    assert again.status_code == 409
    assert "has ended (cancelled)" in again.get_json()["detail"]


def test_a_done_job_cannot_be_cancelled_its_assessment_is_deleted_instead(app, client):
    location = post(client, headers=ASYNC).headers["Location"]
    run_jobs(app)
    refused = client.delete(location)
    assert refused.status_code == 409
    assert "delete its assessment" in refused.get_json()["detail"]


def test_a_job_is_seen_only_with_the_key_it_was_made_with(app, client):
    store = app.extensions["calculator.store"]
    alice, bob = store.keys.create("alice")[1], store.keys.create("bob")[1]
    location = post(client, headers={**ASYNC, "Authorization": f"Bearer {alice}"}).headers[
        "Location"]
    assert client.get(location, headers={"Authorization": f"Bearer {bob}"}).status_code == 404
    assert client.get(location).status_code == 401
    mine = client.get(location, headers={"Authorization": f"Bearer {alice}"})
    assert mine.status_code == 200


def test_an_unknown_job_is_404_problem_details(client):
    response = client.get("/v1/jobs/" + "f" * 32)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_retry_with_the_same_idempotency_key_finds_the_job_then_its_assessment(app, client):
    headers = {**ASYNC, "Idempotency-Key": "upload-7"}
    first = post(client, headers=headers)
    retry = post(client, headers=headers)
    assert retry.status_code == 202
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(list(uploads_folder(app).iterdir())) == 1  # the retry's copy is not kept
    run_jobs(app)
    done = client.get(first.headers["Location"]).get_json()
    after = post(client, headers=headers)
    assert after.status_code == 201
    assert after.headers["Location"] == done["assessment"]
    other = post(client, body=LOG + b"2025-03-03T00:00:00Z,1\n", headers=headers)
    assert other.status_code == 409


def test_a_retry_in_the_request_of_a_job_finds_the_job_not_a_second_assessment(app, client):
    """One Idempotency-Key, first for a job, then for the same request answered at once:
    the retry assessed the log again and stored a second assessment under the key."""
    first = post(client, headers={**ASYNC, "Idempotency-Key": "upload-8"})
    retry = post(client, headers={"Idempotency-Key": "upload-8"})
    assert retry.status_code == 202
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    other = post(client, body=LOG + b"2025-03-03T00:00:00Z,1\n",
                 headers={"Idempotency-Key": "upload-8"})
    assert other.status_code == 409
    run_jobs(app)
    done = client.get(first.headers["Location"]).get_json()
    after = post(client, headers={"Idempotency-Key": "upload-8"})
    assert after.status_code == 201
    assert after.headers["Location"] == done["assessment"]
    assert client.get("/v1/assessments").get_json()["total"] == 1


def test_a_body_over_the_job_limit_is_413_naming_the_limit(make_app):
    client = make_app(JOB_MAX_CONTENT_LENGTH=len(LOG) - 1).test_client()
    response = post(client, headers=ASYNC)
    assert response.status_code == 413
    assert f"{len(LOG) - 1:,} bytes" in response.get_json()["detail"]
    assert "for a job" in response.get_json()["detail"] or "a job takes" in \
        response.get_json()["detail"]


def test_a_request_over_the_limit_is_told_to_send_it_as_a_job(make_app):
    packed = gzip.compress(LOG * 2000)
    client = make_app(MAX_DECOMPRESSED_LENGTH=len(LOG) * 10).test_client()
    response = post(client, body=packed, content_type="application/gzip")
    assert response.status_code == 413
    detail = response.get_json()["detail"]
    assert "Prefer: respond-async" in detail and "/v1/jobs/{id}" in detail


def test_the_jobs_endpoints_are_documented(client):
    spec = client.get("/openapi.json").get_json()
    assert set(spec["paths"]["/v1/jobs/{job_id}"]) >= {"get", "delete"}
    assert "202" in spec["paths"]["/v1/assessments"]["post"]["responses"]


def test_the_abandoned_jobs_problem_type_is_documented(client):
    response = client.get("/problems/job-abandoned")
    assert response.status_code == 200
    assert "Split the log" in response.get_json()["description"]


@pytest.mark.parametrize("retry_headers", [ASYNC, {}])
def test_once_a_jobs_assessment_is_deleted_its_key_makes_a_new_one_as_in_the_request(
        app, client, retry_headers):
    """A key whose job's assessment was deleted answered a retry with that assessment's
    404, where a key whose assessment was made in the request is free again."""
    first = post(client, headers={**ASYNC, "Idempotency-Key": "upload-9"})
    run_jobs(app)
    made = client.get(first.headers["Location"]).get_json()["assessment"]
    assert client.delete(made).status_code == 204
    again = post(client, headers={**retry_headers, "Idempotency-Key": "upload-9"})
    assert again.status_code in (201, 202), again.get_data()
    assert "Idempotent-Replayed" not in again.headers
    run_jobs(app)
    assert client.get("/v1/assessments").get_json()["total"] == 1


def test_an_idempotency_key_header_sent_twice_is_refused_not_joined_into_a_third_key(client):
    """Two headers reached the app as "dupA,dupB": stored under that, neither key alone
    replayed it."""
    response = client.post("/v1/assessments", data=LOG, content_type="text/csv",
                           headers=[("Idempotency-Key", "dupA"), ("Idempotency-Key", "dupB")])
    assert response.status_code == 422
    assert response.get_json()["detail"].startswith("Idempotency-Key: given more than once")
    assert client.get("/v1/assessments").get_json()["total"] == 0
