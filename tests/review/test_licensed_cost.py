"""The licensed cost of a profile's volume through X's API, at the prices the rules hold,
month by month (docs/decisions/0032). The hand computations use the numbers in
data/x/api-pricing.yaml."""

from __future__ import annotations

from decimal import Decimal

from calculator.review import review
from tests.review.helpers import VENDOR, only, profile

TIERS = "x.api-pricing.subscription-tiers"
PAY_PER_USE = "x.api-pricing.pay-per-use"


def api_profile(start: str, end: str, volume: dict) -> dict:
    return profile(VENDOR, channel="official_api", purposes=["analytics"],
                   period={"start": start, "end": end}, volume=volume)


def months(result) -> dict[str, dict]:
    return {m["month"]: m for m in only(result, "licence.cost").facts["months"]}


def test_licensed_cost_matches_a_hand_computation_from_the_price_rules():
    # Pay-per-use from 2026-04-21: "| Posts: Read | $0.005 per resource |"; the docs state no
    # monthly cap from 2026-04-01 until 2026-07-16 (2,000,000 Post reads). The tables were
    # renamed on 2026-06-19 with the same rate. 50,000 posts a day from 2026-04-21 to 2026-08-01:
    #   April (21-30):  10 x 50,000 =   500,000 posts x 0.005 =  2,500.00
    #   May:            31 x 50,000 = 1,550,000 posts x 0.005 =  7,750.00
    #   June:           30 x 50,000 = 1,500,000 posts x 0.005 =  7,500.00
    #   July:           31 x 50,000 = 1,550,000 posts x 0.005 =  7,750.00
    # Every month is under the 2,000,000 cap; the legacy Pro package shows no price after
    # 2026-01-17 and is gone from 2026-05-05. Each month is priced by the version in force on
    # its first day.
    rate, cap = Decimal("0.005"), 2_000_000
    posts = {"2026-04": 10 * 50_000, "2026-05": 31 * 50_000, "2026-06": 30 * 50_000,
             "2026-07": 31 * 50_000}
    assert all(n <= cap for n in posts.values())
    result = review(api_profile("2026-04-21", "2026-08-01", {"posts_per_day": 50_000}))
    finding = only(result, "licence.cost")
    by_month = months(result)
    versions = {"2026-04": "2026-04-21", "2026-05": "2026-04-21", "2026-06": "2026-04-21",
                "2026-07": "2026-06-19"}
    for month, n in posts.items():
        choice = by_month[month]["choice"]
        assert (choice["plan"], choice["version"], choice["cost"]) == (
            "pay-per-use", versions[month], f"{rate * n:.2f}")
    total = sum(rate * n for n in posts.values())
    assert total == Decimal("25500.00")
    assert result.licensed.totals == {"USD": total}
    assert result.licensed.complete and finding.severity == "info"
    assert "USD 25,500.00" in finding.title
    assert by_month["2026-05"]["versions_changed_within"] == [f"{TIERS} 2026-05-05"]
    assert TIERS in by_month["2026-06"]["not_recorded"]  # the tier table is gone by June
    # How many months each plan's cap needs for all 5,100,000 posts:
    at_cap = {a["name"]: a for a in finding.facts["months_at_cap"]}
    assert (at_cap["pay-per-use"]["months"], at_cap["pay-per-use"]["cost"]) == (3, "25500.00")
    assert set(at_cap) == {"pay-per-use"}  # no tier shows a price in 2026


