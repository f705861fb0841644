"""Counts users found wrong on real captures: streamed answers, empty pages, WARCs without
WARC-Concurrent-To, Scrapy logs of several runs, Heritrix -404, and JSON in no known format.
Each is checked through the reader and through an assessment (CLI, HTTP, Python)."""

from __future__ import annotations

import gzip
import io
import json
import re

import pytest

import calculator
from calculator.cli import main
from calculator.errors import InvalidInput
from calculator.ingest.crawlers import ReadOptions, read_crawler_log
from tests.conftest import SAMPLES
from tests.ingest.crawlers.test_crawler_warc_har import Warc

STREAM_URL = "https://stream.twitter.com/1.1/statuses/filter.json?track=a"
V2_SEARCH = "https://api.x.com/2/tweets/search/recent?query=a&max_results=100"
USERS_LOOKUP = "https://api.twitter.com/1.1/users/lookup.json?screen_name=jack,biz"


@pytest.fixture(scope="module")
def options(ruleset) -> ReadOptions:
    return ReadOptions.for_ruleset(ruleset)


def read(data: bytes, options: ReadOptions, fmt: str | None = None):
    events, report = read_crawler_log(io.BytesIO(data), fmt, options)
    return list(events), report


def v1_tweet(post_id: str, quoted: str | None = None) -> dict:
    tweet = {"id_str": post_id, "id": int(post_id), "text": "hello"}
    if quoted:
        tweet["quoted_status"] = {"id_str": quoted, "text": "quoted"}
    return tweet


def stream_body(*lines: object, newline: bytes = b"\r\n") -> bytes:
    """A streaming answer as X sends it: one JSON document per line, keep-alive blank lines."""
    parts = [b"" if line is None else json.dumps(line).encode() for line in lines]
    return newline.join(parts) + newline


# -- 1. newline-delimited answer bodies --------------------------------------------------------

@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_a_streamed_answer_counts_every_post_in_it(options, newline):
    body = stream_body(v1_tweet("101"), None, v1_tweet("102", quoted="900"),
                       {"delete": {"status": {"id_str": "5"}}}, {"limit": {"track": 3}},
                       v1_tweet("103"), newline=newline)
    warc = Warc()
    request = warc.request(STREAM_URL, "2024-11-20T10:00:00Z")
    warc.response(STREAM_URL, "2024-11-20T10:00:00Z", body, link=request)
    (answer,), report = read(warc.bytes(), options)
    assert answer.basis == "body-count"
    assert answer.post_ids == ("101", "102", "103") and answer.posts == 3
    assert answer.embedded_post_ids == ("900",)
    assert any("1 X API answer counted from the stored answer body" in a
               for a in report.assumptions)


def test_a_stream_cut_off_mid_post_counts_the_whole_posts_before_the_cut(options):
    body = stream_body(v1_tweet("101"), v1_tweet("102")) + b'{"id_str": "103", "te'
    warc = Warc()
    warc.response(STREAM_URL, "2024-11-20T10:00:00Z", body)
    (answer,), _ = read(warc.bytes(), options)
    assert answer.post_ids == ("101", "102")


def test_a_v2_filtered_stream_counts_its_posts(options):
    url = "https://api.x.com/2/tweets/search/stream"
    body = stream_body({"data": {"id": "7", "text": "a"}, "matching_rules": [{"id": "1"}]},
                       {"data": {"id": "8", "text": "b"}, "matching_rules": [{"id": "1"}]})
    warc = Warc()
    warc.response(url, "2024-11-20T10:00:00Z", body)
    (answer,), _ = read(warc.bytes(), options)
    assert answer.post_ids == ("7", "8")


# -- 2. an empty page counts no posts; the body decides when it is stored ----------------------

def test_an_empty_api_page_counts_no_posts_whatever_page_size_it_asked_for(options):
    warc = Warc()
    warc.response(V2_SEARCH, "2024-11-20T10:00:00Z",
                  json.dumps({"meta": {"result_count": 0}}).encode())
    (answer,), report = read(warc.bytes(), options)
    assert (answer.posts, answer.basis, answer.requested, answer.accessed) == (
        0, "body-count", True, True)
    assert any("1 X API answer counted from the stored answer body, 1 of them holding no posts"
               in a for a in report.assumptions)


def test_without_a_stored_body_the_page_size_counts_and_the_answer_says_so(options):
    warc = Warc()
    warc.response(V2_SEARCH, "2024-11-20T10:00:00Z", b"")
    (answer,), report = read(warc.bytes(), options)
    assert (answer.posts, answer.basis) == (100, "url-param")
    assert any("1 X API call with no stored answer body counted from the ids or page size "
               "in the URL" in a for a in report.assumptions)


