"""POST /v1/curves: the trailing 24-hour count of a log, read like POST /v1/assessments."""

from __future__ import annotations

import gzip
import hashlib
import io

import pytest

LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"


@pytest.mark.parametrize("body, content_type, headers", [
    (LOG, "text/csv", {}),
    (gzip.compress(LOG, mtime=0), "text/csv", {"Content-Encoding": "gzip"}),
])
def test_the_curve_of_a_log_with_its_threshold_and_peak(client, body, content_type, headers):
    response = client.post("/v1/curves", data=body, content_type=content_type, headers=headers)
    assert response.status_code == 200, response.get_json()
    document = response.get_json()
    assert document["clause"] == "x.terms-of-service.liquidated-damages"
    assert document["input"]["sha256"] == hashlib.sha256(body).hexdigest()
    curve = document["curve"]
    assert curve["window_seconds"] == 86400
    assert curve["points"] == [
        {"at": "2025-03-01T18:00:00Z", "posts": 600000},
        {"at": "2025-03-02T06:00:00Z", "posts": 1200000},
        {"at": "2025-03-02T18:00:00Z", "posts": 600000},
        {"at": "2025-03-03T06:00:00Z", "posts": 0}]
    assert curve["sampled"] is False and curve["changes"] == 4
    assert [t["posts"] for t in curve["thresholds"]] == [1_000_000, 1_000_000]
    assert curve["above_threshold"] == {"first": "2025-03-02T06:00:00Z",
                                        "until": "2025-03-02T18:00:00Z", "seconds": 43200.0,
                                        "stretches": 1}


def test_its_peak_is_the_assessments_peak(client):
    assessed = client.post("/v1/assessments", data=LOG, content_type="text/csv").get_json()
    curve = client.post("/v1/curves", data=LOG, content_type="text/csv").get_json()["curve"]
    assert curve["peak_24h"] == assessed["peak_24h"]
    assert max(p["posts"] for p in curve["points"]) == assessed["peak_24h"]["posts"]


def test_a_multipart_upload_takes_the_assess_forms_fields(client):
    response = client.post("/v1/curves", content_type="multipart/form-data", data={
        "log": (io.BytesIO(LOG), "crawl.csv"), "region": "eu-efta-uk", "tz": "Europe/Dublin",
        "headline": "calendar_day/pro_rata/all_posts", "reference": "LEGAL-1", "points": "10"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["region"] == "eu-efta-uk"


@pytest.mark.parametrize("points", ["9", "5001", "many"])
def test_points_out_of_bounds_is_422_naming_it(client, points):
    response = client.post(f"/v1/curves?points={points}", data=LOG, content_type="text/csv")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert any(e["field"] == "points" for e in response.get_json()["errors"])


def test_a_bad_row_is_the_same_problem_as_for_an_assessment(client):
    bad = b"timestamp,posts\n2025-03-01T18:00Z,x\n"
    curve = client.post("/v1/curves", data=bad, content_type="text/csv")
    assessment = client.post("/v1/assessments", data=bad, content_type="text/csv")
    assert curve.status_code == assessment.status_code == 422
    assert curve.get_json()["errors"] == assessment.get_json()["errors"]


def test_once_a_key_exists_the_curve_needs_one_like_an_assessment(app, client):
    key = app.extensions["calculator.store"].keys.create("reviewer")[1]
    assert client.post("/v1/curves", data=LOG, content_type="text/csv").status_code == 401
    response = client.post("/v1/curves", data=LOG, content_type="text/csv",
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200


def test_the_openapi_document_describes_the_curve(client):
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/v1/curves"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert any(p["name"] == "points" for p in operation["parameters"])
    assert {"200", "401", "413", "415", "422"} <= set(operation["responses"])
    curve = spec["components"]["schemas"]["Curve"]["properties"]
    assert {"points", "peak_24h", "thresholds", "above_threshold", "sampled"} <= set(curve)


def test_a_gzip_bomb_sent_for_a_curve_is_stopped_while_reading(client, app):
    import gzip
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    bomb = gzip.compress(b"timestamp\n" + b"2025-03-01T00:00:00Z\n" * 50_000)
    assert len(bomb) < 100_000
    response = client.post("/v1/curves", data=bomb, content_type="text/csv")
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
