"""X's Terms of Service: which clause version applied on dates before, at and after each change."""

from __future__ import annotations

from decimal import Decimal

import pytest

from calculator.errors import InvalidArgument, NotFound, NotInForce, NotRecorded
from calculator.schemas.rules import ClauseInForceSchema
from calculator.timeutil import parse_instant

DAMAGES = "x.terms-of-service.liquidated-damages"
REGIONS = ["rest-of-world", "eu-efta-uk"]


@pytest.mark.parametrize("region", REGIONS)
def test_on_2024_11_14_no_damages_clause_was_in_force(lookup, region):
    with pytest.raises(NotInForce) as caught:
        lookup.clause_in_force(DAMAGES, parse_instant("2024-11-14"), region)
    assert caught.value.extensions["first_in_force"] == "2024-11-15T00:00:00Z"
    assert "2023-09-29" in caught.value.detail  # names the version that had no such clause


@pytest.mark.parametrize("region", REGIONS)
def test_one_microsecond_before_midnight_utc_on_2024_11_15_the_clause_was_not_yet_in_force(
        lookup, region):
    with pytest.raises(NotInForce):
        lookup.clause_in_force(DAMAGES, parse_instant("2024-11-14T23:59:59.999999Z"), region)


@pytest.mark.parametrize("region, currency", [("rest-of-world", "USD"), ("eu-efta-uk", "EUR")])
def test_from_2024_11_15_the_damages_clause_prices_posts_above_a_million_per_24_hours(
        lookup, region, currency):
    answer = lookup.clause_in_force(DAMAGES, parse_instant("2024-11-15"), region)
    assert answer.version.date.isoformat() == "2024-11-15"
    assert answer.in_force.start == parse_instant("2024-11-15")
    assert answer.in_force.end == parse_instant("2026-01-15")
    parameters = answer.version.parameters
    assert parameters["threshold_posts"] == 1_000_000
    assert parameters["threshold_rule"] == "more_than"
    assert parameters["window"] == "PT24H"
    assert parameters["amount"] == Decimal("15000.00")
    assert parameters["per_posts"] == 1_000_000
    assert parameters["currency"] == currency
    assert parameters["liability"] == "joint_and_several"
    assert "knowingly" not in parameters["trigger"]


def test_the_us_part_quotes_dollars_and_the_eu_part_quotes_euros(lookup):
    us = lookup.clause_in_force(DAMAGES, parse_instant("2025-06-01"), "rest-of-world")
    eu = lookup.clause_in_force(DAMAGES, parse_instant("2025-06-01"), "eu-efta-uk")
    assert us.version.quote.endswith("$15,000 USD per 1,000,000 posts.")
    assert eu.version.quote.endswith("€15,000 EUR per 1,000,000 posts.")


@pytest.mark.parametrize("region", REGIONS)
def test_from_2026_01_15_damages_reach_only_those_who_knowingly_facilitate(lookup, region):
    before = lookup.clause_in_force(DAMAGES, parse_instant("2026-01-14T23:59:59Z"), region)
    after = lookup.clause_in_force(DAMAGES, parse_instant("2026-01-15"), region)
    assert before.version.date.isoformat() == "2024-11-15"
    assert after.version.date.isoformat() == "2026-01-15"
    assert "knowingly facilitate" in after.version.parameters["trigger"]
    assert after.version.parameters["amount"] == before.version.parameters["amount"]


def test_the_april_2026_us_terms_are_a_new_document_version_but_not_a_new_damages_version(lookup):
    answer = lookup.clause_in_force(DAMAGES, parse_instant("2026-05-01"), "rest-of-world")
    assert answer.version.date.isoformat() == "2026-01-15"
    assert answer.in_force.end is None
    assert answer.document_version.version.date.isoformat() == "2026-04-10"
    assert answer.document_version.in_force.start == parse_instant("2026-04-10")


def test_the_eu_part_stays_on_its_january_2026_version_after_april_2026(lookup):
    answer = lookup.clause_in_force(DAMAGES, parse_instant("2026-05-01"), "eu-efta-uk")
    assert answer.document_version.version.date.isoformat() == "2026-01-15"
    assert answer.document_version.in_force.end is None