def test_a_stored_answer_holding_users_says_so_not_that_no_body_was_stored(options):
    body = json.dumps([{"id_str": "12", "screen_name": "jack"},
                       {"id_str": "13", "screen_name": "biz"}]).encode()
    warc = Warc()
    warc.response(USERS_LOOKUP, "2024-11-20T10:00:00Z", body)
    (answer,), report = read(warc.bytes(), options)
    assert answer.posts == 0
    assert not any("stored answer body" in w and "neither" in w for w in report.warnings)
    assert not any("no post id or count in the URL" in w for w in report.warnings)
    assert any("holding no posts" in a for a in report.assumptions)


def test_an_empty_page_is_priced_as_no_posts_in_an_assessment(runner, client, tmp_path):
    warc = Warc()
    warc.response(V2_SEARCH, "2024-11-20T10:00:00Z",
                  json.dumps({"meta": {"result_count": 0}}).encode())
    path = tmp_path / "empty.warc.gz"
    path.write_bytes(warc.bytes())
    python = calculator.assess(str(path))
    assert python.counts["requested_posts"] == python.counts["accessed_posts"] == 0
    cli = json.loads(runner.invoke(main, ["assess", str(path), "--json"]).stdout)
    http = client.post("/v1/assessments", data=warc.bytes(),
                       content_type="application/octet-stream").get_json()
    assert cli["counts"] == http["counts"] == python.to_document()["counts"]
    assert any("holding no posts" in a for a in http["assumptions"])
    assert http["input"]["details"]["x_api_posts"] == {
        "from_stored_body": 1, "of_which_no_posts": 1, "from_url_no_body_stored": 0,
        "from_url_body_not_json": 0, "not_counted": 0}


def test_the_assessment_says_how_many_requests_were_paired_each_way(client):
    stripped, _ = without_concurrent_to(SAMPLES / "warc" / "pywb_iana.warc.gz")
    http = client.post("/v1/assessments", data=stripped,
                       content_type="application/octet-stream").get_json()
    assert http["input"]["details"]["request_pairs"] == {"by_warc_concurrent_to": 0,
                                                         "by_uri_and_date": 171}
    assert http["counts"]["log_requests"] == 171


# -- 3. WARC pairing without WARC-Concurrent-To ------------------------------------------------

def without_concurrent_to(path) -> tuple[bytes, int]:
    data = gzip.decompress(path.read_bytes())
    return re.subn(rb"WARC-Concurrent-To: [^\r\n]*\r\n", b"", data)


def test_a_warc_without_concurrent_to_counts_each_request_once(options):
    """pywb's real iana.warc.gz with its WARC-Concurrent-To headers taken out: the requests
    pair with their answers by URI and date, and the counts do not double."""
    sample = SAMPLES / "warc" / "pywb_iana.warc.gz"
    stripped, removed = without_concurrent_to(sample)
    assert removed == 171
    linked, linked_report = read(sample.read_bytes(), options)
    events, report = read(stripped, options)
    assert (len(events), sum(e.accessed for e in events)) == (len(linked), 167) == (171, 167)
    assert [e.method for e in events] == [e.method for e in linked]
    assert any("0 by WARC-Concurrent-To, 171 by the same target URI and a WARC-Date within "
               "5 s" in a for a in report.assumptions)
    assert any("171 by WARC-Concurrent-To, 0 by the same target URI" in a
               for a in linked_report.assumptions)
    assert not any("without a response" in w for w in report.warnings)


def test_requests_pair_by_uri_only_within_the_time_tolerance(options):
    warc = Warc()
    warc.request("https://x.com/jack/status/20", "2024-11-20T10:00:00Z")
    warc.response("https://x.com/jack/status/20", "2024-11-20T10:00:04Z", b"ok")
    warc.request("https://x.com/jack/status/21", "2024-11-20T10:00:00Z")
    warc.response("https://x.com/jack/status/21", "2024-11-20T10:01:00Z", b"ok")
    events, report = read(warc.bytes(), options)
    assert sorted((e.post_ids, e.accessed) for e in events) == [
        (("20",), True), (("21",), False), (("21",), True)]
    assert any("0 by WARC-Concurrent-To, 1 by the same target URI" in a
               for a in report.assumptions)
    assert any("1 request record without a response" in w for w in report.warnings)


def test_an_answer_written_before_its_request_pairs_by_uri_and_gets_its_method(options):
    warc = Warc()
    warc.response("https://x.com/jack/status/20", "2024-11-20T10:00:00Z", b"ok")
    warc.request("https://x.com/jack/status/20", "2024-11-20T10:00:00Z", method="POST")
    (single,), _ = read(warc.bytes(), options)
    assert single.method == "POST" and single.accessed


def test_a_request_naming_another_answer_does_not_pair_by_uri(options):
    warc = Warc()
    warc.request("https://x.com/jack/status/20", "2024-11-20T10:00:00Z",
                 link="<urn:uuid:00000000-0000-0000-0000-000000000000>")
    warc.response("https://x.com/jack/status/20", "2024-11-20T10:00:00Z", b"ok")
    events, _ = read(warc.bytes(), options)
    assert sorted(e.accessed for e in events) == [False, True]


