"""A body sent without its length (chunked) is measured as it arrives: within the size for an
answer in the request it is assessed there (201); past it, it becomes a job without asking
(202), the rest kept as it arrives; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.api.test_jobs_api import (
    ASYNC,
    LOG,
    post,
    run_jobs,
    uploads_folder,
    without_record_fields,
)

BIG = LOG + b"".join(b"2025-03-02T%02d:00:00Z,1\n" % hour for hour in range(7, 24))


def post_unsized(client, body: bytes, query: str = "", headers=None,
                 content_type: str = "text/csv"):
    """A body sent without its length, as a WSGI server hands a chunked upload to the app
    (the chunks decoded, the stream ended by the server)."""
    return client.post(f"/v1/assessments{query}", data=body, content_type=content_type,
                       headers={"Transfer-Encoding": "chunked", **(headers or {})},
                       environ_overrides={"wsgi.input_terminated": True})


@pytest.fixture
def small_requests(make_app):
    """An app whose requests answer logs of up to 100 bytes (BIG is over, LOG under)."""
    return make_app(ASYNC_ABOVE=100)


def test_a_body_of_unknown_length_within_the_size_is_answered_in_the_request(small_requests):
    client = small_requests.test_client()
    response = post_unsized(client, LOG)
    assert response.status_code == 201
    assert response.get_json()["input"]["rows"] == 2
    said = post(client, LOG).get_json()
    assert without_record_fields(response.get_json()) == without_record_fields(said)
    assert run_jobs(small_requests) == []


def test_a_body_of_unknown_length_past_the_size_becomes_a_job_without_asking(small_requests):
    client = small_requests.test_client()
    response = post_unsized(client, BIG, query="?reference=T-9")
    assert response.status_code == 202
    assert "Preference-Applied" not in response.headers
    job = response.get_json()
    assert job["progress"]["bytes_total"] == len(BIG)
    assert response.headers["Location"] == f"/v1/jobs/{job['id']}"
    kept = list(uploads_folder(small_requests).iterdir())
    assert [path.read_bytes() for path in kept] == [BIG]  # every byte, in order
    assert [o.state for o in run_jobs(small_requests)] == ["done"]
    done = client.get(response.headers["Location"]).get_json()
    from_job = client.get(done["assessment"]).get_json()
    in_request = make_app_client_with_no_jobs(small_requests)
    answered = post(in_request, BIG, query="?reference=T-9").get_json()
    assert without_record_fields(from_job) == without_record_fields(answered)
    assert from_job["input"]["sha256"] == answered["input"]["sha256"]
    assert list(uploads_folder(small_requests).iterdir()) == []


def make_app_client_with_no_jobs(app):
    app.config["ASYNC_ABOVE"] = None
    return app.test_client()


def test_a_body_of_exactly_the_size_is_answered_in_the_request_one_byte_more_is_a_job(
        make_app):
    assert post_unsized(make_app(ASYNC_ABOVE=len(LOG)).test_client(), LOG).status_code == 201
    assert post_unsized(make_app(ASYNC_ABOVE=len(LOG) - 1).test_client(),
                        LOG).status_code == 202


def test_a_body_of_unknown_length_over_the_job_limit_is_413_and_nothing_is_kept(make_app):
    app = make_app(ASYNC_ABOVE=100, JOB_MAX_CONTENT_LENGTH=len(BIG) - 1)
    response = post_unsized(app.test_client(), BIG)
    assert response.status_code == 413
    assert f"{len(BIG) - 1:,} bytes" in response.get_json()["detail"]
    folder = uploads_folder(app)
    assert not folder.exists() or list(folder.iterdir()) == []
    assert run_jobs(app) == []


def test_a_multipart_upload_of_unknown_length_past_the_size_becomes_a_job(make_app):
    app = make_app(ASYNC_ABOVE=100)
    client = app.test_client()
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"region\"\r\n\r\n"
            f"eu-efta-uk\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"log\"; "
            f"filename=\"crawl.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() + BIG + \
        f"\r\n--{boundary}--\r\n".encode()
    response = post_unsized(client, body,
                            content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 202, response.get_json()
    assert [o.state for o in run_jobs(app)] == ["done"]
    done = client.get(response.headers["Location"]).get_json()
    assessment = client.get(done["assessment"]).get_json()
    assert (assessment["region"], assessment["input"]["rows"]) == ("eu-efta-uk", 19)


def test_a_retry_of_unknown_length_with_the_same_key_finds_the_same_job(small_requests):
    client = small_requests.test_client()
    headers = {"Idempotency-Key": "chunked-1"}
    first = post_unsized(client, BIG, headers=headers)
    retry = post_unsized(client, BIG, headers=headers)
    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(list(uploads_folder(small_requests).iterdir())) == 1


def test_without_a_size_for_jobs_a_body_of_unknown_length_stays_in_the_request(make_app):
    client = make_app(ASYNC_ABOVE=None, MAX_CONTENT_LENGTH=len(BIG) - 1).test_client()
    assert post_unsized(client, LOG).status_code == 201
    over = post_unsized(client, BIG)
    assert over.status_code == 413
    assert "Prefer: respond-async" in over.get_json()["detail"]
    assert post_unsized(client, BIG, headers=ASYNC).status_code == 202
