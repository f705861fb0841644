"""What a review finds, by legal intent: the terms in force and every change, scraping, AI
training bans and opt-outs, retention, forum; each finding cited to the rules' words."""

from __future__ import annotations

import pytest

from calculator.review import SEVERITIES, review
from tests.review.helpers import (
    ACROSS_2026_01_15,
    CHANNELS,
    SPANNING,
    VENDOR,
    cited,
    only,
    profile,
)

DAMAGES = "x.terms-of-service.liquidated-damages"
SCRAPING = "x.terms-of-service.scraping-prohibition"
TRAINING_BAN = "x.developer-agreement.model-training-ban"
THIRD_PARTIES = "x.privacy-policy.third-party-collaborators"
GENERATIVE = "x.data-processing.generative-ai-training-opt-out"


def changes_of(result, document: str) -> dict[str, object]:
    """The change findings of one document, by the date the version took effect."""
    return {f.date.isoformat(): f for f in result.findings_with("terms.changed-during-collection")
            if f.facts["document"] == document}


def test_a_collection_from_october_2024_to_january_2025_crosses_the_damages_clause_coming_into_force():  # noqa: E501
    result = review(VENDOR)
    at_start = next(f for f in result.findings_with("terms.in-force-at-start")
                    if f.facts["document"] == "x.terms-of-service")
    assert at_start.facts["version"].isoformat() == "2023-09-29"
    assert DAMAGES not in cited(at_start)  # no damages clause when collection started
    change = changes_of(result, "x.terms-of-service")["2024-11-15"]
    assert change.severity == "warning"
    assert "Liquidated damages added" in change.title
    damages = next(c for c in change.facts["changes"] if c["clause"] == DAMAGES)
    assert (damages["change"], damages["old_version"], damages["new_version"].isoformat()) == (
        "added", None, "2024-11-15")
    citation = next(c for c in change.citations if c.clause == DAMAGES)
    assert citation.quote.endswith("in any 24-hour period - $15,000 USD per 1,000,000 posts.")
    assert citation.in_force.start.isoformat() == "2024-11-15T00:00:00+00:00"


def test_a_collection_across_2026_01_15_names_the_knowingly_facilitate_version():
    result = review(ACROSS_2026_01_15)
    change = changes_of(result, "x.terms-of-service")["2026-01-15"]
    assert 'Liquidated damages changed (adds "knowingly")' in change.title
    damages = next(c for c in change.facts["changes"] if c["clause"] == DAMAGES)
    assert (damages["old_version"].isoformat(), damages["new_version"].isoformat()) == (
        "2024-11-15", "2026-01-15")
    assert {"op": "insert", "old": "", "new": "knowingly"} in damages["words"]
    citation = next(c for c in change.citations if c.clause == DAMAGES)
    assert "knowingly facilitate" in " ".join(citation.context)


@pytest.mark.parametrize("crossing", sorted(SPANNING))
@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_is_told_the_right_clause_versions_with_their_words(crossing, channel):
    result = review(profile(SPANNING[crossing], channel=channel))
    tos = changes_of(result, "x.terms-of-service")[crossing]
    assert cited(tos)[DAMAGES] == [crossing]
    assert all(c.quote for c in tos.citations)
    scraping = result.findings_with("scraping.prohibited")
    projected = result.findings_with("damages.projected")
    if channel == "scraping":
        assert [f.severity for f in scraping] == ["high"]
        assert cited(scraping[0]) == {SCRAPING: ["2023-09-29"]}
        assert "without our prior written consent is expressly prohibited" in \
            scraping[0].citations[0].quote
        assert projected and projected[0].severity == "high"
        assert tos.severity == "warning"  # the damages clause bears on a scraper
    elif channel == "licensed_vendor":
        assert [f.severity for f in scraping] == ["warning"]
        assert "does not say how the vendor collected" in scraping[0].title
        assert not projected
    else:
        assert not scraping and not projected
    assert result.findings_with("licence.cost")
    assert result.findings_with("forum.governing-law")


