"""Assessing logs against X's damages clause: what counts, what is left out, what is owed."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.damages.assessment import assess, in_force_at
from calculator.errors import InvalidArgument
from calculator.rules import RuleLookup, bundled_rules_dir, load_ruleset


def csv_log(*rows: tuple, header: str = "timestamp,posts") -> bytes:
    return (header + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows)).encode()


def amounts(result) -> dict[str, Decimal]:
    return {r.reading.key: r.amount for r in result.readings}


def test_a_log_at_or_under_a_million_posts_a_day_owes_nothing():
    result = assess(csv_log(("2025-03-01T00:00:00Z", 600_000), ("2025-03-01T23:59:59Z", 400_000)))
    assert result.peak.posts == 1_000_000
    assert set(amounts(result).values()) == {Decimal("0.00")}
    assert result.low == result.high == Decimal("0.00")


def test_one_post_more_crosses_the_line_under_every_window():
    result = assess(csv_log(("2025-03-01T00:00:00Z", 600_000), ("2025-03-01T23:59:59Z", 400_001)))
    owed = amounts(result)
    for window in ("rolling_worst_case", "rolling_first_access", "calendar_day"):
        assert owed[f"{window}/pro_rata/all_posts"] == Decimal("15000.02")  # 15,000.015 up
        assert owed[f"{window}/per_started_million/all_posts"] == Decimal("30000.00")
        assert owed[f"{window}/per_full_million/excess_only"] == Decimal("0.00")
    assert result.headline.amount == Decimal("15000.02")
    assert (result.low, result.high) == (Decimal("0.00"), Decimal("30000.00"))


def test_accesses_before_2024_11_15_are_left_out_and_counted():
    result = assess(csv_log(("2024-11-14T23:59:59Z", 2_000_000), ("2024-11-15T00:00:00Z", 10)))
    assert result.excluded.rows["before_in_force"] == 1
    assert result.excluded.posts["before_in_force"] == 2_000_000
    assert result.counted_posts == 10
    assert result.headline.amount == 0
    assert any("before 2024-11-15T00:00:00Z" in a for a in result.assumptions)


def test_the_eu_part_prices_in_euros():
    log = csv_log(("2025-03-01T00:00:00Z", 2_000_000))
    assert assess(log).currency == "USD"
    eu = assess(log, region="eu-efta-uk")
    assert eu.currency == "EUR"
    assert eu.headline.amount == Decimal("30000.00")


def test_a_rolling_day_can_cross_the_line_when_no_calendar_day_does():
    # 600,000 posts late on one day and 600,000 early the next: no UTC day holds more than a
    # million, but the 24 hours from 18:00 do.
    result = assess(csv_log(("2025-03-01T18:00:00Z", 600_000), ("2025-03-02T06:00:00Z", 600_000)))
    owed = amounts(result)
    assert owed["calendar_day/pro_rata/all_posts"] == 0
    assert owed["rolling_worst_case/pro_rata/all_posts"] == Decimal("18000.00")
    assert owed["rolling_first_access/pro_rata/all_posts"] == Decimal("18000.00")
    assert result.peak.posts == 1_200_000


def test_calendar_days_follow_the_named_zone():
    # In Chicago (UTC-6 in March) both accesses fall on 2025-03-01.
    log = csv_log(("2025-03-01T18:00:00Z", 600_000), ("2025-03-02T05:00:00Z", 600_000))
    assert amounts(assess(log))["calendar_day/pro_rata/all_posts"] == 0
    chicago = assess(log, tz="America/Chicago")
    assert amounts(chicago)["calendar_day/pro_rata/all_posts"] == Decimal("18000.00")
    window = chicago.reading("calendar_day", "pro_rata", "all_posts").windows[0]
    assert window.start_ns == 1_740_808_800 * 10**9  # 2025-03-01T06:00:00Z, Chicago midnight


def test_the_worst_case_finds_more_than_starting_at_the_first_access():
    # Bursts at 00:00 and 23:00 on day one and at 22:00 on day two: windows from the first
    # access split the second and third bursts; the worst case pairs them.
    log = csv_log(("2025-03-01T00:00:00Z", 1_000_001), ("2025-03-01T23:00:00Z", 500_000),
                  ("2025-03-02T22:00:00Z", 500_001))
    owed = amounts(assess(log))
    assert owed["rolling_first_access/pro_rata/all_posts"] == Decimal("22500.02")
    assert owed["rolling_worst_case/pro_rata/all_posts"] == Decimal("30000.03")


@pytest.mark.parametrize("engine_form", ["csv", "jsonl", "files"])
def test_rows_naming_x_by_its_former_name_or_its_hosts_are_xs_rows(engine_form, tmp_path):
    """A platform column written before the rename says twitter, or a host: those rows were
    left out as another platform's, and the damages understated."""
    names = ["x", "Twitter", " TWITTER ", "x.com", "twitter.com", "mobile.twitter.com",
             "reddit", "pbs.twimg.com"]
    rows = [(f"2025-03-01T00:00:{k:02d}Z", 10 ** k, name) for k, name in enumerate(names)]
    if engine_form == "csv":
        result = assess(csv_log(*rows, header="timestamp,posts,platform"))
    elif engine_form == "jsonl":
        result = assess("".join(json.dumps({"timestamp": t, "posts": p, "platform": n}) + "\n"
                                for t, p, n in rows).encode())
    else:
        for k, row in enumerate(rows):
            (tmp_path / f"part-{k}.csv").write_bytes(
                csv_log(row, header="timestamp,posts,platform"))
        result = assess(str(tmp_path))
    assert result.counted_posts == 111_111
    # reddit, and a host that serves X's images but no posts (as its URLs are read)
    assert result.excluded.rows["other_platforms"] == 2


