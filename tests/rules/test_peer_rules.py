"""Peer platforms' terms (Reddit, LinkedIn, Meta, Quora, Stack Overflow, Medium): scraping bans
without damages amounts, liability caps, law, AI training (legal-facts sections 2 to 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from calculator.errors import NotInForce
from calculator.rules import RuleLookup, load_ruleset
from calculator.timeutil import parse_instant

PEERS = ["reddit", "linkedin", "facebook", "instagram", "threads", "quora", "stackoverflow",
         "medium"]


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset()


@pytest.fixture(scope="module")
def rules(ruleset) -> RuleLookup:
    return RuleLookup(ruleset)


def at(text: str):
    return parse_instant(text)


# -- across all peers --------------------------------------------------------------------------


def test_every_peer_platform_is_in_the_rules_with_its_own_hosts(ruleset):
    assert set(PEERS) <= set(ruleset.platforms)
    assert "old.reddit.com" in ruleset.platforms["reddit"].hosts
    assert "oauth.reddit.com" in ruleset.platforms["reddit"].hosts
    assert "www.linkedin.com" in ruleset.platforms["linkedin"].hosts
    assert "m.facebook.com" in ruleset.platforms["facebook"].hosts
    assert "www.threads.net" in ruleset.platforms["threads"].hosts
    for peer in PEERS:
        assert ruleset.platforms[peer].documents, peer


@pytest.mark.parametrize("peer", PEERS)
def test_every_peer_notes_that_its_sources_show_no_scraping_damages_amount(ruleset, peer):
    assert "no liquidated-damages amount" in ruleset.platforms[peer].note


def test_no_peer_scraping_clause_states_a_damages_amount(rules):
    checked = 0
    for peer in PEERS:
        for clause in rules.clauses_of_kind(peer, "scraping-prohibition"):
            for version in clause.versions:
                if version.present:
                    assert version.parameters["states_damages_amount"] is False, clause.id
                    checked += 1
    assert checked == 13  # Instagram from 2022 and 2025, Facebook EU from the PGA archive


def test_no_peer_has_a_liquidated_damages_clause(rules):
    for peer in PEERS:
        assert rules.clauses_of_kind(peer, "liquidated-damages") == [], peer


def test_every_peer_bans_scraping_somewhere_except_medium_whose_terms_have_no_such_clause(rules):
    banning = {p for p in PEERS
               if any(v.present for c in rules.clauses_of_kind(p, "scraping-prohibition")
                      for v in c.versions)}
    assert banning == set(PEERS) - {"medium"}


# -- Reddit ------------------------------------------------------------------------------------


def test_reddit_required_prior_written_consent_to_scrape_from_2023_06_19(rules):
    clause = "reddit.user-agreement.scraping-prohibition"
    before = rules.clause_in_force(clause, at("2023-06-18T23:59:59Z"), "rest-of-world")
    after = rules.clause_in_force(clause, at("2023-06-19"), "rest-of-world")
    assert before.version.parameters["consent"] == "prior_consent"
    assert after.version.parameters["consent"] == "prior_written_consent"
    assert before.version.parameters["robots_txt_crawling_allowed"] is True
    assert after.version.parameters["robots_txt_crawling_allowed"] is True
    assert "Reddit’s prior written consent" in after.version.quote
    still = rules.clause_in_force(clause, at("2026-08-01"), "rest-of-world")
    assert still.version.date.isoformat() == "2023-06-19"
    assert still.document_version.version.date.isoformat() == "2026-07-01"


def test_reddit_user_agreement_lists_every_effective_date_seen(rules):
    dates = [v.date.isoformat() for v in rules.document("reddit.user-agreement").versions]
    assert dates == ["2021-09-12", "2023-06-19", "2023-09-25", "2024-02-15", "2024-09-16",
                     "2024-09-24", "2025-06-28", "2026-03-31", "2026-07-01"]


def test_reddit_caps_liability_at_100_dollars_or_six_months_of_payments_from_2026_07_01(rules):
    clause = "reddit.user-agreement.liability-cap"
    with pytest.raises(NotInForce):
        rules.clause_in_force(clause, at("2026-06-30"), "rest-of-world")
    parameters = rules.clause_in_force(clause, at("2026-07-01"), "rest-of-world").version.parameters
    assert parameters["amount"] == Decimal("100.00")
    assert parameters["rule"] == "greater_of_amount_or_paid"
    assert parameters["paid_within"] == "P6M"


def test_reddit_developer_terms_ban_training_models_without_permission_and_fix_no_fee(rules):
    ban = rules.clause_in_force("reddit.developer-terms.model-training-ban", at("2024-09-24"),
                                "rest-of-world")
    assert "to train large language, artificial intelligence" in ban.version.quote
    fees = rules.clause_in_force("reddit.developer-terms.fees", at("2025-01-01"), "rest-of-world")
    assert fees.version.quote.endswith("rates to be determined at Reddit’s sole discretion.")


def test_reddit_data_api_pricing_is_secondary_and_recorded_only_as_an_unknown(rules):
    assert rules.clauses_of_kind("reddit", "pay-per-use") == []
    notes = " ".join(note for _, note in rules.document("reddit.developer-terms").unknowns)
    assert "$0.24 per 1K" in notes


# -- LinkedIn ----------------------------------------------------------------------------------


def test_linkedin_reworded_its_scraping_ban_on_2024_11_20(rules):
    changes = rules.changes("linkedin.user-agreement", at("2024-11-01"), at("2024-12-01"),
                            "rest-of-world")
    changed = {c.clause.key: c for c in changes.clauses}
    assert "scraping-prohibition" in changed
    assert changed["scraping-prohibition"].new.quote.startswith(
        "Develop, support or use software, devices, scripts, robots or any other means or "
        "processes (such as crawlers")
    assert changed["scraping-prohibition"].new.parameters["states_damages_amount"] is False


def test_linkedin_caps_liability_at_the_fees_or_1000_dollars_from_2025_11_03(rules):
    answer = rules.clause_in_force("linkedin.user-agreement.liability-cap", at("2025-11-03"),
                                   "rest-of-world")
    assert answer.version.parameters["amount"] == Decimal("1000.00")
    assert answer.version.parameters["rule"] == "greater_of_amount_or_fees"
    assert answer.version.quote.endswith("OR (B) US $1000.")


def test_linkedin_california_law_applies_only_outside_the_designated_countries(rules):
    clause = "linkedin.user-agreement.governing-law"
    answer = rules.clause_in_force(clause, at("2026-01-01"), "rest-of-world")
    assert answer.version.parameters["applies_to"] == "outside the Designated Countries"
    assert "Santa Clara County" in answer.version.parameters["venue"]
    with pytest.raises(NotInForce):  # Irish law has no quoted words in the sources
        rules.clause_in_force(clause, at("2026-01-01"), "eu-efta-uk")


def test_linkedin_trains_ai_on_personal_data_from_2024_09_18_with_an_opt_out_named_in_2025(rules):
    clause = "linkedin.privacy-policy.ai-training"
    with pytest.raises(NotInForce) as caught:
        rules.clause_in_force(clause, at("2024-09-17"), "rest-of-world")
    assert caught.value.extensions["first_in_force"] == "2024-09-18T00:00:00Z"
    first = rules.clause_in_force(clause, at("2024-09-18"), "rest-of-world")
    assert first.version.parameters["opt_out"] is False
    later = rules.clause_in_force(clause, at("2025-11-03"), "rest-of-world")
    assert later.version.parameters["opt_out"] is True
    assert later.version.parameters["opt_out_setting"] == (
        "linkedin.com/mypreferences/d/settings/data-for-ai-improvement")


# -- Meta --------------------------------------------------------------------------------------


def test_facebook_changed_its_scraping_words_on_2026_07_28_under_the_same_effective_date(rules):
    document = rules.document("facebook.terms-of-service")
    second = document.versions[1]
    assert second.date.isoformat() == "2026-07-28"
    assert second.dating == "observed"
    assert second.printed_date.isoformat() == "2025-01-01"
    clause = "facebook.terms-of-service.scraping-prohibition"
    before = rules.clause_in_force(clause, at("2026-07-27"), "rest-of-world")
    after = rules.clause_in_force(clause, at("2026-07-28"), "rest-of-world")
    assert before.version.date.isoformat() == "2025-01-01"
    assert "Automated Data Collection Terms" in after.version.quote
    assert after.version.parameters["consent"] == "prior_permission"


def test_facebook_terms_are_recorded_only_for_users_outside_the_eu_efta_and_uk(rules):
    with pytest.raises(NotInForce):
        rules.clause_in_force("facebook.terms-of-service.scraping-prohibition",
                              at("2026-08-01"), "eu-efta-uk")


def test_instagram_bans_automated_collection_without_express_permission(rules):
    answer = rules.clause_in_force("instagram.terms-of-use.scraping-prohibition",
                                   at("2026-07-28"), "rest-of-world")
    assert answer.version.parameters["consent"] == "express_permission"
    assert answer.document_version.version.dating == "observed"


def test_threads_scraping_ban_dates_from_its_printed_21_january_2026(rules):
    answer = rules.clause_in_force("threads.terms-of-use.scraping-prohibition",
                                   at("2026-01-21"), "eu-efta-uk")
    assert answer.document_version.version.dating == "printed"
    assert "“mines”" in answer.version.quote


# -- Quora, Stack Overflow, Medium -------------------------------------------------------------


def test_quora_restricted_collection_for_ai_training_from_2023_07_24(rules):
    clause = "quora.terms-of-service.scraping-prohibition"
    with pytest.raises(NotInForce) as caught:
        rules.clause_in_force(clause, at("2023-07-23"), "rest-of-world")
    assert "2021-08-26" in caught.value.detail
    answer = rules.clause_in_force(clause, at("2023-07-24"), "rest-of-world")
    assert answer.version.parameters["covers_ai_training"] is True
    crawl = rules.clause_in_force("quora.terms-of-service.crawl-permission", at("2024-01-01"),
                                  "rest-of-world")
    assert "you must follow robots.txt at all times" in crawl.version.quote


def test_stack_overflow_caps_liability_at_100_dollars_and_needs_written_permission_to_copy(rules):
    cap = rules.clause_in_force("stackoverflow.terms-of-service.liability-cap", at("2025-11-13"),
                                "rest-of-world")
    assert cap.version.parameters["amount"] == Decimal("100.00")
    assert cap.version.parameters["rule"] == "fixed"
    ban = rules.clause_in_force("stackoverflow.terms-of-service.scraping-prohibition",
                                at("2025-11-13"), "rest-of-world")
    assert ban.version.quote.endswith("without prior written permission")
    topics = " ".join(t for t, _ in rules.document("stackoverflow.terms-of-service").unknowns)
    assert "Acceptable Use Policy" in topics


def test_medium_terms_have_no_scraping_clause_and_cap_liability_at_50_dollars(rules):
    with pytest.raises(NotInForce) as caught:
        rules.clause_in_force("medium.terms-of-service.scraping-prohibition", at("2024-01-01"),
                              "rest-of-world")
    assert caught.value.extensions["first_in_force"] is None
    cap = rules.clause_in_force("medium.terms-of-service.liability-cap", at("2020-09-01"),
                                "rest-of-world")
    assert cap.version.parameters["amount"] == Decimal("50.00")
    assert cap.version.parameters["rule"] == "greater_of_amount_or_paid"
    topics = " ".join(t for t, _ in rules.document("medium.terms-of-service").unknowns)
    assert "Medium Rules" in topics
