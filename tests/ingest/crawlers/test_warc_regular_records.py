"""Regular WARC records split without warcio read exactly as warcio reads them.

The reference is the WARC reader with every record read by warcio (``lean=False``). On
WARCs of every record type, HTTP answer shape and body encoding, plain or gzip, and then
broken in the ways real files break (cut short anywhere, a Content-Length off, bytes
between records, blank lines missing or extra, header lines of other shapes), the events,
the report and any refusal must be identical: the lean splitting either reads a record as
warcio would, or leaves it and the rest of the file to warcio.
"""

from __future__ import annotations

import gzip
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from calculator.errors import InvalidInput
from calculator.ingest.crawlers import ReadOptions, warc
from calculator.ingest.events import ReadReport

GRAPHQL = "https://x.com/i/api/graphql/Qw/SearchTimeline?variables=%7B%22count%22%3A20%7D"


@pytest.fixture(scope="module")
def options(ruleset) -> ReadOptions:
    return ReadOptions.for_ruleset(ruleset)


def _timeline(first: int, count: int) -> bytes:
    entries = [{"entryId": f"tweet-{first + n}", "content": {"itemContent": {
        "tweet_results": {"result": {"__typename": "Tweet", "rest_id": str(first + n)}}}}}
        for n in range(count)]
    return json.dumps({"data": {"search_by_raw_query": {"search_timeline": {"timeline": {
        "instructions": [{"type": "TimelineAddEntries", "entries": entries}]}}}}}).encode()


def _chunked(body: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                    for part in (body[:7], body[7:]) if part) + b"0\r\n\r\n"


_uris = st.sampled_from([
    GRAPHQL, "https://x.com/jack/status/20", "https://twitter.com/a/status/21",
    "<https://x.com/b/status/22>", "https://x.com/with space/status/23", "HTTPS://X.COM/c",
    "dns:x.com", "https://example.org/", "https://x.com/i/api/2/tweets?ids=1,2", None])


@st.composite
def _records(draw: st.DrawFn) -> dict:
    kind = draw(st.sampled_from(["response", "response", "request", "revisit", "resource",
                                 "metadata", "warcinfo"]))
    body = draw(st.sampled_from([b"", b"<html>x</html>", b"not json",
                                 _timeline(draw(st.integers(1, 99)), 3)]))
    return {"kind": kind, "uri": draw(_uris), "body": body,
            "status": draw(st.sampled_from(["200 OK", "404 Not Found", "304", "200"])),
            "encoding": draw(st.sampled_from([None, "gzip", "chunked", "gzip+chunked", "br"])),
            "second": draw(st.integers(0, 9)),
            "link": draw(st.booleans())}


def _write(records: list[dict], per_record_gzip: bool) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=per_record_gzip)
    previous = None
    for spec in records:
        uri, body = spec["uri"], spec["body"]
        extra = {"WARC-Date": f"2024-11-20T10:00:0{spec['second']}Z"}
        if spec["link"] and previous:
            extra["WARC-Concurrent-To"] = previous
        if spec["kind"] in ("response", "revisit"):
            fields = [("Content-Type", "application/json")]
            if spec["encoding"] and "gzip" in spec["encoding"]:
                body = gzip.compress(body)
                fields.append(("Content-Encoding", "gzip"))
            if spec["encoding"] == "br":
                fields.append(("Content-Encoding", "br"))  # not br at all: a broken body
            if spec["encoding"] and "chunked" in spec["encoding"]:
                body = _chunked(body)
                fields.append(("Transfer-Encoding", "chunked"))
            http = StatusAndHeaders(spec["status"], fields, protocol="HTTP/1.1")
        elif spec["kind"] == "request":
            http, body = StatusAndHeaders("GET /x HTTP/1.1", [("Host", "x.com")],
                                          is_http_request=True), b""
        else:
            http = None
        if spec["kind"] == "revisit":
            record = writer.create_revisit_record(uri or "", "sha1:AAAA", uri or "",
                                                  "2024-11-19T10:00:00Z", http_headers=http,
                                                  warc_headers_dict=extra)
        else:
            record = writer.create_warc_record(
                uri or "", spec["kind"], payload=io.BytesIO(body), length=len(body),
                http_headers=http, warc_content_type=None if http else "text/plain",
                warc_headers_dict=extra)
        if uri is None:
            record.rec_headers.remove_header("WARC-Target-URI")
        writer.write_record(record)
        previous = record.rec_headers.get_header("WARC-Record-ID")
    return out.getvalue()