@pytest.mark.parametrize("at, law, venue_words", [
    ("2024-01-01", "State of California", "San Francisco County"),
    ("2024-11-15", "State of Texas", "Northern District of Texas"),
    ("2026-01-15", "State of Texas", "Tarrant County"),
    ("2026-04-10", "State of Texas", "Wichita County or Tarrant County"),
])
def test_us_disputes_go_to_the_courts_the_version_in_force_names(lookup, at, law, venue_words):
    answer = lookup.clause_in_force("x.terms-of-service.governing-law", parse_instant(at))
    assert answer.version.parameters["law"] == law
    assert venue_words in answer.version.parameters["venue"]
    assert answer.version.date.isoformat() == at if at != "2024-01-01" else "2023-09-29"


def test_eu_users_litigate_in_ireland_under_irish_law(lookup):
    answer = lookup.clause_in_force("x.terms-of-service.governing-law",
                                    parse_instant("2025-03-01"), "eu-efta-uk")
    assert answer.version.parameters["law"] == "Ireland"


def test_from_2026_01_15_state_law_claims_have_two_years_and_federal_claims_one(lookup):
    answer = lookup.clause_in_force("x.terms-of-service.claims-time-limit",
                                    parse_instant("2026-02-01"))
    limits = {limit["claims"]: limit["period"] for limit in answer.version.parameters["limits"]}
    assert limits == {"federal": "P1Y", "state": "P2Y"}


def test_in_2025_every_claim_had_to_be_brought_within_one_year(lookup):
    answer = lookup.clause_in_force("x.terms-of-service.claims-time-limit",
                                    parse_instant("2025-02-01"))
    assert answer.version.parameters["limits"] == [{"claims": "all", "period": "P1Y"}]


def test_scraping_needed_only_prior_consent_in_2022_and_prior_written_consent_from_sept_2023(
        lookup):
    clause = "x.terms-of-service.scraping-prohibition"
    assert lookup.clause_in_force(clause, parse_instant("2022-12-01")) \
        .version.parameters["consent"] == "prior_consent"
    later = lookup.clause_in_force(clause, parse_instant("2023-09-29"))
    assert later.version.parameters["consent"] == "prior_written_consent"
    assert later.version.parameters["robots_txt_crawling_allowed"] is False


def test_the_content_licence_covers_ai_training_only_from_2024_11_15(lookup):
    clause = "x.terms-of-service.content-licence"
    assert lookup.clause_in_force(clause, parse_instant("2024-11-14")) \
        .version.parameters["covers_ai_training"] is False
    assert lookup.clause_in_force(clause, parse_instant("2024-11-15")) \
        .version.parameters["covers_ai_training"] is True


def test_before_the_first_recorded_version_nothing_is_in_force_and_the_answer_says_when(lookup):
    with pytest.raises(NotRecorded) as caught:
        lookup.clause_in_force("x.terms-of-service.governing-law", parse_instant("2020-01-01"))
    assert caught.value.slug == "not-recorded"
    assert "no version of X Terms of Service for rest-of-world before 2022-06-10" \
        in caught.value.detail
    assert caught.value.extensions["first_in_force"] == "2023-09-29T00:00:00Z"


@pytest.mark.parametrize(("country", "part", "currency"), [
    ("DE", "eu-efta-uk", "EUR"), ("fr", "eu-efta-uk", "EUR"), ("IE", "eu-efta-uk", "EUR"),
    ("NO", "eu-efta-uk", "EUR"), ("IS", "eu-efta-uk", "EUR"), ("LI", "eu-efta-uk", "EUR"),
    ("CH", "eu-efta-uk", "EUR"), ("GB", "eu-efta-uk", "EUR"), ("US", "rest-of-world", "USD"),
    ("JP", "rest-of-world", "USD")])
def test_a_country_code_answers_for_the_part_that_binds_users_there(lookup, country, part,
                                                                   currency):
    answer = lookup.clause_in_force(DAMAGES, parse_instant("2025-01-01"), country)
    assert answer.region == part
    assert answer.choice.country == country.upper()
    assert answer.version.parameters["currency"] == currency


