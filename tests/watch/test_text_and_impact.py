"""The watch's reading of a new capture: paragraphs diffed with words marked, numbers near
an encoded parameter, printed dates, the schedule option."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculator.errors import InvalidArgument
from calculator.watch.impact import numbers, parameter_numbers, printed_dates
from calculator.watch.run import parse_every
from calculator.watch.textdiff import diff_paragraphs, paragraphs


def test_a_changed_amount_is_one_changed_paragraph_with_the_words_marked():
    old = "Intro.\n\nPay $15,000 USD per 1,000,000 posts.\n\nEnd."
    new = "Intro.\n\nPay $25,000 USD per 1,000,000 posts.\n\nEnd."
    diff = diff_paragraphs(old, new)
    assert (diff["changed"], diff["added"], diff["removed"], diff["unchanged"]) == (1, 0, 0, 2)
    assert diff["paragraphs"][0]["words"] == [
        {"op": "same", "text": "Pay"}, {"op": "removed", "text": "$15,000"},
        {"op": "added", "text": "$25,000"}, {"op": "same", "text": "USD per 1,000,000 posts."}]


def test_a_new_unrelated_paragraph_is_added_not_paired_with_another():
    diff = diff_paragraphs("A b c.\n\nD e f.", "A b c.\n\nEntirely new words here.\n\nD e f.")
    assert [(p["op"], p["new"]) for p in diff["paragraphs"]] == [
        ("added", "Entirely new words here.")]


words = st.lists(st.sampled_from(["terms", "posts", "$15,000", "24-hour", "you", "we", "."]),
                 min_size=1, max_size=12).map(" ".join)


@given(st.lists(words, max_size=8), st.lists(words, max_size=8))
def test_the_diff_accounts_for_every_paragraph_of_both_captures(old, new):
    """Every old paragraph is unchanged, changed or removed; every new one unchanged, changed
    or added; a changed paragraph's runs rebuild both texts."""
    diff = diff_paragraphs("\n\n".join(old), "\n\n".join(new))
    before, after = paragraphs("\n\n".join(old)), paragraphs("\n\n".join(new))
    assert diff["unchanged"] + diff["changed"] + diff["removed"] == len(before)
    assert diff["unchanged"] + diff["changed"] + diff["added"] == len(after)
    for entry in diff["paragraphs"]:
        if entry["op"] == "changed":
            old_words = [r["text"] for r in entry["words"] if r["op"] != "added"]
            new_words = [r["text"] for r in entry["words"] if r["op"] != "removed"]
            assert " ".join(old_words) == entry["old"]
            assert " ".join(new_words) == entry["new"]


def test_numbers_are_read_with_thousands_separators_and_parameters_by_their_meaning():
    assert numbers("more than 1,000,000 posts in any 24-hour period - $15,000 USD") == [
        Decimal(1000000), Decimal(24), Decimal(15000)]
    assert parameter_numbers("15000.00") == [Decimal("15000.00")]
    assert parameter_numbers("PT24H") == [Decimal(24)]
    assert parameter_numbers(1000000) == [Decimal(1000000)]
    assert parameter_numbers(True) == [] and parameter_numbers("joint_and_several") == []


def test_printed_effective_and_updated_dates_are_found_in_their_usual_forms():
    text = ("**Effective:** April 10, 2026\n\nLast updated: 6 April 2020\n\n"
            "Effective date: 2025-10-23")
    assert printed_dates(text) == [date(2026, 4, 10), date(2020, 4, 6), date(2025, 10, 23)]
    assert printed_dates("posted on April 10, 2026") == []


@pytest.mark.parametrize(("text", "every"), [("1h", timedelta(hours=1)),
                                             ("30m", timedelta(minutes=30)),
                                             ("1d", timedelta(days=1))])
def test_the_watch_schedule_reads_minutes_hours_and_days(text, every):
    assert parse_every(text) == every


@pytest.mark.parametrize("text", ["", "hourly", "10s", "1w"])
def test_a_schedule_the_watch_cannot_keep_is_refused_in_words(text):
    with pytest.raises(InvalidArgument, match="--every"):
        parse_every(text)


def test_an_archive_is_named_by_its_bundle_or_clone_or_given_as_name_equals_path(ruleset):
    from calculator.watch.run import archive_locations

    assert archive_locations(["/r/pga-versions.bundle", "/r/xdevplatform-docs.bundle",
                              "OpenTermsArchive/vlopses-us-versions=/srv/us"], ruleset) == {
        "OpenTermsArchive/pga-versions": "/r/pga-versions.bundle",
        "xdevplatform/docs": "/r/xdevplatform-docs.bundle",
        "OpenTermsArchive/vlopses-us-versions": "/srv/us"}
    with pytest.raises(InvalidArgument, match="NAME=PATH"):
        archive_locations(["/r/some-clone"], ruleset)