def test_rows_of_other_platforms_and_authorized_rows_are_left_out_and_reported():
    log = csv_log(("2025-03-01T00:00:00Z", 5, "x", "false"),
                  ("2025-03-01T00:00:01Z", 7, "reddit", "false"),
                  ("2025-03-01T00:00:02Z", 11, "X", "true"),
                  ("2025-03-01T00:00:03Z", 13, "", ""),
                  header="timestamp,posts,platform,authorized")
    result = assess(log)
    assert result.counted_posts == 5 + 13
    assert result.excluded.rows == {"before_in_force": 0, "other_platforms": 1, "authorized": 1}
    assert result.excluded.posts["authorized"] == 11
    text = " ".join(result.assumptions)
    assert "1 row named no platform and was counted as x" in text
    assert "1 row gave no authorized value" in text


def test_timestamps_without_an_offset_are_read_in_the_assumed_zone_and_said_so():
    log = csv_log(("2025-03-01 18:00:00", 600_000), ("2025-03-02 06:00:00", 600_000))
    berlin = assess(log, assume_tz="Europe/Berlin")
    assert berlin.peak.start_ns == 1_740_848_400 * 10**9  # 17:00Z
    assert any("2 timestamps had no offset and were read as Europe/Berlin" in a
               for a in berlin.assumptions)


def test_rows_in_any_order_give_the_same_result():
    rows = [("2025-03-01T18:00:00Z", 600_000), ("2025-03-02T06:00:00Z", 600_000),
            ("2025-03-01T19:00:00Z", 3)]
    forward = assess(csv_log(*rows))
    backward = assess(csv_log(*reversed(rows)))
    assert amounts(forward) == amounts(backward)
    assert forward.input.sha256 != backward.input.sha256  # different bytes, same counts


def test_a_window_across_the_2026_change_is_priced_by_its_first_access_and_said_so():
    result = assess(csv_log(("2026-01-14T20:00:00Z", 600_000), ("2026-01-15T04:00:00Z", 600_000)))
    window = result.headline.windows[0]
    assert window.clause_version == "2024-11-15"
    assert any("span 2026-01-15T00:00:00Z" in a and "same prices" in a
               for a in result.assumptions)


def test_a_later_version_with_other_prices_prices_the_windows_that_start_under_it(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), rules)
    tos = rules / "x" / "terms-of-service.yaml"
    text = tos.read_text(encoding="utf-8")
    marker = ('trigger: "to the extent permitted by applicable law, if you violate the Terms, '
              'or you induce or knowingly facilitate')
    head, tail = text.split(marker, 1)  # the first 2026 version is the US part
    head = head[: head.rindex('amount: "15000.00"')] + 'amount: "20000.00"' + \
        head[head.rindex('amount: "15000.00"') + len('amount: "15000.00"'):]
    tos.write_text(head + marker + tail, encoding="utf-8")
    lookup = RuleLookup(load_ruleset(rules))
    log = csv_log(("2026-01-14T20:00:00Z", 1_200_000), ("2026-01-16T20:00:00Z", 1_200_000))
    result = assess(log, rules=lookup)
    windows = result.reading("calendar_day", "pro_rata", "all_posts").windows
    assert [(w.clause_version, w.amount) for w in windows] == [
        ("2024-11-15", 18_000), ("2026-01-15", 24_000)]


