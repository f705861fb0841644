"""Requests a stranger sends on purpose: each gets a 4xx problem that says what to do."""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import re
import stat

import pytest

from calculator.api.paging import MAX_PAGE
from calculator.api.reviews.routes import EXAMPLE
from calculator.app import create_app
from calculator.storage import Store

PROBLEM = "application/problem+json"
LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n"


@pytest.mark.parametrize("path", ["/v1/assessments", "/v1/reviews"])
@pytest.mark.parametrize("page", [MAX_PAGE + 1, 10**20, 2**63])
def test_a_page_beyond_the_documented_maximum_is_a_validation_problem(client, path, page):
    response = client.get(f"{path}?page={page}")
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert f"{MAX_PAGE}" in json.dumps(response.get_json()).replace(",", "")


def test_the_last_allowed_page_is_an_empty_page(client):
    response = client.get(f"/v1/assessments?page={MAX_PAGE}&page_size=100")
    assert response.status_code == 200
    assert response.get_json()["items"] == []


def test_a_review_body_over_one_mebibyte_is_refused_before_it_is_parsed(client):
    body = b"[" + b"{}," * (400 * 1024) + b"{}]"
    assert len(body) > 1024 * 1024
    response = client.post("/v1/reviews", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.mimetype == PROBLEM
    assert "1,048,576 bytes" in response.get_json()["detail"]
    assert "profile" in response.get_json()["detail"]


def test_a_review_limit_of_one_mebibyte_leaves_assessments_at_their_own_limit(client):
    padding = b"\n" * (2 * 1024 * 1024)
    response = client.post("/v1/assessments", data=LOG + padding, content_type="text/csv")
    assert response.status_code == 201


def test_an_assessment_over_the_body_limit_says_the_limit_and_to_split_the_log(tmp_path):
    # Jobs by size off (ASYNC_ABOVE None): a body over the limit could otherwise be a job.
    app = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 1000, "ASYNC_ABOVE": None,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    try:
        response = app.test_client().post("/v1/assessments", data=LOG * 100,
                                          content_type="text/csv")
    finally:
        app.extensions["calculator.store"].dispose()
    assert response.status_code == 413
    assert response.mimetype == PROBLEM
    detail = response.get_json()["detail"]
    assert "limit of 1,000 bytes" in detail and "split the log" in detail
    assert "Prefer: respond-async" in detail and "/v1/jobs/{id}" in detail


def test_a_gzip_encoded_review_is_an_unsupported_media_type(client):
    import gzip

    response = client.post("/v1/reviews", data=gzip.compress(json.dumps(EXAMPLE).encode()),
                           content_type="application/json",
                           headers={"Content-Encoding": "gzip"})
    assert response.status_code == 415
    assert response.mimetype == PROBLEM
    assert "Content-Encoding gzip" in response.get_json()["detail"]


def test_multipart_without_a_boundary_is_a_bad_request(client):
    response = client.post("/v1/assessments", data=LOG, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.mimetype == PROBLEM
    assert "boundary" in response.get_json()["detail"]


def test_a_method_the_path_does_not_take_is_405_with_allow(client):
    response = client.put("/v1/assessments")
    assert response.status_code == 405
    assert response.mimetype == PROBLEM
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_an_api_key_sent_as_http_basic_is_refused_with_advice_to_use_bearer(app, client):
    store: Store = app.extensions["calculator.store"]
    _info, key = store.keys.create("owner")
    basic = base64.b64encode(f"{key}:".encode()).decode()
    for path in ("/v1/assessments", "/v1/clauses/x.terms-of-service.liquidated-damages"):
        response = client.get(path, headers={"Authorization": f"Basic {basic}"})
        assert response.status_code == 401
        assert response.mimetype == PROBLEM
        assert "Bearer" in response.get_json()["detail"]
        assert key not in response.get_data(as_text=True)


def test_http_basic_is_refused_even_before_any_key_exists(client):
    response = client.get("/v1/assessments", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_instance_folder_and_sqlite_file_are_readable_by_the_owner_only(tmp_path):
    instance = tmp_path / "instance"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance)})
    try:
        app.test_client().post("/v1/assessments", data=LOG, content_type="text/csv")
    finally:
        app.extensions["calculator.store"].dispose()
    assert stat.S_IMODE(os.stat(instance).st_mode) == 0o700
    files = list(instance.iterdir())
    assert any(f.name == "calculator.sqlite3" for f in files)
    for file in files:
        assert stat.S_IMODE(os.stat(file).st_mode) == 0o600, file.name


