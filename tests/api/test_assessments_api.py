"""POST /v1/assessments: every way of sending a log, and problem details for bad ones."""

from __future__ import annotations

import gzip
import io
import json

import pytest

LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"
ROWS = [{"timestamp": "2025-03-01T18:00:00Z", "posts": 600000},
        {"timestamp": "2025-03-02T06:00:00Z", "posts": 600000}]


@pytest.mark.parametrize("body, content_type, headers", [
    (LOG, "text/csv", {}),
    (gzip.compress(LOG, mtime=0), "text/csv", {"Content-Encoding": "gzip"}),
    (gzip.compress(LOG, mtime=0), "application/gzip", {}),
    ("".join(json.dumps(r) + "\n" for r in ROWS).encode(), "application/x-ndjson", {}),
    (json.dumps(ROWS).encode(), "application/json", {}),
])
def test_a_log_sent_as_any_supported_body_is_assessed_the_same(client, body, content_type,
                                                                headers):
    response = client.post("/v1/assessments", data=body, content_type=content_type,
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    document = response.get_json()
    assert document["headline"]["amount"] == "18000.00"
    assert document["counted"] == {"posts": 1_200_000, "accesses": 2}
    assert len(document["readings"]) == 18


def test_a_multipart_upload_with_options_as_form_fields(client):
    response = client.post("/v1/assessments", content_type="multipart/form-data", data={
        "log": (io.BytesIO(LOG), "crawl.csv"), "region": "eu-efta-uk",
        "headline": "calendar_day/pro_rata/all_posts"})
    document = response.get_json()
    assert response.status_code == 201
    assert document["currency"] == "EUR"
    assert document["headline"] == {"window": "calendar_day", "rate": "pro_rata",
                                    "basis": "all_posts", "amount": "0.00"}


def test_the_document_carries_what_makes_it_reproducible(client, ruleset):
    import hashlib
    document = client.post("/v1/assessments", data=LOG, content_type="text/csv").get_json()
    assert document["ruleset_revision"] == ruleset.revision
    assert document["input"]["sha256"] == hashlib.sha256(LOG).hexdigest()
    assert document["engine_version"]
    assert [v["version"] for v in document["clause"]["versions"]] == ["2024-11-15", "2026-01-15"]
    assert document["peak_24h"] == {"posts": 1_200_000, "start": "2025-03-01T18:00:00Z",
                                    "end": "2025-03-02T18:00:00Z"}


def test_a_bad_row_is_422_problem_details_with_row_and_field(client):
    response = client.post("/v1/assessments", data=b"timestamp,posts\n2025-03-01T18:00Z,x\n",
                           content_type="text/csv")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.get_json()["errors"] == [
        {"message": "is not a whole number of posts from 0 to 1,000,000,000,000",
         "field": "posts", "row": 1}]
    assert "'x'" not in response.get_data(as_text=True)  # a log's content is never echoed


def test_a_multipart_body_without_the_log_field_is_422(client):
    response = client.post("/v1/assessments", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(LOG), "crawl.csv")})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "log"


def test_an_unsupported_encoding_or_type_is_415(client):
    assert client.post("/v1/assessments", data=LOG, content_type="text/csv",
                       headers={"Content-Encoding": "br"}).status_code == 415
    assert client.post("/v1/assessments", data=LOG, content_type="image/png").status_code == 415


def test_a_bad_option_is_422_naming_it(client):
    response = client.post("/v1/assessments?assume_tz=Moon/Base", data=LOG,
                           content_type="text/csv")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "assume_tz"


def test_the_assessment_endpoint_is_documented_with_its_bodies(client):
    spec = client.get("/openapi.json").get_json()
    post = spec["paths"]["/v1/assessments"]["post"]
    assert {"text/csv", "application/x-ndjson", "application/json",
            "multipart/form-data"} <= set(post["requestBody"]["content"])
    assert "application/problem+json" in post["responses"]["422"]["content"]