# -- 4. a Scrapy log holding several runs ------------------------------------------------------

def scrapy_run(day: str, urls: list[str], responses: int) -> str:
    lines = [f"{day} 10:00:00 [scrapy.utils.log] INFO: Scrapy 2.11.0 started (bot: b)",
             f"{day} 10:00:00 [scrapy.core.engine] INFO: Spider opened"]
    lines += [f"{day} 10:00:0{n} [scrapy.core.engine] DEBUG: Crawled (200) <GET {url}> "
              "(referer: None)" for n, url in enumerate(urls, 1)]
    lines += [f"{day} 10:00:09 [scrapy.statscollectors] INFO: Dumping Scrapy stats:",
              f"{{'downloader/response_count': {responses},",
              f" 'finish_time': datetime.datetime({day.replace('-0', '-').replace('-', ', ')}"
              ", 10, 0, 9, 1000),",
              " 'finish_reason': 'finished'}",
              f"{day} 10:00:09 [scrapy.core.engine] INFO: Spider closed (finished)"]
    return "\n".join(lines) + "\n"


def test_each_scrapy_run_is_checked_against_its_own_stats(options):
    log = (scrapy_run("2024-11-20", ["https://x.com/a/status/1", "https://x.com/a/status/2"], 2)
           + scrapy_run("2024-11-21", ["https://x.com/a/status/3"], 1))
    events, report = read(log.encode(), options, "scrapy-log")
    assert len(events) == 3
    assert not any("lines are missing" in w for w in report.warnings)
    assert not any("clock skew" in w for w in report.warnings)
    assert any("2 runs of the crawler; each run with stats (2 of 2) was checked" in a
               for a in report.assumptions)


def test_a_run_that_lost_lines_is_named_and_the_others_are_not(options):
    log = (scrapy_run("2024-11-20", ["https://x.com/a/status/1"], 5)
           + scrapy_run("2024-11-21", ["https://x.com/a/status/3"], 1))
    _, report = read(log.encode(), options, "scrapy-log")
    missing = [w for w in report.warnings if "lines are missing" in w]
    assert len(missing) == 1 and missing[0].startswith("run 1 of 2 in this log: the log has 1")


# -- 5. Heritrix -404 was sent ----------------------------------------------------------------

def heritrix_line(status: int, uri: str) -> str:
    return (f"2024-11-20T10:00:05.000Z {status:>5} {'-':>10} {uri} L - text/html #014 "
            "20241120100001100+300 - - -")


def test_heritrix_minus_404_was_requested_not_accessed(options):
    log = "\n".join([heritrix_line(-404, "https://x.com/jack/status/20"),
                     heritrix_line(-2, "https://x.com/jack/status/21"),
                     heritrix_line(-4, "https://x.com/jack/status/22"),
                     heritrix_line(200, "https://x.com/jack/status/23")]) + "\n"
    events, report = read(log.encode(), options, "heritrix")
    assert [(e.post_ids, e.status, e.requested, e.accessed) for e in events] == [
        (("20",), -404, True, False), (("23",), 200, True, True)]
    assert report.skipped == {
        "not sent: Heritrix -2 (HTTP connect failed)": 1,
        "not counted, may or may not have reached the site: Heritrix -4 (HTTP timeout)": 1}


def test_heritrix_times_are_the_fetch_start_as_decision_0008_says(options):
    (single,), _ = read((heritrix_line(200, "https://x.com/jack/status/23") + "\n").encode(),
                        options, "heritrix")
    assert single.time_kind == "request-start"
    assert single.instant_ns == 1732096801_100_000_000  # 2024-11-20T10:00:01.100Z, field 9


# -- 6. a valid JSON object in no known format ---------------------------------------------------

def test_a_pretty_printed_json_object_is_said_to_be_in_no_known_format_once(runner, tmp_path):
    path = tmp_path / "thing.json"
    path.write_text(json.dumps({"kind": "report", "items": [1, 2]}, indent=2))
    with pytest.raises(InvalidInput) as caught:
        calculator.assess(str(path))
    assert "one valid JSON object, in no format this service reads" in caught.value.detail
    assert "not valid JSON" not in caught.value.detail
    result = runner.invoke(main, ["assess", str(path)])
    assert result.exit_code == 2
    assert result.output.count("in no format this service reads") == 1
    assert "not valid JSON" not in result.output


def test_a_json_parse_error_is_printed_once_on_the_command_line(runner, tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"timestamp": "2024-11-20T10:00:00Z"}\n{"timestamp": \n')
    result = runner.invoke(main, ["assess", str(path)])
    assert result.exit_code == 2
    assert "line 2: not valid JSON" in result.output
    assert result.output.count("Expecting value") == 1
