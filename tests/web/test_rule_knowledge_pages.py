"""What the rules know, in every interface: in force, not in force (read, absent) and not
recorded; regions by country; summaries of the part asked about only."""

from __future__ import annotations

import json

from calculator.cli import main

GOVERNING_LAW = "x.terms-of-service.governing-law"


def test_a_clause_not_recorded_is_never_called_not_in_force_on_the_pages(client):
    html = client.get("/clauses/x.terms-of-service/governing-law?at=2022-07-01").get_data(
        as_text=True)
    assert "Not recorded on that date" in html
    assert "Not in force" not in html
    assert "was not read for this clause" in html
    document = client.get("/clauses/x.terms-of-service?at=2022-07-01").get_data(as_text=True)
    row = document[document.index("Governing law and venue"):]
    row = row[:row.index("</tr>")]
    assert "Not recorded:" in row and "Not in force" not in row


def test_a_clause_read_and_absent_is_not_in_force_on_the_pages(client):
    html = client.get("/clauses/x.terms-of-service/liquidated-damages?at=2022-07-01").get_data(
        as_text=True)
    assert "Not in force on that date" in html
    assert "was read for it and holds no such clause" in html


def test_the_pages_take_a_country_and_say_which_part_it_binds(client):
    html = client.get("/clauses/x.terms-of-service/liquidated-damages?at=2025-01-01&region=IE"
                      ).get_data(as_text=True)
    assert "Ireland (IE) is in the part for eu-efta-uk" in html
    assert "€15,000 EUR" in html
    assert '<option value="IE" selected>Ireland (IE)</option>' in html


def test_the_eu_part_never_shows_the_us_parts_summary(client):
    html = client.get("/clauses/x.terms-of-service?at=2025-01-01&region=DE").get_data(
        as_text=True)
    answer = html[html.index('id="as-of-answer"'):html.index("Timeline of versions")]
    assert "competent court in Ireland" in answer
    assert "Texas" not in answer
    body = client.get("/v1/clauses/x.terms-of-service.liquidated-damages?at=2025-01-01"
                      "&region=eu-efta-uk").get_json()
    assert "Texas" not in body["document_version"]["summary"]
    assert "€15,000" in body["document_version"]["summary"]


def test_the_cli_says_not_recorded_in_words(runner):
    result = runner.invoke(main, ["clause", GOVERNING_LAW, "--at", "2022-07-01"])
    assert result.exit_code == 2
    assert "is not recorded on 2022-07-01" in result.stderr
    assert "says nothing of whether the clause existed" in result.stderr
    result = runner.invoke(main, ["clause", GOVERNING_LAW, "--at", "2022-07-01", "--json"])
    assert json.loads(result.stdout)["type"].endswith("/not-recorded")


def test_changes_say_first_recorded_where_the_earlier_version_was_not_read(runner, lookup):
    from calculator.timeutil import parse_instant

    changes = lookup.changes("x.terms-of-service", parse_instant("2022-07-01"),
                             parse_instant("2024-12-01"), "rest-of-world")
    kinds = {c.clause.key: c.change for c in changes.clauses}
    assert kinds["governing-law"] == "first-recorded"  # not read in the June 2022 version
    assert kinds["liquidated-damages"] == "added"  # read there, and absent
    result = runner.invoke(main, ["changes", "x.terms-of-service", "--from", "2022-07-01",
                                  "--to", "2024-12-01"])
    assert "first recorded: x.terms-of-service.governing-law" in result.stdout


def test_after_the_last_checked_capture_the_answer_says_so(client):
    body = client.get("/v1/clauses/x.terms-of-service.liquidated-damages?at=2026-09-01"
                      "&region=US").get_json()
    knowledge = body["knowledge"]
    assert (knowledge["checked_through"], knowledge["after_checked_through"]) == (
        "2026-08-22", True)
    assert "checked against the archive through 2026-08-22" in knowledge["notes"][0]
    assert body["country"] == "US" and body["region"] == "rest-of-world"


def test_inside_a_gap_between_captures_the_answer_says_the_date_is_uncertain(client):
    # Persona replaced Au10tix between the captures of 2025-10-23 and 2026-06-29.
    body = client.get("/v1/clauses/x.data-processing.identity-verification?at=2026-01-01"
                      ).get_json()
    assert body["parameters"]["processor"] == "Au10tix"
    knowledge = body["knowledge"]
    assert (knowledge["uncertain_from"], knowledge["uncertain_until"]) == (
        "2025-10-23", "2026-06-29")
    assert any("may have taken effect on any day in between" in n for n in knowledge["notes"])


def test_an_assessment_for_a_country_prices_its_part_and_echoes_it(client):
    log = "timestamp,posts\n2025-01-01T00:00:00Z,1500000\n"
    response = client.post("/v1/assessments?platform=x&region=FR", data=log,
                           content_type="text/csv")
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    body = response.get_json()
    assert (body["region"], body["country"], body["currency"]) == ("eu-efta-uk", "FR", "EUR")
    assert body["region_note"].startswith("France (FR) is in the part for eu-efta-uk")
    unknown = client.post("/v1/assessments?platform=x&region=QZ", data=log,
                          content_type="text/csv")
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "region"


def test_a_peer_without_an_amount_answers_with_the_checked_version(lookup):
    from datetime import UTC, datetime

    from calculator.damages.assessment import no_amount_fact

    fact = no_amount_fact(lookup, "reddit", datetime(2022, 1, 1, tzinfo=UTC))
    assert fact == ("the Reddit User Agreement in force on 2022-01-01 names no amount for "
                    "scraping (checked version 2021-09-12 of "
                    "reddit.user-agreement.scraping-prohibition)")


def test_assessing_a_peer_says_its_terms_name_no_amount_not_that_the_rules_lack_it(client):
    response = client.post("/v1/assessments?platform=reddit",
                           data="timestamp,posts\n2024-06-01T00:00:00Z,2000000\n",
                           content_type="text/csv")
    assert response.status_code == 422
    detail = response.get_json()["detail"]
    assert "names no amount for scraping (checked version" in detail
    assert "reddit.user-agreement.scraping-prohibition" in detail


def test_a_clause_recorded_only_for_the_us_part_is_not_recorded_for_the_eu_part(client):
    # The liability cap is recorded for the US part only: for the EU part the rules do not
    # know it, which is not "not in force" (issue 14, stumble 2).
    html = client.get("/clauses/x.terms-of-service?at=2025-01-01&region=eu-efta-uk").get_data(
        as_text=True)
    row = html[html.index("Limitation of X"):]
    row = row[:row.index("</tr>")]
    assert "Not recorded:" in row and "Not in force" not in row
