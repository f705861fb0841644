"""The OpenAPI document says what the service does: what a client generated from it sends is
what the service takes."""

from __future__ import annotations

import gzip

import pytest

from calculator.api.assessments.schemas import CreateAssessmentQuerySchema
from calculator.api.paging import MAX_PAGE


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").get_json()


def parameters(spec, path, method):
    return {p["name"]: p for p in spec["paths"][path][method].get("parameters", [])}


@pytest.mark.parametrize(("path", "method", "names"), [
    ("/v1/clauses/{clause_id}", "get", ["at"]),
    ("/v1/documents/{document_id}/changes", "get", ["from", "to"]),
    ("/v1/assessments", "get", ["created_from", "created_to"]),
    ("/v1/assessments", "post", ["collected_from", "collected_to"]),
])
def test_instants_are_date_times_whose_accepted_forms_are_described(spec, path, method, names):
    for name in names:
        parameter = parameters(spec, path, method)[name]
        assert parameter["schema"]["format"] == "date-time"
        assert "date alone" in parameter["description"]
        assert "without an offset is refused" in parameter["description"]


def test_an_instant_in_a_documented_form_is_taken(client):
    for at in ("2025-01-01T00:00:00Z", "2025-01-01T01:00:00.250+01:00", "2025-01-01"):
        response = client.get(f"/v1/clauses/x.terms-of-service.liquidated-damages?at={at}"
                              .replace("+", "%2B"))
        assert response.status_code == 200, at


@pytest.mark.parametrize("path", ["/v1/assessments", "/v1/reviews"])
def test_the_page_parameter_states_its_maximum(spec, path):
    assert parameters(spec, path, "get")["page"]["schema"]["maximum"] == MAX_PAGE


def test_a_raw_log_body_documents_every_option_as_a_query_parameter(spec):
    documented = parameters(spec, "/v1/assessments", "post")
    assert set(CreateAssessmentQuerySchema().fields) <= set(documented)
    assert documented["Idempotency-Key"]["in"] == "header"
    multipart = spec["paths"]["/v1/assessments"]["post"]["requestBody"]["content"][
        "multipart/form-data"]["schema"]["properties"]
    assert set(CreateAssessmentQuerySchema().fields) <= set(multipart)


def test_the_reference_is_optional_wherever_the_service_takes_it(spec):
    for path, method in (("/v1/assessments", "post"), ("/v1/assessments", "get"),
                         ("/v1/reviews", "get")):
        assert parameters(spec, path, method)["reference"].get("required", False) is False
    profile = spec["components"]["schemas"]["Profile"]
    assert "reference" not in profile.get("required", [])


def test_every_list_documents_the_problems_it_answers(spec):
    for path in ("/v1/assessments", "/v1/reviews"):
        assert {"401", "422"} <= set(spec["paths"][path]["get"]["responses"])
    assert "413" in spec["paths"]["/v1/reviews"]["post"]["responses"]
    assert "400" in spec["paths"]["/v1/assessments"]["post"]["responses"]


def documented(spec, path, method) -> set[str]:
    return set(spec["paths"][path][method]["responses"])


@pytest.mark.parametrize(("path", "method", "route"), [
    ("/v1/budgets/b1", "put", ("/v1/budgets/{name}", "put")),
    ("/v1/budgets/b1/usage", "post", ("/v1/budgets/{name}/usage", "post")),
    ("/v1/subscriptions", "post", ("/v1/subscriptions", "post")),
])
def test_a_json_body_of_another_type_or_encoding_is_a_documented_415(client, spec, path,
                                                                    method, route):
    """A budget sent as text/plain was read as no body ("platform: missing"), and a gzipped
    one as text that is not UTF-8; both are now 415, which the document lists with 413."""
    send = getattr(client, method)
    as_text = send(path, data='{"platform": "x", "posts": 1}', content_type="text/plain")
    assert as_text.status_code == 415
    assert as_text.get_json()["detail"] == "text/plain is not read here; send application/json"
    zipped = send(path, data=gzip.compress(b'{"platform": "x", "posts": 1}'),
                  content_type="application/json", headers={"Content-Encoding": "gzip"})
    assert zipped.status_code == 415
    assert "Content-Encoding gzip is not read here" in zipped.get_json()["detail"]
    assert {"413", "415"} <= documented(spec, *route)


def test_a_subscriptions_401_is_documented_wherever_it_is_answered(app, spec):
    app.extensions["calculator.store"].keys.create("mine")
    client = app.test_client()
    for path, method in (("/v1/subscriptions/{subscription_id}", "get"),
                         ("/v1/subscriptions/{subscription_id}", "delete"),
                         ("/v1/subscriptions/{subscription_id}/deliveries", "get")):
        url = path.replace("{subscription_id}", "0123abcd")
        assert getattr(client, method)(url).status_code == 401
        assert "401" in documented(spec, path, method), (path, method)


def test_every_rule_lookup_documents_the_304_it_answers_to_its_etag(client, spec):
    lookups = [(path, operation) for path, item in spec["paths"].items()
               for method, operation in item.items()
               if method == "get" and "rules" in operation.get("tags", [])]
    assert len(lookups) >= 8
    for path, operation in lookups:
        assert "304" in operation["responses"], path
    first = client.get("/v1/platforms")
    again = client.get("/v1/platforms", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(("at", "words"), [
    ("20241115", "'20241115' is a date without its hyphens; write it YYYY-MM-DD (2024-11-15)"),
    ("2016-12-31T23:59:60Z", "is a leap second (its second is 60)"),
    ("2016-12-31T23:59:60.5%2B00:00", "is a leap second (its second is 60)"),
])
def test_an_instant_in_a_form_not_taken_is_told_what_it_is(client, at, words):
    """A basic-form date was told it "has no offset" (a date alone is taken), and UTC's
    leap second that it is "neither a date nor an ISO 8601 instant"."""
    response = client.get(f"/v1/clauses/x.terms-of-service.liquidated-damages?at={at}")
    assert response.status_code == 422
    assert words in response.get_json()["detail"]