def test_official_api_use_for_model_training_after_2025_06_04_is_flagged_with_the_developer_agreement_words():  # noqa: E501
    result = review(profile(ACROSS_2026_01_15, channel="official_api"))
    finding = only(result, "ai.model-training-ban")
    assert finding.severity == "high"
    assert finding.citations[0].clause == TRAINING_BAN
    assert finding.citations[0].version.isoformat() == "2025-06-04"
    assert finding.citations[0].quote == ("(k) use the X API or X Content to fine-tune or train "
                                          "a foundation or frontier model")
    assert result.findings[0] is finding  # high, and first


def test_the_training_ban_coming_into_force_mid_collection_is_dated_when_it_did():
    result = review(profile(VENDOR, channel="official_api",
                            period={"start": "2025-05-01", "end": "2025-07-01"}))
    finding = only(result, "ai.model-training-ban")
    assert finding.date.isoformat() == "2025-06-04"
    assert "absent in the version of 2024-11-20" in finding.detail


def test_official_api_training_on_a_collection_before_2025_06_04_is_told_the_ban_restricts_use():
    result = review(profile(VENDOR, channel="official_api"))
    assert not result.findings_with("ai.model-training-ban")
    finding = only(result, "ai.model-training-ban-after-collection")
    assert finding.severity == "warning"
    assert "restrict use, not collection" in finding.detail
    assert cited(finding) == {TRAINING_BAN: ["2025-06-04"]}


def test_the_developer_agreement_ban_is_not_put_on_a_scraper_or_on_research():
    scraper = review(profile(ACROSS_2026_01_15, channel="scraping"))
    assert not scraper.findings_with("ai.model-training-ban")
    research = review(profile(ACROSS_2026_01_15, channel="official_api",
                              purposes=["research"]))
    assert not research.findings_with("ai.model-training-ban")
    assert not research.findings_with("ai.third-party-training-opt-out")


def test_training_on_users_who_opted_out_of_third_party_training_is_flagged_from_2024_11_15():
    result = review(VENDOR)  # opted-out users not excluded
    finding = only(result, "ai.third-party-training-opt-out")
    assert finding.severity == "warning"
    assert finding.date.isoformat() == "2024-11-15"
    assert finding.citations[0].clause == THIRD_PARTIES
    assert finding.citations[0].quote.startswith("If you do not opt out, in some instances the "
                                                 "recipients of the information may use it")
    assert "do not name the opt-out setting (unknown)" in finding.detail


def test_excluding_opted_out_users_turns_the_opt_out_findings_into_context():
    result = review(profile(VENDOR, opted_out_users_excluded=True))
    assert only(result, "ai.third-party-training-opt-out").severity == "info"
    assert only(result, "ai.platform-training-opt-out").severity == "info"
    unstated = review(profile(VENDOR, opted_out_users_excluded=None))
    assert "does not say whether users who opted out" in only(
        unstated, "ai.third-party-training-opt-out").title


def test_the_third_party_opt_out_is_not_claimed_before_the_policy_had_it():
    result = review(profile(VENDOR, period={"start": "2024-08-01", "end": "2024-11-01"}))
    assert not result.findings_with("ai.third-party-training-opt-out")


def test_the_generative_model_training_opt_out_is_cited_with_its_link_and_unknown_setting():
    finding = only(review(VENDOR), "ai.platform-training-opt-out")
    citation = finding.citations[0]
    assert (citation.clause, citation.version.isoformat()) == (GENERATIVE, "2024-07-25")
    assert any("opt out of their public post data being used to train an underlying "
               "generative model" in passage for passage in citation.context)
    assert "not stated in them" in finding.detail  # X's opt-out is of X's own training


def test_retention_is_the_platforms_own_period_for_each_category_in_the_profile():
    result = review(profile(VENDOR, data_categories=["public_posts", "direct_messages",
                                                     "identity_verification_data"]))
    posts = only(result, "retention.platform-period")
    assert posts.facts["category"] == "public_posts"
    assert [c.quote for c in posts.citations] == [
        "We keep your profile information and content for the duration of your account.",
        "for the duration of your account or until such content is removed"]
    verification = only(result, "retention.identity-verification")
    assert verification.severity == "warning"  # P2Y is longer than X's 30 days
    assert "for up to 30 days" in verification.detail
    assert "processor Au10tix" in verification.detail
    # Version B's capture gives "Consent" as the EU, EFTA and UK legal basis.
    assert "legal basis for users in the EU, EFTA States and the UK: Consent" in \
        verification.detail
    assert any(g.topic == "Retention of direct messages" for g in result.not_in_rules)


