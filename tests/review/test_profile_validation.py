"""A usage profile is read strictly: unknown keys and values, impossible periods and
ambiguous volumes are refused, each with its field path (docs/decisions/0030)."""

from __future__ import annotations

import json

import pytest

from calculator.errors import InvalidInput
from calculator.review import load_profile
from tests.review.helpers import VENDOR, profile


def refused(lookup, data) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        load_profile(data, lookup)
    return {p.field: p.message for p in caught.value.problems}


def test_the_vendor_profile_of_the_issue_is_accepted(lookup):
    loaded = load_profile(VENDOR, lookup)
    assert (loaded.start.isoformat(), loaded.end.isoformat(), loaded.days) == (
        "2024-10-01", "2025-02-01", 123)
    assert loaded.volume_kind == "posts_per_day"
    assert loaded.purposes == ("ai_training",)


def test_unknown_purpose_is_refused_with_its_field(lookup):
    problems = refused(lookup, profile(VENDOR, purposes=["ai_training", "marketing"]))
    assert "unknown value 'marketing'" in problems["purposes[1]"]
    assert "ai_training" in problems["purposes[1]"]  # says what is allowed


def test_unknown_channel_and_data_category_are_refused_with_their_fields(lookup):
    problems = refused(lookup, profile(VENDOR, channel="firehose",
                                       data_categories=["public_posts", "likes"]))
    assert set(problems) == {"channel", "data_categories[1]"}


def test_an_unknown_key_is_refused_where_it_stands(lookup):
    data = profile(VENDOR, vendor="Acme")
    data["volume"] = {"posts_per_day": 5, "per_hour": 1}
    problems = refused(lookup, data)
    assert problems["vendor"].startswith("unknown key")
    assert problems["volume.per_hour"].startswith("unknown key")


def test_a_period_that_does_not_move_forward_is_refused(lookup):
    for end in ("2024-10-01", "2024-09-30"):
        problems = refused(lookup, profile(VENDOR, period={"start": "2024-10-01", "end": end}))
        assert "must be after start" in problems["period.end"]


def test_an_impossible_date_is_refused(lookup):
    problems = refused(lookup, profile(VENDOR, period={"start": "2025-02-30",
                                                       "end": "2025-03-01"}))
    assert problems["period.start"] == "'2025-02-30' is not a real calendar date"


def test_a_date_with_a_time_is_refused(lookup):
    problems = refused(lookup, profile(VENDOR, period={"start": "2024-10-01T00:00:00Z",
                                                       "end": "2025-02-01"}))
    assert "YYYY-MM-DD" in problems["period.start"]


def test_the_volume_is_exactly_one_of_posts_per_day_schedule_or_total(lookup):
    both = refused(lookup, profile(VENDOR, volume={"posts_per_day": 5, "total": 100}))
    assert both == {"volume": "give exactly one of posts_per_day, schedule, total"}
    neither = refused(lookup, profile(VENDOR, volume={}))
    assert neither == {"volume": "give exactly one of posts_per_day, schedule, total"}


def test_counts_are_whole_numbers_not_text_or_booleans(lookup):
    assert "whole number" in refused(lookup, profile(VENDOR, volume={"total": "100"}))[
        "volume.total"]
    assert "whole number" in refused(lookup, profile(VENDOR, volume={"posts_per_day": True}))[
        "volume.posts_per_day"]
    assert "volume.total" in refused(lookup, profile(VENDOR, volume={"total": -1}))


def test_schedule_entries_lie_in_the_period_in_order_without_overlaps(lookup):
    problems = refused(lookup, profile(VENDOR, volume={"schedule": [
        {"start": "2024-09-01", "end": "2024-10-10", "posts_per_day": 5},
        {"start": "2024-11-01", "end": "2024-12-01", "posts_per_day": 5},
        {"start": "2024-11-15", "end": "2024-12-15", "posts": 5},
    ]}))
    assert "outside the period" in problems["volume.schedule[0].start"]
    assert "must not overlap" in problems["volume.schedule[2].start"]


def test_a_schedule_entry_has_one_count_and_moves_forward(lookup):
    problems = refused(lookup, profile(VENDOR, volume={"schedule": [
        {"start": "2024-12-20", "end": "2024-12-25", "posts": 5, "posts_per_day": 1},
        {"start": "2024-12-25", "end": "2024-12-25", "posts": 5},
    ]}))
    assert problems["volume.schedule[0]"] == "give exactly one of posts_per_day, posts"
    assert "must be after start" in problems["volume.schedule[1].end"]


def test_regions_and_platforms_are_those_the_rules_hold(lookup):
    problems = refused(lookup, profile(VENDOR, platform="myspace", region="usa",
                                       user_regions=["eu-efta-uk", "apac", "XK"]))
    assert "the rules hold" in problems["platform"]
    assert "rest-of-world" in problems["region"]
    assert "unknown region 'apac'" in problems["user_regions[1]"]
    assert "'XK' is not an ISO 3166-1 alpha-2 country code" in problems["user_regions[2]"]


def test_a_country_code_is_read_as_the_part_that_binds_users_there(lookup):
    loaded = load_profile(profile(VENDOR, region="de", user_regions=["FR", "NO", "US"]),
                          lookup)
    assert loaded.region == "eu-efta-uk"
    assert loaded.user_regions == ("eu-efta-uk", "rest-of-world")
    assert loaded.document["country"] == "DE"


def test_retention_is_a_duration_or_indefinite(lookup):
    assert load_profile(profile(VENDOR, retention="indefinite"), lookup).retention == "indefinite"
    assert "ISO 8601" in refused(lookup, profile(VENDOR, retention="two years"))["retention"]


def test_a_value_listed_twice_is_refused(lookup):
    problems = refused(lookup, profile(VENDOR, purposes=["research", "research"]))
    assert problems == {"purposes[1]": "'research' is listed twice"}


def test_every_problem_is_reported_at_once(lookup):
    with pytest.raises(InvalidInput) as caught:
        load_profile(profile(VENDOR, channel="x", purposes=["y"], retention="z"), lookup)
    assert len(caught.value.problems) == 3
    assert "(2 more)" in caught.value.detail


def test_the_same_profile_has_the_same_digest_however_it_is_written(lookup):
    reordered = json.loads(json.dumps(dict(reversed(list(VENDOR.items())))))
    with_defaults = profile(VENDOR)
    without_region = profile(VENDOR, region=None)  # rest-of-world is the default
    digests = {load_profile(d, lookup).sha256 for d in (VENDOR, reordered, with_defaults,
                                                        without_region)}
    assert len(digests) == 1
    assert load_profile(profile(VENDOR, reference="other"), lookup).sha256 not in digests


def test_a_volume_too_large_to_price_exactly_is_refused_naming_the_volume(lookup):
    """A million million posts in one day is within the profile's counts but past what
    the readings' sums can hold exactly: the profile is told so by its field, not in the
    words of a log's assessment ("the log's volume is too large...")."""
    from calculator.review import review

    day = {"start": "2024-12-01", "end": "2024-12-02"}
    with pytest.raises(InvalidInput) as caught:
        review(profile(VENDOR, period=day, volume={"total": 10**12}), rules=lookup)
    assert [p.field for p in caught.value.problems] == ["volume"]
    assert "log" not in str(caught.value)
    assert "state a smaller volume" in str(caught.value)
    assert review(profile(VENDOR, period=day, volume={"total": 7 * 10**11}), rules=lookup)
