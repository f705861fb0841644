"""The schedule a profile's volume becomes, and the projected damages priced on it: the same
engine as crawl logs, so the projection is exactly an assessment of the equivalent log
(docs/decisions/0031)."""

from __future__ import annotations

from decimal import Decimal

import pytest

import calculator
from calculator.damages.pricing import ALL_READINGS
from calculator.review import load_profile, review
from calculator.review.schedule import build_schedule
from tests.review.helpers import ACROSS_2026_01_15, SPANNING, VENDOR, only, profile


def test_a_day_is_spread_over_24_hourly_accesses_remainder_to_the_first_hours(lookup):
    loaded = load_profile(profile(VENDOR, period={"start": "2025-03-01", "end": "2025-03-02"},
                                  volume={"posts_per_day": 50}), lookup)
    volume = build_schedule(loaded).volume()
    assert volume.posts.tolist() == [3, 3] + [2] * 22
    hours = (volume.instants - volume.instants[0]) // (3600 * 10**9)
    assert hours.tolist() == list(range(24))


def test_a_total_is_spread_evenly_over_the_days_remainder_to_the_first_days(lookup):
    loaded = load_profile(profile(VENDOR, period={"start": "2025-03-01", "end": "2025-03-04"},
                                  volume={"total": 3_000_002}), lookup)
    assert build_schedule(loaded).days == (1_000_001, 1_000_001, 1_000_000)


def test_days_in_no_schedule_entry_have_no_collection(lookup):
    schedule = build_schedule(load_profile(ACROSS_2026_01_15, lookup))
    assert 0 not in schedule.days[40:62]  # 2026-01-10 .. 2026-01-31: the total's 22 days
    assert schedule.days[62:71] == (0,) * 9  # 2026-02-01 .. 2026-02-09: no entry
    assert schedule.total_posts == 40 * 900_000 + 50_000_001 + 19 * 1_500_000


def test_every_24_hour_period_in_a_run_of_equal_days_holds_one_days_posts():
    result = review(VENDOR)
    assert result.projection.peak.posts == 2_000_000


def test_the_vendor_profile_projects_damages_only_from_2024_11_15():
    # 2,000,000 posts a day; the clause is in force from 2024-11-15: 78 days to 2025-02-01.
    # Every 24-hour period holds 2,000,000 posts, more than 1,000,000:
    #   all posts, pro rata:  78 x 2,000,000 x 15,000 / 1,000,000 = 2,340,000.00
    #   excess only:          78 x 1,000,000 x 15,000 / 1,000,000 = 1,170,000.00
    result = review(VENDOR)
    finding = only(result, "damages.projected")
    assert finding.severity == "high"
    assert finding.date.isoformat() == "2024-11-15"
    assert result.projection.headline.amount == Decimal("2340000.00")
    assert (result.projection.low, result.projection.high) == (Decimal("1170000.00"),
                                                               Decimal("2340000.00"))
    assert result.projection.counted_posts == 78 * 2_000_000
    assert result.projection.excluded.posts["before_in_force"] == 45 * 2_000_000
    assert "USD 2,340,000.00 (headline)" in finding.title
    assert [c.version.isoformat() for c in finding.citations] == ["2024-11-15"]
    assert finding.facts["schedule"]["equivalent_log_sha256"] == result.schedule.csv_sha256()


@pytest.mark.parametrize("crossing", sorted(SPANNING))
@pytest.mark.parametrize("region", ["rest-of-world", "eu-efta-uk"])
def test_the_projection_equals_an_assessment_of_the_equivalent_log(crossing, region):
    result = review(profile(SPANNING[crossing], region=region))
    log = result.equivalent_log()
    assessed = calculator.assess(log, region=region)
    projected = result.projection
    assert projected.input.sha256 == assessed.input.sha256
    assert projected.currency == assessed.currency
    assert (projected.counted_posts, projected.counted_accesses) == (
        assessed.counted_posts, assessed.counted_accesses)
    assert projected.excluded.posts["before_in_force"] == \
        assessed.excluded.posts["before_in_force"]
    assert projected.peak == assessed.peak
    assert [(r.reading, r.exact, r.windows) for r in projected.readings] == \
        [(r.reading, r.exact, r.windows) for r in assessed.readings]
    # As documents: the same readings, range, headline and clause versions; the assumptions
    # add only the sentence that says how the schedule was built.
    mine, theirs = projected.to_document(), assessed.to_document()
    for key in ("clause", "currency", "counted", "peak_24h", "readings", "range", "headline"):
        assert mine[key] == theirs[key], key
    assert mine["assumptions"][0] == result.schedule.description()
    assert set(theirs["assumptions"]) <= set(mine["assumptions"])
    assert len(projected.readings) == len(ALL_READINGS)


def test_a_projection_across_2026_01_15_prices_each_window_by_the_version_then_in_force():
    result = review(ACROSS_2026_01_15)
    finding = only(result, "damages.projected")
    assert [c.version.isoformat() for c in finding.citations] == ["2024-11-15", "2026-01-15"]
    versions = {w.clause_version for r in result.projection.readings for w in r.windows}
    assert versions == {"2024-11-15", "2026-01-15"}
    # 900,000 a day owes nothing; the 22 days of the total (2,272,727 or 2,272,728 a day) and
    # the 19 days of 1,500,000 owe under every reading on all posts.
    assert result.projection.reading("calendar_day", "pro_rata", "all_posts").amount == \
        Decimal("750000.02") + Decimal("427500.00")


def test_a_volume_under_the_threshold_projects_nothing_and_says_why():
    result = review(profile(VENDOR, volume={"posts_per_day": 1_000_000}))
    finding = only(result, "damages.projected")
    assert finding.severity == "info"
    assert result.projection.high == 0
    assert "more than 1,000,000 posts" in finding.title


def test_a_collection_before_the_damages_clause_projects_nothing_and_cites_its_first_version():
    result = review(profile(VENDOR, period={"start": "2024-01-01", "end": "2024-06-01"}))
    assert result.projection is None
    finding = only(result, "damages.not-in-force")
    assert finding.citations[0].version.isoformat() == "2024-11-15"
    assert "after the collection" in finding.detail


def test_the_schedule_is_stated_as_an_assumption():
    result = review(VENDOR)
    stated = [a for a in result.assumptions if "24 accesses at the start of each UTC hour" in a]
    assert len(stated) == 1
    assert stated[0] in only(result, "damages.projected").facts["assumptions"]