def test_subscription_months_take_the_cheapest_tier_whose_read_cap_covers_them():
    # From 2025-05-07: Basic $200/month for 15,000 posts, Pro $5000/month for 1,000,000.
    #   June 2025:   400 a day    =    12,000 posts: Basic,  200.00
    #   July 2025:   30,000 a day =   930,000 posts: Pro,  5,000.00
    #   August 2025: 40,000 a day = 1,240,000 posts: above Pro; Enterprise's price is unknown
    result = review(api_profile("2025-06-01", "2025-09-01", {"schedule": [
        {"start": "2025-06-01", "end": "2025-07-01", "posts_per_day": 400},
        {"start": "2025-07-01", "end": "2025-08-01", "posts_per_day": 30_000},
        {"start": "2025-08-01", "end": "2025-09-01", "posts_per_day": 40_000}]}))
    by_month = months(result)
    assert [(by_month[m]["posts"], by_month[m]["choice"]["name"], by_month[m]["choice"]["cost"])
            for m in ("2025-06", "2025-07")] == [(12_000, "Basic", "200.00"),
                                                 (930_000, "Pro", "5000.00")]
    august = by_month["2025-08"]
    assert august["status"] == "unpriced" and august["choice"] is None
    assert result.licensed.totals == {"USD": Decimal("5200.00")}
    finding = only(result, "licence.cost")
    assert finding.severity == "warning"
    assert "Only 2 of 3 months" in finding.title
    assert "2025-08: 1,240,000 posts, not priced: above every priced subscription cap " \
           "(Pro: 1,000,000 a month)" in finding.detail


def test_the_enterprise_price_is_never_guessed():
    result = review(api_profile("2025-08-01", "2025-09-01", {"posts_per_day": 40_000}))
    enterprise = next(o for o in months(result)["2025-08"]["options"]
                      if o["name"] == "Enterprise")
    assert (enterprise["price"], enterprise["cost"], enterprise["covers"]) == (None, None, True)
    assert "its price is not in the rules (unknown)" in enterprise["note"]
    assert any(g.topic == "Enterprise price" for g in result.not_in_rules)


def test_a_month_above_enterprises_lower_bound_is_not_said_to_be_covered():
    # 2,000,000 a day is 62,000,000 in January 2025; Enterprise is "50+ million Posts per month".
    enterprise = next(o for o in months(review(VENDOR))["2025-01"]["options"]
                      if o["name"] == "Enterprise")
    assert enterprise["covers"] is None
    assert "at least 50,000,000" in enterprise["note"]


def test_no_prices_are_recorded_before_2024_12_12():
    result = review(VENDOR)
    by_month = months(result)
    for month in ("2024-10", "2024-11", "2024-12"):
        assert by_month[month]["status"] == "unpriced"
        assert by_month[month]["not_recorded"] == [TIERS, PAY_PER_USE]
    assert "no prices recorded on 2024-12-01 (first recorded 2024-12-12)" in only(
        result, "licence.cost").detail


def test_a_month_over_the_pay_per_use_cap_cannot_be_bought_that_way():
    # 100,000 a day is 3,100,000 in August 2026, over the 2,000,000 cap in force on its first
    # day (stated again from 2026-07-16; raised to 3,000,000 only from 2026-08-13).
    august = months(review(api_profile("2026-08-01", "2026-09-01",
                                       {"posts_per_day": 100_000})))["2026-08"]
    ppu = next(o for o in august["options"] if o["plan"] == "pay-per-use")
    assert (ppu["covers"], ppu["cost"], ppu["monthly_cap"]) == (False, None, 2_000_000)
    assert august["status"] == "unpriced"


def test_pay_per_use_rates_not_published_are_unknown():
    # From 2026-01-17 the docs say "No subscriptions, no monthly caps" but publish no rate.
    march = months(review(api_profile("2026-03-01", "2026-04-01",
                                      {"posts_per_day": 40_000})))["2026-03"]
    ppu = next(o for o in march["options"] if o["plan"] == "pay-per-use")
    assert (ppu["version"], ppu["price"], ppu["covers"], ppu["cost"]) == (
        "2026-02-17", None, True, None)


def test_the_licence_is_compared_with_the_projected_damages_in_one_currency():
    result = review(VENDOR)
    comparison = only(result, "licence.cost").facts["comparison"]
    assert comparison["damages_headline"] == Decimal("2340000.00")
    # Read within Pro's cap (1,000,000 a month, $5000), 246,000,000 posts take 246 months.
    assert (comparison["cheapest_at_cap"]["name"], comparison["cheapest_at_cap"]["months"],
            comparison["cheapest_at_cap"]["cost"]) == ("Pro", 246, Decimal("1230000"))
    euro = review(profile(VENDOR, region="eu-efta-uk"))
    assert "the rules hold no exchange rate" in only(euro, "licence.cost").detail