def test_identity_verification_data_after_2026_06_29_names_the_new_processor():
    result = review(profile(VENDOR, channel="official_api", purposes=["research"],
                            data_categories=["identity_verification_data"], retention="P30D",
                            period={"start": "2026-06-01", "end": "2026-08-01"}))
    finding = only(result, "retention.identity-verification")
    assert finding.severity == "info"  # 30 days is not longer than 30 days
    assert [c.version.isoformat() for c in finding.citations] == ["2024-05-23", "2026-06-29"]
    assert "processor Persona" in finding.detail


def test_forum_law_and_time_limit_are_given_for_counsel():
    result = review(VENDOR)
    law = next(f for f in result.findings_with("forum.governing-law")
               if f.citations[0].document == "x.terms-of-service")
    assert "from State of California to State of Texas" in law.title
    assert cited(law) == {"x.terms-of-service.governing-law": ["2023-09-29", "2024-11-15"]}
    limit = only(result, "forum.claims-time-limit")
    assert limit.citations[0].quote.startswith("you must initiate any proceeding or action "
                                               "within one (1) year")
    later = only(review(ACROSS_2026_01_15), "forum.claims-time-limit")
    assert "federal claims 1 year, state claims 2 years" in later.title


def test_the_eu_part_projects_in_euros_and_names_irish_courts():
    result = review(profile(VENDOR, region="eu-efta-uk"))
    assert result.projection.currency == "EUR"
    assert "€15,000 EUR per 1,000,000 posts" in only(result, "damages.projected").citations[0].quote
    law = next(f for f in result.findings_with("forum.governing-law")
               if f.citations[0].document == "x.terms-of-service")
    assert "a competent court in Ireland" in law.title
    assert not result.findings_with("forum.claims-time-limit")  # none recorded for this part
    assert any("Time limit" in g.topic for g in result.not_in_rules)


def test_a_platform_without_a_damages_clause_is_reviewed_from_what_its_rules_hold():
    result = review(profile(VENDOR, platform="reddit", region=None))
    prohibited = only(result, "scraping.prohibited")
    assert prohibited.severity == "high"
    assert "put no amount on a breach, and the rules hold no clause" in prohibited.detail
    assert not result.findings_with("damages.projected")
    assert not result.findings_with("licence.cost")
    assert result.projection is None and result.licensed is None
    topics = [g.topic for g in result.not_in_rules]
    assert "Liquidated damages" in topics and "API prices" in topics
    # Reddit's Developer Terms reach crawling too; they are cited, as developer terms.
    ban = only(result, "ai.model-training-ban")
    assert ban.severity == "warning"
    assert ban.citations[0].clause == "reddit.developer-terms.model-training-ban"


def test_findings_are_ordered_by_severity_then_date():
    for base in (VENDOR, ACROSS_2026_01_15, profile(VENDOR, channel="official_api")):
        findings = review(base).findings
        keys = [(SEVERITIES.index(f.severity), f.date) for f in findings]
        assert keys == sorted(keys)


@pytest.mark.parametrize("crossing", sorted(SPANNING))
@pytest.mark.parametrize("channel", CHANNELS)
def test_no_finding_without_a_citation_and_nothing_the_rules_do_not_hold(crossing, channel,
                                                                          lookup):
    result = review(profile(SPANNING[crossing], channel=channel))
    for finding in result.findings:
        assert finding.citations, finding.code
        for citation in finding.citations:
            assert citation.source.url or citation.source.archive
            if citation.clause is None:  # a document version with no clause change
                version = next(v for v in lookup.document(citation.document).versions
                               if v.date == citation.version)
                assert version.source == citation.source
                continue
            clause = lookup.clause(citation.clause)
            version = next(v for v in clause.versions if v.date == citation.version
                           and citation.region in v.regions)
            words = {version.quote, *(c["quote"] for c in
                                      version.parameters.get("categories", []))}
            assert citation.quote in words, (finding.code, citation.clause)
            assert citation.source == version.source
            assert tuple(citation.context) in (version.context, ())