def test_the_headline_can_be_another_reading():
    log = csv_log(("2025-03-01T00:00:00Z", 1_500_000))
    result = assess(log, headline="calendar_day/per_full_million/excess_only")
    assert result.headline.reading.key == "calendar_day/per_full_million/excess_only"
    assert result.headline.amount == 0
    with pytest.raises(InvalidArgument, match="is not a reading"):
        assess(log, headline="daily/linear/all")


def test_a_platform_whose_terms_name_no_amount_cannot_be_priced():
    with pytest.raises(InvalidArgument, match=r"reddit\.user-agreement\.scraping-prohibition"):
        assess(csv_log(("2025-03-01T00:00:00Z", 5)), platform="reddit")


def test_an_unknown_zone_is_refused_by_name():
    with pytest.raises(InvalidArgument, match="tz: 'Mars/Olympus'"):
        assess(csv_log(("2025-03-01T00:00:00Z", 5)), tz="Mars/Olympus")


def test_a_25_hour_calendar_day_that_begins_before_the_first_access_counts_all_its_posts():
    # 2025-10-26 is 25 hours long in Berlin; its midnight is 24.5 hours before this access.
    log = csv_log(("2025-10-26T22:30:00Z", 1_200_000))
    result = assess(log, tz="Europe/Berlin")
    window = result.reading("calendar_day", "pro_rata", "all_posts").windows[0]
    assert window.posts == 1_200_000
    assert window.end_ns - window.start_ns == 25 * 3600 * 10**9
    assert any("2025-10-26 has 25 hours" in a for a in result.assumptions)


@settings(max_examples=200, deadline=None)
@given(instants=st.lists(st.integers(-50, 150), max_size=40),
       versions=st.lists(st.tuples(st.integers(-60, 160), st.integers(0, 60) | st.none()),
                         min_size=1, max_size=4))
def test_an_access_counts_while_the_last_version_begun_by_then_has_not_ended(instants,
                                                                              versions):
    # Versions in force from ascending starts, each until its end (none: still in force);
    # a gap between one's end and the next's start counts nothing.
    versions = sorted(versions, key=lambda version: version[0])
    starts = np.array([s for s, _ in versions], dtype=np.int64)
    ends = np.array([s + length if length is not None else np.iinfo(np.int64).max
                     for s, length in versions], dtype=np.int64)
    times = np.array(sorted(instants), dtype=np.int64)
    in_force, before = in_force_at(times, starts, ends)
    for index, instant in enumerate(times.tolist()):
        begun = [k for k, start in enumerate(starts.tolist()) if start <= instant]
        assert in_force[index] == bool(begun and instant < ends[begun[-1]])
    assert before == sum(1 for instant in times.tolist() if instant < starts[0])


def test_the_size_of_a_log_as_given_decides_whether_the_compiled_search_loads_early(
        tmp_path, monkeypatch):
    from calculator.damages import assessment, sweep

    started = []
    monkeypatch.setattr(sweep, "load_meanwhile", lambda: started.append(True))
    monkeypatch.setattr(assessment, "LOAD_COMPILED_FROM_BYTES", 40)
    small = csv_log(("2025-03-01T00:00:00Z", 5))
    large = csv_log(*[("2025-03-01T00:00:00Z", 5)] * 3)
    path = tmp_path / "log.csv"
    path.write_bytes(large)
    assert assessment._input_size(small) < 40 <= assessment._input_size(large)
    assert assessment._input_size(path) == assessment._input_size(str(path)) == len(large)
    with path.open("rb") as opened:
        assert assessment._input_size(opened) == len(large)
    assert assessment._input_size("-") == 0  # standard input: not known
    assert assessment._input_size(tmp_path / "missing.csv") == 0
    assess(small)
    assert started == []
    assert amounts(assess(path)) == amounts(assess(large))
    assert started == [True, True]
    # Distinct posts never use the compiled search: it is not loaded for them.
    with_ids = tmp_path / "ids.csv"
    with_ids.write_text("timestamp,post_id\n" + "2025-03-01T00:00:00Z,7\n" * 3)
    assess(with_ids, count="distinct")
    assert started == [True, True]


@pytest.mark.parametrize("options, said", [
    ({"source": []}, "source: the list of log files is empty"),
    ({"source": csv_log(("2025-03-01T00:00:00Z", 1)), "time_column": 5},
     "time_column: a column's name is text, not int"),
    ({"source": csv_log(("2025-03-01T00:00:00Z", 1)), "posts_column": ["posts"]},
     "posts_column: a column's name is text, not list"),
])
def test_a_notebook_call_with_a_wrong_argument_is_answered_in_words(options, said):
    """From Python no command line turns arguments into text first: an empty list of files
    was an IndexError, a column named by a number an AttributeError."""
    with pytest.raises(InvalidArgument, match=said):
        assess(**options)
