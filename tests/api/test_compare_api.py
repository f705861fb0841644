"""GET /v1/compare: every platform side by side over HTTP, with problem details for bad input."""

from __future__ import annotations

import json

from calculator.cli import main


def test_get_platforms_answers_for_twenty_one_platforms(client):
    assert len(client.get("/v1/platforms").get_json()) == 21


def test_compare_scraping_puts_every_platform_side_by_side_with_cited_cells(client):
    response = client.get("/v1/compare?clause=scraping&at=2025-06-01")
    assert response.status_code == 200
    body = response.get_json()
    assert body["clause"] == "scraping"
    assert body["at"] == "2025-06-01T00:00:00Z"
    assert [c["id"] for c in body["columns"]] == ["prohibited", "consent", "damages",
                                                  "ai_training"]
    assert len(body["platforms"]) == 21
    x = next(row for row in body["platforms"] if row["platform"]["id"] == "x")
    damages = next(cell for cell in x["cells"] if cell["column"] == "damages")
    assert damages["value"]["amount"] == "15000.00"
    assert damages["citations"][0]["source"]["commit"] == \
        "94c4eab2087a754dac5383e848401dac57f79586"
    assert damages["citations"][0]["quote"].endswith("$15,000 USD per 1,000,000 posts.")


def test_compare_ai_training_in_the_eu_part(client):
    body = client.get("/v1/compare?clause=ai-training&at=2026-08-01&region=eu-efta-uk"
                      ).get_json()
    youtube = next(row for row in body["platforms"] if row["platform"]["id"] == "youtube")
    assert youtube["covered"] is True
    assert youtube["cells"][0]["state"] == "not_in_force"


def test_a_not_recorded_cell_says_so_with_no_version(client):
    body = client.get("/v1/compare?clause=scraping&at=2021-01-01").get_json()
    pinterest = next(row for row in body["platforms"] if row["platform"]["id"] == "pinterest")
    cell = pinterest["cells"][0]
    assert cell["state"] == "not_recorded" and cell["value"] is None
    assert cell["citations"][0]["version"] is None
    assert cell["citations"][0]["first_recorded"] == "2022-07-11T00:00:00Z"


def test_bad_compare_requests_are_422_problems_naming_the_field(client):
    for query, field in (("clause=pricing&at=2025-01-01", "clause"),
                         ("clause=scraping", "at"),
                         ("clause=scraping&at=yesterday", "at"),
                         ("clause=scraping&at=2025-01-01&region=mars", "region")):
        response = client.get(f"/v1/compare?{query}")
        assert response.status_code == 422, query
        assert response.content_type == "application/problem+json"
        assert field in json.dumps(response.get_json()), query


def test_openapi_documents_the_comparison(client):
    spec = client.get("/openapi.json").get_json()
    assert "/v1/compare" in spec["paths"]


def test_cli_compare_json_is_the_document_the_http_api_returns(runner, client):
    result = runner.invoke(main, ["compare", "--clause", "scraping", "--at", "2026-02-01",
                                  "--region", "eu-efta-uk", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == client.get(
        "/v1/compare?clause=scraping&at=2026-02-01&region=eu-efta-uk").get_json()


def test_cli_compare_in_words_names_each_platform_and_its_citation(runner):
    result = runner.invoke(main, ["compare", "--clause", "scraping", "--at", "2025-06-01"])
    assert result.exit_code == 0
    assert "Pinterest (pinterest)" in result.stdout
    assert "Damages amount for scraping: 15000.00 USD per 1,000,000 posts" in result.stdout
    assert "bluesky.terms-of-service.scraping-prohibition version 2024-03-14 (read, absent" \
        in result.stdout


def test_cli_compare_with_a_bad_date_exits_2_with_one_line(runner):
    result = runner.invoke(main, ["compare", "--clause", "scraping", "--at", "soon"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "--at" in result.stderr


def test_the_cli_offers_the_topics_the_core_compares():
    from calculator.cli.compare import TOPICS as offered
    from calculator.rules.compare import TOPICS
    assert set(offered) == set(TOPICS)


def test_compare_takes_a_country_code_and_echoes_the_country_and_part(client):
    body = client.get("/v1/compare?clause=scraping&at=2026-01-01&region=DE").get_json()
    assert body["region"] == "eu-efta-uk" and body["country"] == "DE"
    assert "Germany (DE)" in body["region_note"]
    tiktok = next(row for row in body["platforms"] if row["platform"]["id"] == "tiktok")
    assert tiktok["cells"][0]["value"] is True
    assumed = client.get("/v1/compare?clause=scraping&at=2026-01-01").get_json()
    assert assumed["region_assumed"] is True and assumed["country"] is None


def test_an_unknown_country_code_is_a_422_naming_the_region(client):
    response = client.get("/v1/compare?clause=scraping&at=2026-01-01&region=ZZ")
    assert response.status_code == 422
    assert "region" in json.dumps(response.get_json())