def test_a_multipart_form_field_over_the_form_limit_says_to_send_the_log_as_the_file(tmp_path):
    # A small form limit keeps the body small, so that Werkzeug parses it in memory.
    app = create_app({"TESTING": True, "MAX_FORM_MEMORY_SIZE": 1000,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'f.sqlite3'}"})
    try:
        response = app.test_client().post(
            "/v1/assessments", content_type="multipart/form-data",
            data={"log": (io.BytesIO(LOG), "log.csv"), "reference": "r" * 2000})
    finally:
        app.extensions["calculator.store"].dispose()
    assert response.status_code == 413
    assert response.mimetype == PROBLEM
    detail = response.get_json()["detail"]
    assert "form field" in detail and "1,000 bytes" in detail and "`log`" in detail
    assert "rrrr" not in response.get_data(as_text=True)


def _routes_with_ids(app) -> list[tuple[str, str]]:
    """Every route that takes a value in its path, with each method it answers."""
    return [(method, rule.rule) for rule in app.url_map.iter_rules() if rule.arguments
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def test_an_id_made_up_of_thousands_of_characters_is_never_sent_back_whole(client, app):
    # A 404 once repeated a 5,000-character job id in its detail and its instance. Each
    # answer may show the start of what was sent, never all of it.
    made_up = "q" * 5000
    routes = _routes_with_ids(app)
    assert len(routes) > 30  # records, jobs, rules, budgets, subscriptions, pages, assets
    for method, rule in routes:
        path = "".join(made_up if part.startswith("<") else part
                       for part in re.split(r"(<[^>]+>)", rule))
        response = client.open(path, method=method,
                               json={} if method in {"POST", "PUT", "PATCH"} else None)
        assert 400 <= response.status_code < 500, (method, rule)
        assert "q" * 100 not in response.get_data(as_text=True), (method, rule)


def test_a_problem_names_the_path_it_answers_when_the_path_is_one_of_the_services(client):
    response = client.get("/v1/jobs/0123456789abcdef")
    assert response.status_code == 404
    assert response.get_json()["instance"] == "/v1/jobs/0123456789abcdef"
    assert "0123456789abcdef" in response.get_json()["detail"]


@pytest.mark.parametrize("method, path, name", [
    ("POST", "/v1/assessments?region=eu-efta-uk&region=rest-of-world", "region"),
    ("GET", "/v1/clauses/x.terms-of-service.liquidated-damages?at=2025-01-01&at=2020-01-01",
     "at"),
    ("GET", "/v1/assessments?page=1&page=2", "page"),
    ("GET", "/v1/documents/x.terms-of-service/changes?from=2024-01-01&from=2025-01-01"
     "&to=2026-01-01", "from"),
])
def test_a_parameter_given_twice_is_refused_by_name_not_read_as_its_first(client, method,
                                                                           path, name):
    # The first value was read and the second dropped: the EU part was priced for a caller
    # who also named the rest of the world (decision 0159).
    response = client.open(path, method=method, data=LOG, content_type="text/csv")
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert response.get_json()["errors"] == [
        {"location": "query", "field": name, "message": "given 2 times; give it once"}]


def test_a_parameter_that_takes_a_list_may_be_given_more_than_once(client):
    assert client.get("/v1/jobs?state=queued&state=running").status_code == 200


def test_a_form_option_given_twice_with_the_upload_is_refused_by_name(client):
    response = client.post("/v1/assessments", content_type="multipart/form-data", data={
        "log": (io.BytesIO(LOG), "crawl.csv"), "region": ["eu-efta-uk", "rest-of-world"],
        "tz": ["UTC", "Europe/Berlin", "America/Chicago"]})
    assert response.status_code == 422
    assert response.get_json()["detail"] == "region: given 2 times; give it once"
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [
        ("region", "given 2 times; give it once"), ("tz", "given 3 times; give it once")]


def test_a_value_of_thousands_of_characters_in_any_query_parameter_is_never_sent_back(client):
    # Every query parameter the OpenAPI document names, on every operation: a headline,
    # format or feed filter of 5,000 characters once came back whole.
    made_up = "q" * 5000
    spec = client.get("/openapi.json").get_json()
    ids = {"document_id": "x.terms-of-service", "platform_id": "x",
           "clause_id": "x.terms-of-service.liquidated-damages"}
    asked = 0
    for path, operations in spec["paths"].items():
        url = re.sub(r"\{([^}]+)\}", lambda m: ids.get(m.group(1), "abc"), path)
        for method, operation in operations.items():
            if method not in {"get", "put", "post", "delete", "patch"}:
                continue  # the path's own parameters
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query":
                    continue
                response = client.open(f"{url}?{parameter['name']}={made_up}",
                                       method=method.upper(), data=LOG,
                                       content_type="text/csv")
                asked += 1
                assert "q" * 100 not in response.get_data(as_text=True), \
                    (method, path, parameter["name"])
    assert asked > 40


def test_a_change_feed_filtered_by_a_platform_the_rules_do_not_hold_is_not_found(client):
    # An empty feed would read as a quiet one for as long as the typo lasts.
    for path in ("/v1/changes?platform=twiter", "/feeds/changes.atom?platform=twiter"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "no platform 'twiter' in the rules; the platforms are" in \
            response.get_json()["detail"]
    assert client.get("/v1/changes?platform=x").status_code == 200
    assert client.get("/v1/changes?document=x.terms-of-servce").status_code == 404
    assert client.get("/v1/changes?clause=x.terms-of-service.damages").status_code == 404


def multipart(*parts: tuple[str, bytes]) -> bytes:
    """A multipart body of ``(Content-Disposition's parameters, content)`` parts."""
    return b"".join(b"--b\r\nContent-Disposition: form-data; " + disposition.encode()
                    + b"\r\n\r\n" + content + b"\r\n" for disposition, content in parts) \
        + b"--b--\r\n"


@pytest.mark.parametrize("nameless", ['filename="a.csv"', ""])
def test_a_multipart_part_without_a_field_name_is_refused_as_such(client, nameless):
    """A file part without a name beside the log was a 500 (its name None in a message);
    a text part without one was "None: unknown key"."""
    body = multipart((nameless, b"x"), ('name="log"; filename="log.csv"', LOG))
    for path in ("/v1/assessments", "/v1/curves"):
        response = client.post(path, data=body, content_type="multipart/form-data; boundary=b")
        assert response.status_code == 422, response.get_data()
        assert response.get_json()["detail"].startswith(
            "a part of the multipart body has no field name")


def test_an_uploads_file_name_is_never_echoed_in_a_problem(client):
    """A refusal in the request named the upload by its file name (a customer's name, a
    URL); the same upload sent as a job was "the upload"."""
    nested = LOG
    for _ in range(5):
        nested = gzip.compress(nested)
    name = "customer-acme https://x.com/secretuser/status/123.csv.gz"
    response = client.post("/v1/assessments", content_type="multipart/form-data",
                           data={"log": (io.BytesIO(nested), name)})
    assert response.status_code == 422
    assert response.get_json()["detail"].startswith("the upload: gzip inside gzip")
    assert "secretuser" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/v1/changes?platfrom=x", "/v1/observations?docment=x",
                                  "/v1/jobs?stat=failed", "/v1/assessments?pge=2",
                                  "/v1/clauses/x.terms-of-service.liquidated-damages"
                                  "?at=2025-01-01&regoin=US"])
def test_a_query_parameter_an_operation_does_not_take_is_refused_by_name(client, path):
    """A filter spelt wrong was dropped without a word: the whole feed came back with a
    200, unfiltered."""
    response = client.get(path)
    assert response.status_code == 422
    typo = path.rsplit("&", 1)[-1].rsplit("?", 1)[-1].split("=")[0]
    assert response.get_json()["detail"] == (
        f"{typo}: unknown key (a typo, or a field not taken here)")
