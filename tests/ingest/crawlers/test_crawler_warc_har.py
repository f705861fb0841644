"""Edge cases of WARC and HAR, on small files written here with warcio and json."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from calculator.errors import InvalidInput
from calculator.ingest.crawlers import ReadOptions, read_crawler_log

GRAPHQL_URL = ("https://x.com/i/api/graphql/Qw/SearchTimeline?variables=%7B%22rawQuery%22%3A"
               "%22a%22%2C%22count%22%3A20%7D")


@pytest.fixture(scope="module")
def options(ruleset) -> ReadOptions:
    return ReadOptions.for_ruleset(ruleset)


def timeline(*ids: str, quoted: str | None = None) -> bytes:
    entries = []
    for n, post in enumerate(ids):
        result = {"__typename": "Tweet", "rest_id": post, "legacy": {}}
        if quoted and n == 0:
            result["quoted_status_result"] = {"result": {"__typename": "Tweet",
                                                         "rest_id": quoted}}
        entries.append({"entryId": f"tweet-{post}", "content": {"itemContent": {
            "tweet_results": {"result": result}}}})
    return json.dumps({"data": {"search_by_raw_query": {"search_timeline": {"timeline": {
        "instructions": [{"type": "TimelineAddEntries", "entries": entries}]}}}}}).encode()


class Warc:
    """A small WARC written record by record, the way crawlers write them.

    Lengths are always given: without one, warcio buffers the payload in a temporary file
    it never closes.
    """

    def __init__(self, gzip_records: bool = True) -> None:
        self.buffer = io.BytesIO()
        self.writer = WARCWriter(self.buffer, gzip=gzip_records)

    def request(self, uri: str, date: str, method: str = "GET",
                link: str | None = None) -> str:
        path = "/" + uri.split("/", 3)[3] if uri.count("/") >= 3 else "/"
        headers = StatusAndHeaders(f"{method} {path} HTTP/1.1", [("Host", "x.com")],
                                   is_http_request=True)
        extra = {"WARC-Date": date}
        if link:
            extra["WARC-Concurrent-To"] = link
        record = self.writer.create_warc_record(uri, "request", payload=io.BytesIO(b""),
                                                length=0, http_headers=headers,
                                                warc_headers_dict=extra)
        self.writer.write_record(record)
        return record.rec_headers.get_header("WARC-Record-ID")

    def response(self, uri: str, date: str, body: bytes, status: str = "200 OK",
                 link: str | None = None) -> tuple[str, str]:
        headers = StatusAndHeaders(status, [("Content-Type", "application/json"),
                                            ("Content-Length", str(len(body)))],
                                   protocol="HTTP/1.1")
        extra = {"WARC-Date": date}
        if link:
            extra["WARC-Concurrent-To"] = link
        record = self.writer.create_warc_record(uri, "response", payload=io.BytesIO(body),
                                                length=len(body), http_headers=headers,
                                                warc_headers_dict=extra)
        self.writer.write_record(record)
        return (record.rec_headers.get_header("WARC-Record-ID"),
                record.rec_headers.get_header("WARC-Payload-Digest"))

    def revisit(self, uri: str, date: str, digest: str, refers_to_date: str) -> None:
        headers = StatusAndHeaders("200 OK", [("Content-Type", "application/json")],
                                   protocol="HTTP/1.1")
        record = self.writer.create_revisit_record(uri, digest, uri, refers_to_date,
                                                   http_headers=headers,
                                                   warc_headers_dict={"WARC-Date": date})
        self.writer.write_record(record)

    def other(self, kind: str, uri: str, date: str, body: bytes = b"x") -> None:
        record = self.writer.create_warc_record(uri, kind, payload=io.BytesIO(body),
                                                length=len(body), warc_content_type="text/plain",
                                                warc_headers_dict={"WARC-Date": date})
        self.writer.write_record(record)

    def bytes(self) -> bytes:
        return self.buffer.getvalue()


def read(data: bytes, options: ReadOptions, fmt: str | None = None):
    events, report = read_crawler_log(io.BytesIO(data), fmt, options)
    return list(events), report


def test_posts_in_a_stored_graphql_answer_are_counted_from_its_body(options):
    warc = Warc()
    request = warc.request(GRAPHQL_URL, "2024-11-20T10:00:00Z")
    warc.response(GRAPHQL_URL, "2024-11-20T10:00:00Z", timeline("1", "2", "3", quoted="9"),
                  link=request)
    (answer,), report = read(warc.bytes(), options)
    assert report.format == "warc"
    assert answer.basis == "body-count" and answer.post_ids == ("1", "2", "3")
    assert answer.embedded_post_ids == ("9",) and answer.posts == 3
    assert answer.method == "GET" and answer.time_kind == "capture-start"
    embedded = ReadOptions(hosts=options.hosts, embedded_posts=True)
    (answer,), _ = read(warc.bytes(), embedded)
    assert answer.posts == 4


def test_a_revisit_counts_as_accessed_but_carries_no_new_body(options):
    warc = Warc()
    _, digest = warc.response(GRAPHQL_URL, "2024-11-20T10:00:00Z", timeline("1", "2"))
    warc.revisit(GRAPHQL_URL, "2024-11-21T10:00:00Z", digest, "2024-11-20T10:00:00Z")
    other = GRAPHQL_URL.replace("SearchTimeline", "OtherTimeline")
    warc.revisit(other, "2024-11-21T11:00:00Z", "sha1:NEVERSEEN", "2023-01-01T00:00:00Z")
    (first, again, unknown), report = read(warc.bytes(), options)
    assert again.accessed and again.requested
    assert again.post_ids == first.post_ids == ("1", "2")  # the posts of the earlier capture
    assert again.basis == "body-count"
    assert unknown.accessed and unknown.basis == "url-param" and unknown.posts == 20
    assert any("1 revisit record given the posts" in a for a in report.assumptions)


def test_requests_warcinfo_metadata_and_non_http_resources_are_never_accesses(options):
    warc = Warc()
    warc.other("warcinfo", "", "2024-11-20T10:00:00Z")
    request = warc.request("https://x.com/jack/status/20", "2024-11-20T10:00:01Z")
    warc.response("https://x.com/jack/status/20", "2024-11-20T10:00:01Z", b"<html/>",
                  link=request)
    warc.other("metadata", "https://x.com/jack/status/20", "2024-11-20T10:00:01Z")
    warc.other("resource", "metadata://gnu.org/software/wget/warc/MANIFEST.txt",
               "2024-11-20T10:00:02Z")
    warc.other("response", "dns:x.com", "2024-11-20T10:00:00Z")
    warc.other("resource", "https://x.com/jack/status/21", "2024-11-20T10:00:03Z")
    events, report = read(warc.bytes(), options)
    assert [(e.url, e.status, e.accessed) for e in events] == [
        ("https://x.com/jack/status/20", 200, True),
        ("https://x.com/jack/status/21", None, True),  # an http resource: content captured
    ]
    assert report.skipped == {
        "warcinfo record, not an access": 1,
        "metadata record, not an access": 1,
        "resource record of a metadata: URI, not an access": 1,
        "response record of a dns: URI, not an access": 1,
    }


def test_a_request_without_an_answer_counts_as_requested_only(options):
    warc = Warc()
    warc.request("https://x.com/jack/status/20", "2024-11-20T10:00:00Z")
    (single,), report = read(warc.bytes(), options)
    assert single.requested and not single.accessed and single.post_ids == ("20",)
    assert any("1 request record without a response" in w for w in report.warnings)


def test_a_response_written_before_its_request_gets_the_requests_method(options):
    warc = Warc()
    response, _ = warc.response("https://x.com/jack/status/20", "2024-11-20T10:00:00Z", b"ok")
    warc.request("https://x.com/jack/status/20", "2024-11-20T10:00:00Z", method="POST",
                 link=response)
    (single,), report = read(warc.bytes(), options)
    assert single.method == "POST" and not report.warnings


def test_each_warc_date_without_an_offset_is_counted_once_as_read_in_the_assumed_zone(
        options):
    warc = Warc()
    warc.response("https://x.com/jack/status/20", "2024-11-20T10:00:00", b"ok")
    warc.request("https://x.com/jack/status/21", "2024-11-20T10:00:05")
    events, report = read(warc.bytes(), options)
    assert len(events) == 2
    assert any(a.startswith("2 timestamps without a UTC offset") for a in report.assumptions)


def test_an_error_answer_was_requested_not_accessed(options):
    warc = Warc()
    warc.response("https://x.com/jack/status/20", "2024-11-20T10:00:00Z", b"no",
                  status="404 Not Found")
    warc.response("https://twitter.com/jack/status/21", "2024-11-20T10:00:00Z", b"",
                  status="301 Moved Permanently")
    events, _ = read(warc.bytes(), options)
    assert [(e.requested, e.accessed, e.posts) for e in events] == [
        (True, False, 1), (True, False, 1)]


def test_a_warc_gzipped_whole_is_read_as_well_as_one_gzipped_per_record(options):
    warc = Warc(gzip_records=False)
    warc.response("https://x.com/jack/status/20", "2024-11-20T10:00:00Z", b"a")
    warc.response("https://x.com/jack/status/21", "2024-11-20T10:00:01Z", b"b")
    for data in (warc.bytes(), gzip.compress(warc.bytes())):
        events, report = read(data, options)
        assert report.format == "warc"
        assert [e.post_ids for e in events] == [("20",), ("21",)]


@pytest.mark.parametrize("gzip_records", [False, True])
def test_a_truncated_warc_keeps_its_records_and_says_how_much_is_missing(gzip_records,
                                                                        options):
    noise = b"".join(hashlib.sha256(str(n).encode()).digest() for n in range(200))
    warc = Warc(gzip_records=gzip_records)
    warc.response("https://x.com/jack/status/20", "2024-11-20T10:00:00Z", b"a")
    warc.response("https://x.com/jack/status/21", "2024-11-20T10:00:01Z", noise)
    events, report = read(warc.bytes()[:-3000], options, "warc")
    assert [e.post_ids for e in events] == [("20",), ("21",)]
    (warning,) = report.warnings
    assert warning.startswith("record 2 is cut short:") and "truncated" in warning


def test_bytes_that_are_not_a_warc_are_refused(options):
    with pytest.raises(InvalidInput, match="WARC"):
        read(b"this is not a warc\n" * 10, options, "warc")


# -- HAR -------------------------------------------------------------------------------------


def har(*entries: dict) -> bytes:
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                               "entries": list(entries)}}).encode()


def entry(url: str, started: str, status: int = 200, content: dict | None = None,
          **extra: object) -> dict:
    return {"startedDateTime": started, "time": 50,
            "request": {"method": "GET", "url": url, "headers": []},
            "response": {"status": status, "content": content or {"size": 0}}, **extra}


def test_har_offsets_move_events_to_the_next_utc_day(options):
    (single,), _ = read(har(entry("https://x.com/jack/status/20",
                                  "2015-02-21T19:15:37.909-08:00")), options)
    assert single.instant_ns == 1424574937909000000  # 2015-02-22T03:15:37.909Z
    assert single.time_kind == "request-start"


def test_har_base64_bodies_are_decoded_and_counted(options):
    body = base64.b64encode(timeline("1", "2", quoted="3")).decode()
    content = {"size": 10, "mimeType": "application/json", "text": body, "encoding": "base64"}
    (single,), _ = read(har(entry(GRAPHQL_URL, "2024-11-20T10:00:00Z", content=content)),
                        options)
    assert single.post_ids == ("1", "2") and single.embedded_post_ids == ("3",)
    assert single.basis == "body-count"


def test_har_without_bodies_falls_back_to_the_url(options):
    (single,), _ = read(har(entry(GRAPHQL_URL, "2024-11-20T10:00:00Z")), options)
    assert single.basis == "url-param" and single.posts == 20


def test_har_cache_hits_and_data_urls_never_reached_the_site(options):
    data = har(entry("data:image/png;base64,AAAA", "2024-11-20T10:00:00Z"),
               entry("https://x.com/jack/status/20", "2024-11-20T10:00:00Z",
                     _fromCache="memory"),
               entry("https://x.com/jack/status/21", "2024-11-20T10:00:01Z", status=0))
    (aborted,), report = read(data, options)
    assert aborted.requested and not aborted.accessed and aborted.post_ids == ("21",)
    assert sum(report.skipped.values()) == 2


def test_a_broken_har_is_refused(options):
    with pytest.raises(InvalidInput, match="HAR"):
        read(b'{"log": {"entries": [', options, "har")


@pytest.mark.parametrize("document", [b'{"log": {"version": "1.2", "entries": []}}',
                                      b'{"log": {"version": "1.2"}}'])
def test_a_har_without_entries_is_refused_as_a_log_with_nothing_to_assess(options, document):
    """Its entries are read one at a time as the file is read (a HAR parsed whole took 2.2
    GB for 269 MB), so an empty list and a missing one are told alike: nothing to assess,
    as a table without rows is refused."""
    with pytest.raises(InvalidInput, match="this HAR file holds no entries"):
        read(document, options, "har")


def test_a_har_that_breaks_off_after_an_entry_is_refused(options):
    data = har(entry("https://x.com/jack/status/20", "2024-11-20T10:00:00Z"))[:-40]
    with pytest.raises(InvalidInput, match="the JSON ends too soon"):
        read(data, options, "har")
