"""The OpenAPI document says what the service does: what a client generated from it sends is
what the service takes."""

from __future__ import annotations

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