def test_no_region_for_a_document_with_parts_says_which_part_was_assumed(lookup, runner):
    answer = lookup.clause_in_force(DAMAGES, parse_instant("2025-01-01"))
    assert answer.region == "rest-of-world" and answer.choice.assumed
    dumped = ClauseInForceSchema().dump(answer)
    assert dumped["region_assumed"] is True
    assert "No region was given: the part for rest-of-world" in dumped["region_note"]
    assert dumped["country"] is None


def test_a_version_not_read_for_a_clause_is_not_recorded_not_absent(lookup):
    # The June 2022 Terms were read for the scraping and damages clauses, not governing law.
    with pytest.raises(NotRecorded) as caught:
        lookup.clause_in_force("x.terms-of-service.governing-law", parse_instant("2022-07-01"))
    assert "2022-06-10 version of X Terms of Service in force then was not read" \
        in caught.value.detail
    assert caught.value.extensions["recorded_from"] == "2023-09-29"
    # The damages clause was read for and is absent: a legal statement, with the version read.
    with pytest.raises(NotInForce) as absent:
        lookup.clause_in_force(DAMAGES, parse_instant("2022-07-01"))
    assert not isinstance(absent.value, NotRecorded)
    assert absent.value.extensions["checked_version"] == "2022-06-10"
    assert absent.value.extensions["first_in_force"] == "2024-11-15T00:00:00Z"


def test_an_instant_with_an_offset_is_read_in_utc(lookup):
    # 2024-11-15T01:00+02:00 is 2024-11-14T23:00Z: the day before the clause.
    with pytest.raises(NotInForce):
        lookup.clause_in_force(DAMAGES, parse_instant("2024-11-15T01:00:00+02:00"))
    assert lookup.clause_in_force(DAMAGES, parse_instant("2024-11-14T23:00:00-01:00")) \
        .version.date.isoformat() == "2024-11-15"


def test_history_lists_the_absent_period_and_both_versions_per_region(lookup):
    history = lookup.clause_history(DAMAGES, "rest-of-world")
    assert [(e.version.date.isoformat(), e.version.status) for e in history.entries] == [
        ("2022-06-10", "absent"), ("2024-11-15", "present"), ("2026-01-15", "present")]


def test_changes_between_2025_and_2026_show_knowingly_inserted_into_the_trigger(lookup):
    changes = lookup.changes("x.terms-of-service", parse_instant("2025-01-01"),
                             parse_instant("2026-02-01"))
    damages = next(c for c in changes.clauses if c.clause.id == DAMAGES)
    assert damages.change == "changed"
    assert [(p.name, "knowingly" in p.new) for p in damages.parameters] == [("trigger", True)]
    assert any(w.op == "insert" and w.new == "knowingly" for w in damages.words)
    assert [v.version.date.isoformat() for v in changes.versions_between] == ["2026-01-15"]


def test_changes_across_november_2024_report_the_damages_clause_as_added(lookup):
    changes = lookup.changes("x.terms-of-service", parse_instant("2024-11-14"),
                             parse_instant("2024-11-15"), "eu-efta-uk")
    damages = next(c for c in changes.clauses if c.clause.id == DAMAGES)
    assert damages.change == "added"
    assert {p.name: p.new for p in damages.parameters}["currency"] == "EUR"


def test_changes_refuse_an_end_before_the_start(lookup):
    with pytest.raises(InvalidArgument):
        lookup.changes("x.terms-of-service", parse_instant("2026-01-01"),
                       parse_instant("2025-01-01"))


def test_an_unknown_region_or_clause_is_refused_by_name(lookup):
    with pytest.raises(InvalidArgument, match="unknown region 'usa'"):
        lookup.clause_in_force(DAMAGES, parse_instant("2025-01-01"), "usa")
    with pytest.raises(InvalidArgument, match="'QQ' is not an ISO 3166-1 alpha-2 country code"):
        lookup.clause_in_force(DAMAGES, parse_instant("2025-01-01"), "QQ")
    with pytest.raises(NotFound, match=r"no clause 'x\.terms-of-service\.nope'"):
        lookup.clause_in_force("x.terms-of-service.nope", parse_instant("2025-01-01"))
