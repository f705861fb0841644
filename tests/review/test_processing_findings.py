"""Findings from X's data-processing page: the EU/EFTA/UK legal basis of the processing that
bears on each purpose, the business-partner sharing setting for resale or advertising, X for
web data not collected in the EU or EEA, and the training opt-out's scope in X's words."""

from __future__ import annotations

from calculator.review import review
from tests.review.helpers import VENDOR, cited, only, profile

PURPOSES = "x.data-processing.processing-purposes"
SHARING = "x.data-processing.business-partner-sharing"
X_FOR_WEB = "x.data-processing.x-for-web-data"
GENERATIVE = "x.data-processing.generative-ai-training-opt-out"
PARTNER_OPTION = "x.privacy-policy.partner-sharing-setting"

ADVERTISER = profile(VENDOR, channel="licensed_vendor", purposes=["advertising"],
                     period={"start": "2025-01-01", "end": "2025-03-01"})


def test_advertising_on_eu_users_data_is_told_x_rests_personalized_ads_on_consent():
    finding = only(review(ADVERTISER), "eu.legal-basis")
    assert finding.severity == "warning"  # a consent-based row bears on the purpose
    assert cited(finding) == {PURPOSES: ["2023-09-25"]}
    rows = {row["row"]: row for row in finding.facts["rows"]}
    assert rows["personalized-advertising"]["legal_bases_eu"] == ["consent"]
    assert rows["advertising"]["legal_bases_eu"] == ["legitimate-interests"]
    assert "Cookie data" in rows["personalized-advertising"]["data"]
    assert '"Personalized advertising: advertising we show you on and off X' in finding.detail
    assert finding.citations[0].quote.startswith("For data from the European Union")


def test_no_eu_legal_basis_finding_without_users_in_the_eu_efta_or_uk():
    result = review(profile(ADVERTISER, user_regions=["rest-of-world"]))
    assert result.findings_with("eu.legal-basis") == []
    assert result.findings_with("eu.data-not-collected") == []


def test_ai_training_on_eu_users_data_cites_the_legitimate_interests_summary():
    finding = only(review(profile(VENDOR, period={"start": "2025-01-01", "end": "2025-02-01"})),
                   "eu.legal-basis")
    assert cited(finding) == {GENERATIVE: ["2024-07-25"]}
    assert finding.facts["rows"][0]["legal_bases_eu"] == ["legitimate-interests"]
    assert finding.severity == "info"


def test_a_purpose_no_row_bears_on_is_said_to_be_outside_the_rules_not_guessed():
    result = review(profile(ADVERTISER, purposes=["research"]))
    assert result.findings_with("eu.legal-basis") == []
    assert "EU/EFTA/UK legal basis for research" in [g.topic for g in result.not_in_rules]


def sharing(result, clause: str):
    return next(f for f in result.findings_with("sharing.business-partners")
                if f.facts["clause"] == clause)


def test_resale_of_eu_users_data_is_told_the_business_partner_setting_by_its_exact_name():
    finding = sharing(review(profile(ADVERTISER, purposes=["resale"])), SHARING)
    assert finding.severity == "warning"
    assert finding.facts["setting"] == "Allow additional information sharing with business partners"
    assert finding.facts["required_in"] == ["eu-efta-uk"]
    assert cited(finding) == {SHARING: ["2023-09-25"]}
    assert "“Allow additional information sharing with business partners” setting" in \
        finding.citations[0].quote


def test_the_setting_is_context_only_when_no_user_is_where_the_words_require_it():
    finding = sharing(review(profile(ADVERTISER, user_regions=["rest-of-world"])), SHARING)
    assert finding.severity == "info"


def test_the_privacy_policy_option_controls_partner_sharing_for_every_user():
    result = review(profile(ADVERTISER, user_regions=["rest-of-world"]))
    finding = sharing(result, PARTNER_OPTION)
    assert finding.severity == "warning"
    assert finding.facts["setting"] == "Data sharing with business partners"
    assert cited(finding) == {PARTNER_OPTION: ["2023-05-18"]}
    assert len(result.findings_with("sharing.business-partners")) == 2


def test_research_alone_gets_no_business_partner_finding():
    result = review(profile(ADVERTISER, purposes=["research"]))
    assert result.findings_with("sharing.business-partners") == []


def test_eu_users_are_told_x_does_not_collect_x_for_web_data_from_eu_or_eea_browsers():
    finding = only(review(ADVERTISER), "eu.data-not-collected")
    assert cited(finding) == {X_FOR_WEB: ["2023-09-25"]}
    assert "European Union or the European Economic Area" in finding.title


def test_the_platform_training_opt_out_states_its_scope_and_protected_posts_in_x_words():
    finding = only(review(profile(VENDOR, period={"start": "2025-01-01", "end": "2025-02-01"})),
                   "ai.platform-training-opt-out")
    assert "their public post data being used to train an underlying generative model" in \
        finding.detail
    assert "protected (followers-only) and deleted posts" in finding.detail
    assert any("“protect” (limit to a followers-only audience)" in passage
               for passage in finding.citations[0].context)


def test_the_help_center_article_on_partnerships_is_recorded_as_unknown_not_invented():
    result = review(profile(ADVERTISER, purposes=["resale"]))
    topics = [g.topic for g in result.not_in_rules]
    assert 'X Help Center article "Additional information sharing with business partners"' in \
        topics


def test_a_platform_without_a_processing_table_gives_a_gap_for_eu_users_not_a_finding():
    result = review(profile(ADVERTISER, platform="reddit", region="rest-of-world"))
    assert result.findings_with("eu.legal-basis") == []
    assert "EU/EFTA/UK legal basis for advertising" in [g.topic for g in result.not_in_rules]