@st.composite
def _broken(draw: st.DrawFn, data: bytes) -> bytes:
    """The plain WARC broken one way or another."""
    how = draw(st.integers(0, 8))
    at = draw(st.integers(0, max(0, len(data) - 1)))
    if how == 0:
        return data[:at]  # cut short anywhere
    if how == 1:
        lengths = [i for i in range(len(data)) if data.startswith(b"Content-Length: ", i)]
        if lengths:
            i = draw(st.sampled_from(lengths)) + 16
            return data[:i] + str(draw(st.integers(0, 400))).encode() + \
                data[data.index(b"\r\n", i):]
    if how == 2:
        return data.replace(b"\r\n\r\nWARC/", draw(st.sampled_from(
            [b"\r\n\r\nJUNK\r\nWARC/", b"WARC/", b"\r\n\r\n\r\n\r\nWARC/", b"\r\nWARC/",
             b"\r\n \r\n\r\nWARC/"])), draw(st.integers(1, 3)))
    if how == 3:
        return data.replace(b"\r\nWARC-Date", draw(st.sampled_from(
            [b"\nWARC-Date", b"\r\n WARC-Date", b"\r\nwarc-date", b"\r\nWARC-Date :"])), 1)
    if how == 4:
        return data.replace(b"\r\nWARC-Type: ", b"\r\nWARC-Type: response\r\nWARC-Type: ", 1)
    if how == 5:
        return data + draw(st.sampled_from([b"\r\n", b"junk", b"\r\n\r\n  \r\n"]))
    if how == 6:
        return data.replace(b"WARC/1.0\r\n", b"WARC/1.1\r\n", 1).replace(
            b"HTTP/1.1 ", draw(st.sampled_from([b"HTTP/1.1  ", b"", b"HTTP/1.1 \xff"])), 1)
    if how == 7:
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    return data


def _read(data: bytes, options: ReadOptions, lean: bool):
    report = ReadReport(format="warc")
    try:
        events = list(warc.read(io.BytesIO(data), options, report, lean=lean))
    except InvalidInput as exc:
        return ("refused", str(exc))
    # Only the lean reader can tell a file cut inside a record's headers from its end
    # (warcio reads such a tail as nothing): the same events, and that one warning more.
    report.warnings = [w for w in report.warnings
                       if not w.startswith("the file ends inside the header block")]
    return events, report


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(_records(), min_size=1, max_size=6), st.booleans(), st.data())
def test_a_warc_reads_the_same_split_lean_as_through_warcio(options, records, gzipped, data):
    plain = _write(records, per_record_gzip=False)
    for _ in range(data.draw(st.integers(0, 2))):
        plain = data.draw(_broken(plain))
    body = gzip.compress(plain) if gzipped else plain
    assert _read(body, options, lean=True) == _read(body, options, lean=False)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(_records(), min_size=1, max_size=6))
def test_a_warc_gzipped_record_by_record_reads_the_same_split_lean(options, records):
    data = _write(records, per_record_gzip=True)
    assert _read(data, options, lean=True) == _read(data, options, lean=False)


def test_regular_records_are_split_without_warcio(options):
    from calculator.ingest.crawlers.warc_records import Records

    records = [{"kind": "response", "uri": GRAPHQL, "body": _timeline(1, 3), "status": "200 OK",
                "encoding": None, "second": 0, "link": False}] * 5
    plain = _write(records, per_record_gzip=False)
    split = Records(io.BytesIO(plain), lambda kind, uri: True, 1 << 20)
    assert len(list(split)) == 5
    assert split.lean == 5 and split.errors == 0
