"""Every platform whose terms the PGA archive holds: scraping and AI-training clauses, dated by
the first capture holding the words, quoted verbatim, and none naming an amount but X."""

from __future__ import annotations

import re

import pytest

from calculator.errors import NotInForce
from calculator.timeutil import parse_instant

ARCHIVE_PLATFORMS = ["bluesky", "line", "pinterest", "snapchat", "spotify", "telegram", "tiktok",
                     "tumblr", "twitch", "wechat", "whatsapp", "youtube"]
ALREADY_ENCODED = ["x", "reddit", "linkedin", "facebook", "instagram", "threads", "quora",
                   "stackoverflow", "medium"]


def at(text: str):
    return parse_instant(text)


def test_the_rules_answer_for_the_twenty_one_platforms(ruleset):
    assert set(ruleset.platforms) == set(ARCHIVE_PLATFORMS + ALREADY_ENCODED)
    assert len(ruleset.platforms) == 21


@pytest.mark.parametrize("platform", ARCHIVE_PLATFORMS)
def test_each_archived_platform_records_its_scraping_and_training_terms_as_read(
        lookup, platform):
    scraping = lookup.clauses_of_kind(platform, "scraping-prohibition")
    training = (lookup.clauses_of_kind(platform, "model-training-ban")
                + lookup.clauses_of_kind(platform, "ai-training"))
    assert scraping, f"{platform} has no scraping clause recorded, present or absent"
    assert training, f"{platform} has no AI-training clause recorded, present or absent"
    assert lookup.clauses_of_kind(platform, "liquidated-damages") == []


@pytest.mark.parametrize("platform", ARCHIVE_PLATFORMS)
def test_every_version_cites_a_full_commit_and_path_of_the_pga_archive(lookup, platform):
    for document_id in lookup.platform(platform).documents:
        document = lookup.document(document_id)
        assert document.checked_through is not None, document_id
        for version in document.versions:
            assert version.source.archive == "OpenTermsArchive/pga-versions"
            assert re.fullmatch(r"[0-9a-f]{40}", version.source.commit or ""), document_id
            assert version.source.path, document_id


@pytest.mark.parametrize("platform", ARCHIVE_PLATFORMS)
def test_no_archived_platform_names_an_amount_for_scraping(lookup, platform):
    for clause in lookup.clauses_of_kind(platform, "scraping-prohibition"):
        for version in clause.versions:
            if version.present:
                assert version.parameters["states_damages_amount"] is False, clause.id


def test_pinterest_banned_unauthorized_scraping_from_the_2023_08_02_capture_and_not_before(
        lookup):
    clause = "pinterest.terms-of-service.scraping-prohibition"
    with pytest.raises(NotInForce):
        lookup.clause_in_force(clause, at("2023-08-01T23:59:59Z"))
    found = lookup.clause_in_force(clause, at("2023-08-02"))
    assert found.version.parameters["consent"] == "express_prior_permission"
    assert "such as by using automated means" in found.version.quote
    assert found.document_version.version.last_absent.isoformat() == "2023-01-26"


def test_spotify_added_training_ai_on_content_to_its_crawling_ban_on_2023_05_08(lookup):
    clause = "spotify.user-guidelines.model-training-ban"
    with pytest.raises(NotInForce):
        lookup.clause_in_force(clause, at("2023-05-07"))
    found = lookup.clause_in_force(clause, at("2023-05-08"))
    assert "train a machine learning or AI model" in found.version.quote
    scraping = lookup.clause_in_force("spotify.user-guidelines.scraping-prohibition",
                                      at("2023-05-08"))
    assert scraping.version.parameters["covers_ai_training"] is True


def test_tiktok_allows_extraction_with_software_it_approved_in_writing_from_august_2023(lookup):
    clause = "tiktok.terms-of-service.scraping-prohibition"
    before = lookup.clause_in_force(clause, at("2023-08-06"), "eu-efta-uk")
    after = lookup.clause_in_force(clause, at("2023-08-07"), "eu-efta-uk")
    assert before.version.parameters["consent"] == "none_possible"
    assert after.version.parameters["consent"] == "written_approval"
    assert after.version.quote.endswith("approved in writing by TikTok")


def test_tiktok_youtube_and_whatsapp_are_recorded_only_for_the_european_part(lookup):
    for clause in ("tiktok.terms-of-service.scraping-prohibition",
                   "youtube.terms-of-service.scraping-prohibition",
                   "whatsapp.terms-of-service.scraping-prohibition"):
        assert lookup.clause(clause).timeline("rest-of-world") == []
        assert lookup.clause_in_force(clause, at("2026-01-01"), "eu-efta-uk").version.present


def test_snapchat_forbids_training_on_ai_outputs_from_its_april_7_2025_terms(lookup):
    clause = "snapchat.terms-of-service.ai-output-training-ban"
    with pytest.raises(NotInForce):
        lookup.clause_in_force(clause, at("2025-04-06"))
    found = lookup.clause_in_force(clause, at("2025-04-07"))
    assert found.document_version.version.published.isoformat() == "2025-03-07"
    assert found.document_version.version.observed.isoformat() == "2025-04-09"


def test_telegram_api_terms_forbid_training_ai_from_the_2026_02_03_capture(lookup):
    found = lookup.clause_in_force("telegram.developer-terms.model-training-ban",
                                   at("2026-02-03"))
    assert "train, fine-tune" in found.version.quote
    assert found.document_version.version.last_absent.isoformat() == "2022-07-11"


def test_bluesky_and_line_terms_hold_no_scraping_clause_when_read(lookup):
    for clause in ("bluesky.terms-of-service.scraping-prohibition",
                   "line.terms-of-use.scraping-prohibition",
                   "telegram.terms-of-service.scraping-prohibition"):
        history = lookup.clause_history(clause, "rest-of-world")
        assert [e.version.status for e in history.entries] == ["absent"], clause


def test_instagram_banned_automated_collection_from_the_first_capture_and_access_from_2025(
        lookup):
    clause = "instagram.terms-of-use.scraping-prohibition"
    first = lookup.clause_in_force(clause, at("2023-01-01"))
    later = lookup.clause_in_force(clause, at("2025-01-03"))
    assert "accessing" not in first.version.quote
    assert "accessing or collecting information" in later.version.quote
    assert later.document_version.version.last_absent.isoformat() == "2024-11-12"


def test_meta_reserved_its_rights_against_text_and_data_mining_in_the_eu_from_july_26_2022(
        lookup):
    clause = "facebook.terms-of-service-eu.text-and-data-mining-reservation"
    with pytest.raises(NotInForce):
        lookup.clause_in_force(clause, at("2022-07-25"), "eu-efta-uk")
    found = lookup.clause_in_force(clause, at("2022-07-26"), "eu-efta-uk")
    assert found.version.quote == "We also reserve all of our rights against text and data mining."


def test_reddit_licence_covers_training_ai_from_its_september_16_2024_terms(lookup):
    clause = "reddit.user-agreement.content-licence"
    before = lookup.clause_in_force(clause, at("2024-09-15"))
    after = lookup.clause_in_force(clause, at("2024-09-16"))
    assert before.version.parameters["covers_ai_training"] is False
    assert after.version.parameters["covers_ai_training"] is True
    assert after.document_version.version.published.isoformat() == "2024-08-17"


def test_threads_scraping_ban_is_recorded_from_the_first_full_capture(lookup):
    found = lookup.clause_in_force("threads.terms-of-use.scraping-prohibition", at("2024-08-30"))
    assert found.version.source.commit == "974e32734be32495b1fa0a5b668e24651cb098b6"
