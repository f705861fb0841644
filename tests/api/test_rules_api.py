"""The rule lookups over HTTP: answers, problem details, the revision header, OpenAPI."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

DAMAGES = "/v1/clauses/x.terms-of-service.liquidated-damages"


def test_every_response_names_the_ruleset_revision(client, ruleset):
    for path in ("/health", "/v1/platforms", f"{DAMAGES}?at=2024-11-14", "/v1/nowhere",
                 "/openapi.json"):
        assert client.get(path).headers["X-Ruleset-Revision"] == ruleset.revision


def test_on_2025_01_01_the_us_damages_clause_is_the_november_2024_version(client):
    response = client.get(f"{DAMAGES}?at=2025-01-01")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == "x.terms-of-service.liquidated-damages"
    assert body["version"] == "2024-11-15"
    assert body["in_force"] == {"from": "2024-11-15T00:00:00Z", "until": "2026-01-15T00:00:00Z"}
    assert body["parameters"]["threshold_posts"] == 1000000
    assert body["parameters"]["per_posts"] == 1000000
    assert body["parameters"]["amount"] == "15000.00"
    assert body["parameters"]["currency"] == "USD"
    assert body["parameters"]["window"] == "PT24H"
    assert body["quote"].endswith("$15,000 USD per 1,000,000 posts.")
    assert body["source"]["commit"] == "94c4eab2087a754dac5383e848401dac57f79586"
    assert body["document_version"]["version"] == "2024-11-15"
    assert body["region"] == "rest-of-world"


def test_in_the_eu_part_the_same_clause_is_priced_in_euros(client):
    body = client.get(f"{DAMAGES}?at=2025-01-01&region=eu-efta-uk").get_json()
    assert body["parameters"]["currency"] == "EUR"


def test_an_instant_with_an_offset_is_accepted(client):
    response = client.get(f"{DAMAGES}?at=2026-01-15T00:30:00%2B01:00")
    assert response.get_json()["version"] == "2024-11-15"  # 2026-01-14T23:30Z


def test_before_the_clause_existed_the_answer_is_404_problem_details_with_its_first_date(client):
    response = client.get(f"{DAMAGES}?at=2024-11-14")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "/problems/not-in-force"
    assert body["status"] == 404
    assert body["first_in_force"] == "2024-11-15T00:00:00Z"
    assert "2024-11-15" in body["detail"]


@pytest.mark.parametrize("query, field", [
    ("at=yesterday", "at"), ("at=2025-02-30", "at"), ("at=2025-01-01T10:00:00", "at"), ("", "at"),
])
def test_a_malformed_instant_is_422_naming_the_parameter(client, query, field):
    response = client.get(f"{DAMAGES}?{query}")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["errors"][0]["field"] == field
    assert "Traceback" not in response.get_data(as_text=True)


def test_an_unknown_region_is_422_naming_the_regions(client):
    response = client.get(f"{DAMAGES}?at=2025-01-01&region=usa")
    assert response.status_code == 422
    body = response.get_json()
    assert "eu-efta-uk, rest-of-world" in body["detail"]
    assert body["errors"] == [{"field": "region", "message": body["errors"][0]["message"]}]


def test_an_unknown_country_code_is_422_naming_the_field(client):
    response = client.get(f"{DAMAGES}?at=2025-01-01&region=ZZ")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "region"
    assert "ISO 3166-1" in response.get_json()["errors"][0]["message"]


def test_region_de_answers_for_the_eu_part_and_echoes_the_country(client):
    body = client.get(f"{DAMAGES}?at=2025-01-01&region=DE").get_json()
    assert (body["region"], body["country"], body["region_assumed"]) == (
        "eu-efta-uk", "DE", False)
    assert body["parameters"]["currency"] == "EUR"
    assert body["region_note"].startswith("Germany (DE) is in the part for eu-efta-uk")


def test_not_recorded_and_not_in_force_are_distinct_404_problems(client):
    recorded = client.get("/v1/clauses/x.terms-of-service.governing-law?at=2022-07-01")
    assert recorded.status_code == 404
    body = recorded.get_json()
    assert body["type"] == "/problems/not-recorded"
    assert (body["first_in_force"], body["recorded_from"]) == (
        "2023-09-29T00:00:00Z", "2023-09-29")
    absent = client.get(f"{DAMAGES}?at=2022-07-01")
    assert absent.status_code == 404
    body = absent.get_json()
    assert body["type"] == "/problems/not-in-force"
    assert (body["first_in_force"], body["checked_version"]) == (
        "2024-11-15T00:00:00Z", "2022-06-10")


def test_an_unknown_clause_is_404(client):
    response = client.get("/v1/clauses/x.terms-of-service.nothing?at=2025-01-01")
    assert response.status_code == 404
    assert response.get_json()["type"] == "/problems/not-found"


def test_history_lists_every_version_with_its_interval(client):
    body = client.get(f"{DAMAGES}/history?region=eu-efta-uk").get_json()
    assert [(v["version"], v["status"]) for v in body["versions"]] == [
        ("2023-09-29", "absent"), ("2024-11-15", "present"), ("2026-01-15", "present")]
    assert body["versions"][-1]["in_force"]["until"] is None


def test_changes_report_clause_by_clause(client):
    body = client.get("/v1/documents/x.terms-of-service/changes"
                      "?from=2025-06-01&to=2026-06-01").get_json()
    changed = {c["id"]: c for c in body["clauses"]}
    damages = changed["x.terms-of-service.liquidated-damages"]
    assert damages["change"] == "changed"
    assert damages["old_version"] == "2024-11-15" and damages["new_version"] == "2026-01-15"
    assert damages["parameters"][0]["name"] == "trigger"
    assert changed["x.terms-of-service.circumvention-ban"]["change"] == "added"
    assert [v["version"] for v in body["versions_between"]] == ["2026-01-15", "2026-04-10"]


def test_platforms_documents_and_a_document_with_all_its_versions(client):
    platforms = {p["id"]: p for p in client.get("/v1/platforms").get_json()}
    assert "x.terms-of-service" in platforms["x"]["documents"]
    documents = client.get("/v1/platforms/x/documents").get_json()
    assert any(d["id"] == "x.terms-of-service" for d in documents)
    document = client.get("/v1/documents/x.terms-of-service").get_json()
    versions = [v["version"] for v in document["versions"]]
    assert versions == ["2022-06-10", "2023-05-18", "2023-09-29", "2024-11-15", "2026-01-15",
                        "2026-04-10"]
    january = next(v for v in document["versions"] if v["version"] == "2026-01-15")
    spans = {s["region"]: s["in_force"]["until"] for s in january["in_force"]}
    assert spans == {"rest-of-world": "2026-04-10T00:00:00Z", "eu-efta-uk": None}
    assert client.get("/v1/platforms/nowhere").status_code == 404


def test_the_openapi_document_is_valid_openapi_3_and_lists_the_lookups(client):
    spec = client.get("/openapi.json").get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    for path in ("/v1/clauses/{clause_id}", "/v1/clauses/{clause_id}/history",
                 "/v1/documents/{document_id}/changes", "/v1/platforms"):
        assert path in spec["paths"]
    not_in_force = spec["paths"]["/v1/clauses/{clause_id}"]["get"]["responses"]["404"]
    assert "application/problem+json" in not_in_force["content"]
    unprocessable = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]
    assert "application/problem+json" in unprocessable["content"]


def test_the_interactive_docs_load_their_assets_from_the_service_itself(client):
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in page
    assert "https://" not in page.split("<body")[0]  # no CDN
    with client.get("/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200


def test_a_problem_type_is_documented_at_its_uri(client):
    body = client.get("/problems/not-in-force").get_json()
    assert "first_in_force" in body["description"]


@pytest.mark.parametrize("path", [
    "/v1/clauses/x.terms-of-service.liquidated-damages?at=2025-01-01&region=DE",
    "/v1/clauses/x.terms-of-service.liquidated-damages/history?region=DE",
    "/v1/documents/x.terms-of-service/changes?from=2024-01-01&to=2025-01-01&region=DE",
])
def test_a_region_given_as_a_country_is_echoed_as_that_country_on_every_lookup(client, path):
    """The region parameter says a country code is "echoed as country": the clause in force
    did, its history and a document's changes dropped it."""
    answer = client.get(path).get_json()
    assert (answer["region"], answer["country"]) == ("eu-efta-uk", "DE")


def test_an_empty_region_on_a_clause_history_is_every_region_not_a_region_named_empty(client):
    answer = client.get("/v1/clauses/x.terms-of-service.liquidated-damages/history?region=")
    whole = client.get("/v1/clauses/x.terms-of-service.liquidated-damages/history")
    assert answer.get_json()["region"] is None
    assert answer.get_json()["versions"] == whole.get_json()["versions"]
