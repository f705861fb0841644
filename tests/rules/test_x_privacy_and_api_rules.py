"""X's Privacy Policy, data-processing page, Developer Agreement and Policy, and API pricing:
which version applied before, at and after each change (legal-facts sections 1.2 to 1.5)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from calculator.errors import NotInForce
from calculator.rules import RuleLookup, load_ruleset
from calculator.timeutil import parse_instant

REGIONS = ["rest-of-world", "eu-efta-uk"]

PRIVACY = "x.privacy-policy"
RETENTION = f"{PRIVACY}.retention-schedule"
DATA_PROCESSING = "x.data-processing"
VERIFICATION = f"{DATA_PROCESSING}.identity-verification"
GENERATIVE_OPT_OUT = f"{DATA_PROCESSING}.generative-ai-training-opt-out"
AGREEMENT = "x.developer-agreement"
PRICING = "x.api-pricing"
TIERS = f"{PRICING}.subscription-tiers"
PAY_PER_USE = f"{PRICING}.pay-per-use"


@pytest.fixture(scope="module")
def rules() -> RuleLookup:
    return RuleLookup(load_ruleset())


def at(text: str):
    return parse_instant(text)


def periods(answer) -> dict[str, str]:
    return {c["category"]: c["period"] for c in answer.version.parameters["categories"]}


def tiers(answer) -> dict[str, dict]:
    return {t["name"]: t for t in answer.version.parameters["tiers"]}


# -- Privacy Policy: AI training ---------------------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_the_may_2023_policy_had_no_sentence_on_training_x_models(rules, region):
    with pytest.raises(NotInForce) as caught:
        rules.clause_in_force(f"{PRIVACY}.ai-training", at("2023-09-28T23:59:59Z"), region)
    assert caught.value.extensions["first_in_force"] == "2023-09-29T00:00:00Z"
    assert "2023-05-18" in caught.value.detail


@pytest.mark.parametrize("region", REGIONS)
def test_from_2023_09_29_x_may_train_its_models_on_collected_and_public_information(
        rules, region):
    answer = rules.clause_in_force(f"{PRIVACY}.ai-training", at("2023-09-29"), region)
    assert answer.version.date.isoformat() == "2023-09-29"
    assert answer.version.quote.startswith(
        "We may use the information we collect and publicly available information to help "
        "train our machine learning or artificial intelligence models")
    assert answer.version.parameters["trainer"] == "platform"
    assert answer.in_force.end is None  # unchanged through the January 15, 2026 version


def test_third_party_collaborators_could_train_their_own_ai_only_from_2024_11_15(rules):
    clause = f"{PRIVACY}.third-party-collaborators"
    with pytest.raises(NotInForce) as caught:
        rules.clause_in_force(clause, at("2024-11-14T23:59:59.999999Z"), "rest-of-world")
    assert caught.value.extensions["first_in_force"] == "2024-11-15T00:00:00Z"
    assert "2023-09-29" in caught.value.detail  # the version that verifiably lacked it
    answer = rules.clause_in_force(clause, at("2024-11-15"), "rest-of-world")
    parameters = answer.version.parameters
    assert parameters["trainer"] == "third-parties"
    assert parameters["opt_out"] is True
    assert parameters["opt_out_setting"] is None  # the policy names no setting
    assert "X’s Privacy Policy" in answer.version.quote  # curly apostrophe kept
    topics = " ".join(topic for topic, _ in rules.document(PRIVACY).unknowns)
    assert "third-party collaborators" in topics


# -- Privacy Policy: retention -----------------------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_until_2024_11_15_other_personal_data_was_kept_at_most_eighteen_months(rules, region):
    answer = rules.clause_in_force(RETENTION, at("2024-11-14T23:59:59Z"), region)
    assert answer.version.date.isoformat() == "2023-05-18"  # the same words as September 2023
    assert periods(answer) == {
        "profile-information-and-content": "life-of-account",
        "other-personal-data": "P18M",
        "suspended-account-identifiers": "indefinite",
    }
    assert answer.in_force.end == at("2024-11-15")


def test_the_november_2024_schedule_drops_the_general_cap_and_keeps_ads_data_ninety_days(rules):
    answer = rules.clause_in_force(RETENTION, at("2024-11-15"), "rest-of-world")
    assert "other-personal-data" not in periods(answer)
    assert periods(answer) == {
        "profile-information": "life-of-account",
        "usage-information": "life-of-account-or-until-removed",
        "payment-information": "while-using-paid-services",
        "communications-with-x": "P18M",
        "cookies": "P13M",
        "ad-interactions": "P90D",
        "partner-data": "P90D",
        "suspended-account-identifiers": "indefinite",
    }
    assert answer.in_force.start == at("2024-11-15")
    assert answer.in_force.end == at("2025-07-28")


@pytest.mark.parametrize("region", REGIONS)
def test_on_2025_07_28_ad_interaction_retention_became_twelve_months(rules, region):
    before = rules.clause_in_force(RETENTION, at("2025-07-27T23:59:59.999999Z"), region)
    after = rules.clause_in_force(RETENTION, at("2025-07-28"), region)
    assert periods(before)["ad-interactions"] == "P90D"
    assert periods(before)["partner-data"] == "P90D"
    assert periods(after)["ad-interactions"] == "P12M"
    assert periods(after)["partner-data"] == "P12M"
    unchanged = {k: v for k, v in periods(after).items()
                 if k not in ("ad-interactions", "partner-data")}
    assert unchanged == {k: v for k, v in periods(before).items()
                         if k not in ("ad-interactions", "partner-data")}
    quotes = {c["category"]: c["quote"] for c in after.version.parameters["categories"]}
    assert quotes["partner-data"] == (
        "We keep information shared by ad and business partners for up to 12 months.")


def test_the_january_2026_policy_keeps_the_twelve_month_schedule(rules):
    answer = rules.clause_in_force(RETENTION, at("2026-03-01"), "rest-of-world")
    # A new clause version only for a comma in the reasons to keep data longer.
    assert answer.version.date.isoformat() == "2026-01-15"
    assert "legal claims, litigation, and regulatory matters" in answer.version.context
    assert answer.document_version.version.date.isoformat() == "2026-01-15"
    assert periods(answer)["ad-interactions"] == "P12M"
    assert answer.in_force.end is None


def test_the_changes_of_summer_2025_show_ninety_days_becoming_twelve_months(rules):
    changes = rules.changes(PRIVACY, at("2025-07-01"), at("2025-08-01"), "rest-of-world")
    changed = {c.clause.key: c for c in changes.clauses}
    assert set(changed) == {"retention-schedule"}
    words = changed["retention-schedule"].words
    assert any("90 days" in w.old and "12 months" in w.new for w in words)
    assert [p.name for p in changed["retention-schedule"].parameters] == ["categories"]


def test_the_transient_march_13_2024_date_is_an_unknown_not_a_version(rules):
    document = rules.document(PRIVACY)
    assert [v.date.isoformat() for v in document.versions] == [
        "2023-05-18", "2023-09-29", "2024-11-15", "2025-07-28", "2026-01-15"]
    assert any("March 13, 2024" in topic for topic, _ in document.unknowns)
    in_force = rules.document_version_in_force(PRIVACY, at("2024-03-22"), "rest-of-world")
    assert in_force.version.date.isoformat() == "2023-09-29"


def test_age_estimation_and_age_assurance_providers_were_added_on_2026_01_15(rules):
    clause = f"{PRIVACY}.age-and-identity"
    before = rules.clause_in_force(clause, at("2026-01-14"), "eu-efta-uk")
    after = rules.clause_in_force(clause, at("2026-01-15"), "eu-efta-uk")
    assert before.version.date.isoformat() == "2024-11-15"
    assert after.version.context == (
        "estimating or verifying your age as may be required under law",
        "service providers supporting age assurance solutions")
    with pytest.raises(NotInForce):
        rules.clause_in_force(clause, at("2024-11-14"), "eu-efta-uk")


def test_biometric_information_is_collected_on_consent_from_2023_09_29(rules):
    clause = f"{PRIVACY}.biometric-information"
    with pytest.raises(NotInForce):
        rules.clause_in_force(clause, at("2023-09-28"), "rest-of-world")
    answer = rules.clause_in_force(clause, at("2023-09-29"), "rest-of-world")
    assert answer.version.quote.startswith("Based on your consent")


def test_x_charges_licensing_fees_for_large_scale_api_access_from_september_2023(rules):
    answer = rules.clause_in_force(f"{PRIVACY}.api-licensing", at("2025-01-01"), "rest-of-world")
    assert answer.version.date.isoformat() == "2023-09-29"
    assert answer.version.quote.endswith("charge licensing fees for large-scale access.")


# -- Data-processing page (no printed date) ----------------------------------------------------


def test_every_data_processing_version_is_dated_by_its_first_capture(rules):
    versions = rules.document(DATA_PROCESSING).versions
    assert {v.dating for v in versions} == {"observed"}
    assert [(v.date.isoformat(), v.last_absent.isoformat()) for v in versions] == [
        ("2023-09-25", "2023-09-20"), ("2024-05-23", "2024-04-17"),
        ("2024-07-25", "2024-06-26"), ("2026-06-29", "2025-10-23")]


def test_version_a_deleted_id_images_after_72_hours_and_extracted_data_after_30_days(rules):
    answer = rules.clause_in_force(VERIFICATION, at("2024-01-01"), "eu-efta-uk")
    items = {i["data"]: i["period"] for i in answer.version.parameters["items"]}
    assert items == {"selfie": "soon-after-processing", "id-image": "PT72H",
                     "extracted-data": "P30D"}
    assert answer.version.parameters["processor"] == "Au10tix"
    assert answer.version.parameters["legal_basis_eu"] == "Consent"
    assert any("deleted after for 30 days" in c for c in answer.version.context)  # sic


def test_from_2024_05_23_id_data_images_and_selfies_are_kept_30_days_and_programme_data_longer(
        rules):
    before = rules.clause_in_force(VERIFICATION, at("2024-05-22T23:59:59Z"), "rest-of-world")
    after = rules.clause_in_force(VERIFICATION, at("2024-05-23"), "rest-of-world")
    assert before.version.date.isoformat() == "2023-09-25"
    items = {i["data"]: i["period"] for i in after.version.parameters["items"]}
    assert items == {"extracted-data": "P30D", "id-image": "P30D", "selfie": "P30D",
                     "programme-identity-data": "while-in-programme"}
    assert after.version.parameters["processor"] == "Au10tix"


def test_the_identity_verification_processor_became_persona_on_2026_06_29(rules):
    before = rules.clause_in_force(VERIFICATION, at("2026-06-28"), "rest-of-world")
    after = rules.clause_in_force(VERIFICATION, at("2026-06-29"), "rest-of-world")
    assert before.version.parameters["processor"] == "Au10tix"
    assert after.version.parameters["processor"] == "Persona"
    assert after.version.parameters["items"] == before.version.parameters["items"]


def test_the_generative_ai_training_opt_out_is_first_seen_on_2024_07_25(rules):
    with pytest.raises(NotInForce) as caught:
        rules.clause_in_force(GENERATIVE_OPT_OUT, at("2024-07-24T23:59:59Z"), "eu-efta-uk")
    assert caught.value.extensions["first_in_force"] == "2024-07-25T00:00:00Z"
    answer = rules.clause_in_force(GENERATIVE_OPT_OUT, at("2024-07-25"), "eu-efta-uk")
    assert answer.version.parameters == {
        "trainer": "platform",
        "models": ("machine learning and artificial intelligence models, including generative "
                   "models"),
        "opt_out": True,
        "opt_out_setting": None,
        "opt_out_scope": ("their public post data being used to train an underlying generative "
                          "model"),
        "protected_posts_excluded": True,
        "legal_basis_eu": "legitimate-interests",
    }
    assert answer.document_version.version.dating == "observed"
    assert any("opt-out" in topic for topic, _ in rules.document(DATA_PROCESSING).unknowns)


# -- Developer Agreement and Developer Policy --------------------------------------------------


def test_the_developer_agreement_versions_follow_the_printed_last_updated_dates(rules):
    versions = rules.document(AGREEMENT).versions
    printed = [v.date.isoformat() for v in versions if v.dating == "printed"]
    assert printed == ["2023-11-14", "2024-10-11", "2024-11-20", "2025-06-04", "2025-10-17",
                       "2026-04-27"]
    # Between, the page changed the bundled PPU agreement while still printing October 17, 2025.
    observed = [(v.date.isoformat(), v.printed_date.isoformat()) for v in versions
                if v.dating == "observed"]
    assert observed == [("2026-02-21", "2025-10-17"), ("2026-03-10", "2025-10-17"),
                        ("2026-04-17", "2025-10-17")]


def test_x_caps_its_developer_liability_at_fifty_dollars_in_every_version(rules):
    history = rules.clause_history(f"{AGREEMENT}.liability-cap", "rest-of-world").entries
    assert len(history) == 1
    entry = history[0]
    assert entry.in_force.start == at("2023-11-14") and entry.in_force.end is None
    assert entry.version.parameters["amount"] == Decimal("50.00")
    assert entry.version.parameters["rule"] == "fixed"


def test_the_foundation_model_training_ban_applies_from_2025_06_04(rules):
    clause = f"{AGREEMENT}.model-training-ban"
    with pytest.raises(NotInForce) as caught:
        rules.clause_in_force(clause, at("2025-06-03T23:59:59.999999Z"), "rest-of-world")
    assert caught.value.extensions["first_in_force"] == "2025-06-04T00:00:00Z"
    assert "2024-11-20" in caught.value.detail
    answer = rules.clause_in_force(clause, at("2025-06-04"), "rest-of-world")
    assert answer.version.quote == (
        "(k) use the X API or X Content to fine-tune or train a foundation or frontier model")
    assert answer.version.parameters["applies_to"] == ["api", "content"]
    assert answer.in_force.end is None


def test_developer_agreement_disputes_go_to_texas_courts_from_2024_10_11(rules):
    clause = f"{AGREEMENT}.governing-law"
    with pytest.raises(NotInForce):  # the California version has no quoted words
        rules.clause_in_force(clause, at("2024-01-01"), "rest-of-world")
    answer = rules.clause_in_force(clause, at("2024-10-11"), "rest-of-world")
    assert answer.version.parameters["law"] == "State of Texas"
    assert "Northern District of Texas" in answer.version.parameters["venue"]


def test_the_developer_agreement_has_no_liquidated_damages(rules):
    document = rules.document(AGREEMENT)
    assert all(c.kind != "liquidated-damages" for c in document.clauses)
    assert "liquidated" in document.note


def test_pay_per_use_credits_are_in_the_2026_02_21_capture_as_the_ppu_pilot_agreement(rules):
    clause = f"{AGREEMENT}.pay-per-use-credits"
    with pytest.raises(NotInForce) as caught:
        rules.clause_in_force(clause, at("2026-02-20"), "rest-of-world")
    assert caught.value.slug == "not-in-force"  # the 2025-10-17 version was read for it
    answer = rules.clause_in_force(clause, at("2026-02-21"), "rest-of-world")
    assert answer.version.quote.startswith("“Credits” means virtual units purchased by you")
    assert "X Developer PPU Pilot Agreement" in answer.version.context
    assert answer.document_version.version.source.commit == (
        "a094054ce676b7744adfa6fff5250cc5a4dc9768")
    assert "2025-10-23" in answer.document_version.version.note  # in X's docs from then


def test_the_developer_policy_sends_use_beyond_free_basic_and_pro_to_enterprise(rules):
    answer = rules.clause_in_force("x.developer-policy.plan-scope", at("2026-03-01"),
                                   "rest-of-world")
    assert answer.version.quote.endswith(
        "you must apply (or already subscribe to) an Enterprise plan")
    assert answer.document_version.version.source.commit == (
        "a094054ce676b7744adfa6fff5250cc5a4dc9768")


# -- API pricing -------------------------------------------------------------------------------


def test_api_pricing_versions_are_docs_commits_not_effective_dates(rules):
    document = rules.document(PRICING)
    assert {v.dating for v in document.versions} == {"observed"}
    assert {v.source.archive for v in document.versions} == {"xdevplatform/docs"}
    assert "not necessarily" in document.note


def test_in_december_2024_basic_cost_100_dollars_and_read_10000_posts(rules):
    answer = rules.clause_in_force(TIERS, at("2024-12-12"), "rest-of-world")
    by_name = tiers(answer)
    assert by_name["Free"]["monthly_post_reads"] == 0
    assert by_name["Free"]["monthly_post_writes"] == 1500
    assert by_name["Basic"]["monthly_price"] == Decimal("100.00")
    assert by_name["Basic"]["monthly_post_reads"] == 10_000
    assert by_name["Basic"]["monthly_post_writes"] == 3000
    assert by_name["Pro"]["monthly_price"] == Decimal("5000.00")
    assert by_name["Pro"]["monthly_post_reads"] == 1_000_000
    assert by_name["Pro"]["monthly_post_writes"] == 300_000
    assert by_name["Enterprise"]["monthly_price"] is None
    assert by_name["Enterprise"]["monthly_post_reads"] == 50_000_000
    assert by_name["Enterprise"]["monthly_post_reads_at_least"] is True


def test_the_docs_show_basic_at_200_dollars_from_2025_05_07_utc(rules):
    # Committed 2025-05-06 21:00 US Pacific time: 2025-05-07 in UTC, as captures are dated.
    before = rules.clause_in_force(TIERS, at("2025-05-06T23:59:59Z"), "rest-of-world")
    after = rules.clause_in_force(TIERS, at("2025-05-07"), "rest-of-world")
    assert tiers(before)["Basic"]["monthly_price"] == Decimal("100.00")
    assert tiers(after)["Basic"]["monthly_price"] == Decimal("200.00")
    assert tiers(after)["Basic"]["monthly_post_reads"] == 15_000
    assert tiers(after)["Free"]["monthly_post_reads"] == 100
    assert tiers(after)["Pro"]["monthly_price"] == Decimal("5000.00")
    topics = " ".join(topic for topic, _ in rules.document(PRICING).unknowns)
    assert "$100 to $200" in topics  # the October 2024 date is secondary only
    assert "Enterprise price" in topics


def test_basic_and_pro_became_legacy_on_2026_02_06_and_left_the_docs_on_2026_05_05(rules):
    with pytest.raises(NotInForce):  # the tier table left the docs on 2026-01-17
        rules.clause_in_force(TIERS, at("2026-01-20"), "rest-of-world")
    legacy = rules.clause_in_force(TIERS, at("2026-02-06"), "rest-of-world")
    assert {n for n, t in tiers(legacy).items() if t["legacy"]} == {"Basic", "Pro"}
    assert all(t["monthly_price"] is None for t in tiers(legacy).values())
    with pytest.raises(NotInForce) as caught:
        rules.clause_in_force(TIERS, at("2026-05-05"), "rest-of-world")
    assert caught.value.extensions["last_in_force"] == "2026-05-05T00:00:00Z"


def test_pay_per_use_appears_in_the_docs_on_2026_01_17_without_published_rates(rules):
    with pytest.raises(NotInForce) as caught:
        rules.clause_in_force(PAY_PER_USE, at("2026-01-16T23:59:59Z"), "rest-of-world")
    assert caught.value.extensions["first_in_force"] == "2026-01-17T00:00:00Z"
    answer = rules.clause_in_force(PAY_PER_USE, at("2026-01-17"), "rest-of-world")
    assert answer.version.parameters["rates"] == []
    assert answer.version.parameters["monthly_post_read_cap"] is None
    assert answer.version.parameters["deduplication"] == "within a 24-hour UTC day window"
    assert answer.version.quote == "No subscriptions, no monthly caps"


def test_pay_per_use_post_reads_were_capped_at_two_then_three_million_a_month(rules):
    caps = [(e.version.date.isoformat(), e.version.parameters.get("monthly_post_read_cap"))
            for e in rules.clause_history(PAY_PER_USE, "rest-of-world").entries
            if e.version.present]
    # The docs dropped the 2 million sentence on 2026-04-01 and stated it again on 2026-07-16.
    assert caps == [("2026-01-17", None), ("2026-02-17", 2_000_000), ("2026-04-01", None),
                    ("2026-04-21", None), ("2026-06-19", None), ("2026-07-16", 2_000_000),
                    ("2026-08-13", 3_000_000)]


def test_from_2026_04_21_a_post_read_costs_half_a_cent_per_resource(rules):
    answer = rules.clause_in_force(PAY_PER_USE, at("2026-04-21"), "rest-of-world")
    rates = {r["resource"]: (r["price"], r["unit"]) for r in answer.version.parameters["rates"]}
    assert rates == {
        "posts-read": (Decimal("0.005"), "resource"),
        "users-read": (Decimal("0.010"), "resource"),
        "dm-events-read": (Decimal("0.010"), "resource"),
        "follows-read": (Decimal("0.010"), "resource"),
        "trends-read": (Decimal("0.010"), "resource"),
        "content-create": (Decimal("0.015"), "request"),
        "content-create-with-url": (Decimal("0.200"), "request"),
        "owned-reads": (Decimal("0.001"), "resource"),
    }
    assert answer.in_force.end == at("2026-06-19")
