"""Scraper JSON outputs (post records, raw GraphQL pages, twarc2) and the collection window."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from calculator.errors import InvalidArgument, InvalidInput
from calculator.ingest.crawlers import ReadOptions, read_crawler_log

DAY = (datetime(2024, 11, 20, tzinfo=UTC), datetime(2024, 11, 21, tzinfo=UTC))
START_NS = int(DAY[0].timestamp()) * 10**9
DAY_NS = 86_400 * 10**9


@pytest.fixture(scope="module")
def options(ruleset) -> ReadOptions:
    return ReadOptions.for_ruleset(ruleset, collection_window=DAY)


def jsonl(*records: dict) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def read(data: bytes, fmt: str | None, options: ReadOptions):
    events, report = read_crawler_log(io.BytesIO(data), fmt, options)
    return list(events), report


def snscrape(post: str, date: str, **extra: object) -> dict:
    return {"_type": "snscrape.modules.twitter.Tweet", "id": int(post),
            "url": f"https://twitter.com/jack/status/{post}", "date": date,
            "rawContent": "text", **extra}


def test_post_records_need_a_collection_window(ruleset):
    data = jsonl(snscrape("20", "2024-11-19T08:00:00+00:00"))
    with pytest.raises(InvalidInput, match="a collection window is needed"):
        read_crawler_log(io.BytesIO(data), None, ReadOptions.for_ruleset(ruleset))


def test_a_window_must_have_offsets_and_end_after_it_starts():
    with pytest.raises(InvalidArgument):
        ReadOptions(collection_window=(datetime(2024, 1, 2), datetime(2024, 1, 3)))
    with pytest.raises(InvalidArgument):
        ReadOptions(collection_window=(DAY[1], DAY[0]))


def test_records_are_spread_evenly_over_the_window_in_order_of_creation(options):
    data = jsonl(snscrape("30", "2024-11-19T10:00:00+00:00"),
                 snscrape("10", "2024-11-18T10:00:00+00:00"),
                 snscrape("20", "2024-11-19T08:00:00+00:00"),
                 snscrape("40", "2024-11-19T12:00:00+00:00"))
    events, report = read(data, None, options)
    assert report.format == "scraper-jsonl" and report.time_kind == "allocated"
    when = {e.post_ids[0]: (e.instant_ns - START_NS) / DAY_NS for e in events}
    assert when == {"10": 0.0, "20": 0.25, "30": 0.5, "40": 0.75}
    assert all(e.platform == "x" and e.basis == "item-record" for e in events)
    (assumption,) = [a for a in report.assumptions if "collection window" in a]
    assert "4 post records placed evenly" in assumption and "order of creation" in assumption


def test_quoted_and_reposted_records_are_embedded(options):
    quoted = snscrape("9", "2024-11-01T00:00:00+00:00")
    record = snscrape("20", "2024-11-19T08:00:00+00:00", quotedTweet=quoted,
                      retweetedTweet=None)
    (single,), _ = read(jsonl(record), None, options)
    assert (single.post_ids, single.embedded_post_ids, single.posts) == (("20",), ("9",), 1)
    embedded = ReadOptions(hosts=options.hosts, collection_window=DAY, embedded_posts=True)
    (single,), _ = read(jsonl(record), None, embedded)
    assert single.posts == 2


def test_twscrape_twint_and_twarc_v1_records_are_read(options):
    twscrape = {"_type": "snscrape.modules.twitter.Tweet", "id": 1, "id_str": "1",
                "url": "https://x.com/a/status/1", "date": "2024-11-19 12:34:56+00:00"}
    twint = {"id": 2, "conversation_id": "2", "created_at": 1732000000000, "username": "a",
             "tweet": "t", "link": "https://twitter.com/a/status/2"}
    twarc1 = {"id_str": "3", "created_at": "Tue Nov 19 08:00:00 +0000 2024", "text": "t",
              "user": {"screen_name": "a"}}
    events, report = read(jsonl(twscrape, twint, twarc1), None, options)
    assert report.format == "scraper-jsonl" and report.unparsed == 0
    assert [e.post_ids for e in events] == [("1",), ("2",), ("3",)]
    assert all(e.platform == "x" for e in events)  # twarc v1 has no URL: its shape says X


def test_records_created_after_the_window_are_warned(options):
    data = jsonl(snscrape("20", "2024-11-25T08:00:00+00:00"))
    _, report = read(data, None, options)
    assert any("1 record created after the collection window ended" in w
               for w in report.warnings)


def test_a_worst_case_is_asked_for_with_a_short_window(ruleset):
    # Counsel who want every record in one 24-hour period give a window shorter than that.
    window = (DAY[0], DAY[0].replace(hour=1))
    options = ReadOptions.for_ruleset(ruleset, collection_window=window)
    data = jsonl(*(snscrape(str(n), "2024-11-01T00:00:00+00:00") for n in range(1, 101)))
    events, _ = read(data, None, options)
    assert max(e.instant_ns for e in events) - min(e.instant_ns for e in events) < 3600 * 10**9


def test_a_json_line_with_a_timestamp_and_no_post_shape_is_not_ours(options):
    data = jsonl({"timestamp": "2024-11-20T10:00:00Z", "posts": 20, "id": 1,
                  "created_at": "2024-11-20T10:00:00Z"})
    with pytest.raises(InvalidInput, match="could not be recognised"):
        read(data, None, options)


def test_an_unreadable_json_line_is_counted_and_the_rest_read(options):
    good = json.dumps(snscrape("20", "2024-11-19T08:00:00+00:00"))
    data = (good + "\n{not json\n" + good.replace("20", "21") + "\n").encode()
    events, report = read(data, "scraper-jsonl", options)
    assert len(events) == 2 and report.unparsed == 1
    assert report.unparsed_examples[0][0] == 2


def test_raw_graphql_pages_one_per_line_are_spread_in_file_order(options):
    def page(*ids: str) -> dict:
        return {"data": {"user": {"result": {"timeline_v2": {"timeline": {"instructions": [
            {"type": "TimelineAddEntries", "entries": [
                {"entryId": f"tweet-{i}", "content": {"itemContent": {"tweet_results": {
                    "result": {"__typename": "Tweet", "rest_id": i}}}}} for i in ids]}]}}}}}}

    events, report = read(jsonl(page("1", "2"), page("3"), page()), None, options)
    assert report.format == "x-graphql"
    assert [e.posts for e in events] == [2, 1, 0]
    assert [(e.instant_ns - START_NS) * 3 // DAY_NS for e in events] == [0, 1, 2]
    assert all(e.time_kind == "allocated" and e.url is None for e in events)


def test_twarc2_pages_carry_their_own_retrieval_time(ruleset):
    page = {"data": [{"id": "1", "text": "a", "referenced_tweets": [
        {"type": "retweeted", "id": "7"}]}, {"id": "2", "text": "b"}],
        "includes": {"tweets": [{"id": "7", "text": "c"}]}, "meta": {"result_count": 2},
        "__twarc": {"url": "https://api.twitter.com/2/tweets/search/recent?query=a",
                    "version": "2.14.0", "retrieved_at": "2024-11-20T10:00:00+00:00"}}
    flat = {"id": "3", "text": "d", "__twarc": page["__twarc"]}
    options = ReadOptions.for_ruleset(ruleset)  # no window needed: access times are recorded
    events, report = read(jsonl(page, flat), None, options)
    assert report.format == "twarc2" and report.time_kind == "retrieved"
    assert [(e.post_ids, e.embedded_post_ids, e.basis) for e in events] == [
        (("1", "2"), ("7",), "body-count"), (("3",), (), "item-record")]
    assert all(e.instant_ns == START_NS + 10 * 3600 * 10**9 for e in events)
    assert all(e.platform == "x" for e in events)


def test_a_pretty_printed_document_and_a_top_level_list_are_read(options):
    records = [snscrape("20", "2024-11-19T08:00:00+00:00"),
               snscrape("21", "2024-11-19T09:00:00+00:00")]
    pretty = json.dumps(records, indent=2).encode()
    events, _ = read(pretty, None, options)
    assert [e.post_ids for e in events] == [("20",), ("21",)]
