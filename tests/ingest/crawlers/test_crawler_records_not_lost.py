"""Crawler logs whose records were lost, miscounted or answered with a traceback: answers
sharing a WARC-Record-ID, times outside the years read, HAR entries of the wrong type,
warcio's own print of a record's bytes, a Scrapy log's byte order mark and referers, and
access-log lines of HTTP/3 or of impossible dates."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

import calculator
from calculator.errors import InvalidInput
from calculator.ingest.crawlers import ReadOptions
from calculator.ingest.events import ReadReport
from calculator.ingest.merged_reads import merge_reports
from tests.ingest.crawlers.test_counts_users_found_wrong import (
    STREAM_URL,
    heritrix_line,
    read,
    stream_body,
    v1_tweet,
)
from tests.ingest.crawlers.test_crawler_warc_har import Warc

STATUS = "https://x.com/jack/status/{}"


def warc_record(uri: str, record_id: str, date: str = "2025-03-01T10:00:00Z") -> bytes:
    block = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n"
             b"<html></html>")
    headers = [b"WARC/1.0", b"WARC-Type: response", b"WARC-Record-ID: " + record_id.encode(),
               b"WARC-Date: " + date.encode(), b"WARC-Target-URI: " + uri.encode(),
               b"Content-Type: application/http; msgtype=response",
               b"Content-Length: %d" % len(block)]
    return b"\r\n".join(headers) + b"\r\n\r\n" + block + b"\r\n\r\n"


def assessed(tmp_path, name: str, content: bytes | str):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return calculator.assess(str(path))


def test_answers_sharing_one_warc_record_id_are_each_counted_and_said_so(tmp_path):
    """Answers waiting for their request were kept by record id, so ten answers under one
    id (a writer reusing ids, a file joined to itself) counted as one request."""
    log = b"".join(warc_record(STATUS.format(100 + n), "<urn:uuid:0>") for n in range(10))
    result = assessed(tmp_path, "same-id.warc", log)
    assert (result.counts["requests"], result.counts["distinct_posts"]) == (10, 10)
    assert any("9 answer records with the WARC-Record-ID of an earlier one" in warning
               for warning in result.warnings)


def test_warcios_print_of_a_records_bytes_does_not_reach_standard_error(tmp_path, capfd):
    """warcio printed the bytes after a record whose Content-Length is short (a post's text
    and id) to standard error, that is into a server's or worker's own log."""
    first = warc_record(STATUS.format(1), "<urn:uuid:1>").replace(b"\r\n", b"\n", 3)
    second = warc_record(STATUS.format(2), "<urn:uuid:2>").replace(
        b"Content-Length: 80\r\n\r\nHTTP", b"Content-Length: 60\r\n\r\nHTTP")
    assessed(tmp_path, "short.warc", first + second)
    assert "Remainder" not in capfd.readouterr().err


HAR_ENTRY = {"startedDateTime": "2025-03-01T10:00:00Z",
             "request": {"method": "GET", "url": STATUS.format(1)}, "response": {"status": 200}}


@pytest.mark.parametrize("odd", [
    {"response": [1]}, {"response": "x"}, {"response": {"status": 1e400}},
    {"request": {"url": "https://x.com/i/api/graphql/a/UserTweets"},
     "response": {"status": 200, "content": [1]}},
])
def test_a_har_entry_of_the_wrong_type_is_counted_as_unread_not_a_traceback(tmp_path, odd):
    entries = [HAR_ENTRY, {**HAR_ENTRY, **odd}]
    text = json.dumps({"log": {"version": "1.2", "entries": entries}}).replace(
        "Infinity", "1e400")
    result = assessed(tmp_path, "odd.har", text)
    assert result.counts["requests"] + result.input.details["unparsed"] == 2


@pytest.mark.parametrize(("name", "content"), [
    ("late.warc", warc_record(STATUS.format(1), "<urn:uuid:1>", "2300-01-01T00:00:00Z")),
    ("early.warc", warc_record(STATUS.format(1), "<urn:uuid:1>", "1600-01-01T00:00:00Z")),
    ("late.har", json.dumps({"log": {"version": "1.2", "entries": [
        {**HAR_ENTRY, "startedDateTime": "9999-12-31T23:59:59-23:00"}]}})),
    ("late.log", "2300-03-01 10:00:00 [scrapy.core.engine] DEBUG: Crawled (200) "
                 f"<GET {STATUS.format(1)}> (referer: None)\n"),
    ("late-access.log", 'x.com:443 1.2.3.4 - - [01/Mar/2300:10:00:00 +0000] '
                        '"GET /jack/status/1 HTTP/1.1" 200 100 "-" "ua"\n'),
])
def test_a_crawler_time_outside_the_years_read_is_refused_by_its_line_not_a_traceback(
        tmp_path, name, content):
    """A table's timestamp in 2300 is refused by its row; a crawler's overflowed the
    counts' 64-bit nanoseconds with an OverflowError."""
    with pytest.raises(InvalidInput) as caught:
        assessed(tmp_path, name, content)
    assert str(caught.value) == ("line or record 1: its time is outside the years 1678 to "
                                 "2261, the instants this service reads")


def scrapy_line(second: int, post: int, referer: str = "None", flags: str = "") -> str:
    return (f"2025-03-01 10:00:0{second} [scrapy.core.engine] DEBUG: Crawled (200) "
            f"<GET {STATUS.format(post)}> (referer: {referer}){flags}\n")


def test_a_scrapy_logs_first_line_after_a_byte_order_mark_is_counted(tmp_path):
    log = b"\xef\xbb\xbf" + (scrapy_line(1, 1) + scrapy_line(2, 2)).encode()
    assert assessed(tmp_path, "bom.log", log).counts["requests"] == 2


def test_only_scrapys_own_cached_flag_marks_a_cache_hit_not_a_referer_holding_the_word(
        tmp_path):
    log = (scrapy_line(1, 1) + scrapy_line(2, 2, "https://x.com/search?q='cached'")
           + scrapy_line(3, 3, flags=" ['cached']"))
    result = assessed(tmp_path, "cached.log", log)
    assert result.counts["requests"] == 2
    assert result.input.details["skipped"] == {
        "served from Scrapy's HTTP cache, not sent to the site": 1}


def access_line(when: str, post: int, protocol: str) -> str:
    return (f'x.com:443 1.2.3.4 - - [{when} +0000] "GET /jack/status/{post} {protocol}" '
            '200 100 "-" "ua"\n')


def test_an_http_3_request_line_counts_its_post_as_http_1_and_2_do(tmp_path):
    log = "".join(access_line(f"01/Mar/2025:10:00:0{n}", n, protocol)
                  for n, protocol in enumerate(["HTTP/1.1", "HTTP/3.0", "HTTP/3", "HTTP/2"]))
    assert assessed(tmp_path, "h3.log", log).counts["requested_posts"] == 4


@pytest.mark.parametrize("when", ["31/Feb/2025:10:00:00", "01/Mar/2025:99:99:99",
                                  "01/Mar/2025:24:00:00"])
def test_an_access_log_time_that_is_no_real_time_is_not_moved_to_another_day(tmp_path, when):
    """31 February was read as 3 March, and 1 March at 99:99:99 as 5 March at 04:40:39."""
    log = access_line("01/Mar/2025:10:00:00", 1, "HTTP/1.1") * 3 + access_line(when, 2,
                                                                             "HTTP/1.1")
    result = assessed(tmp_path, "dates.log", log)
    assert result.counts["requests"] == 3
    assert result.input.details["unparsed"] == 1


def test_a_streamed_body_of_a_million_lines_counts_the_posts_among_them(ruleset):
    """Only lines naming an id are parsed, and nothing is kept for the others: a body of
    8,000,000 lines of ``1`` took 29 s and 1.2 GB. The posts among such lines, and a body
    of notices only, are counted as before."""
    options = ReadOptions.for_ruleset(ruleset)
    filler = b"1\n" * 1_000_000
    body = filler + stream_body(v1_tweet("101"), None, {"limit": {"track": 3}},
                                v1_tweet("102", quoted="900"), newline=b"\n") + filler
    notices = stream_body({"limit": {"track": 3}}, None, {"delete": {"status": {}}})
    warc = Warc()
    warc.response(STREAM_URL, "2024-11-20T10:00:00Z", body)
    warc.response(STREAM_URL, "2024-11-20T10:00:01Z", notices)
    (posts, none), _ = read(warc.bytes(), options)
    assert (posts.basis, posts.post_ids, posts.embedded_post_ids) == (
        "body-count", ("101", "102"), ("900",))
    assert (none.basis, none.posts) == ("body-count", 0)


@pytest.mark.parametrize("records", [50, 4000])
def test_a_gzip_warc_cut_short_counts_every_record_before_the_cut(tmp_path, records):
    """An interrupted crawl's .warc.gz: refusing it at the cut threw away the records
    decompressed in the same read (all 49 complete ones of a 50-record file; 241 of a
    4,000-record one). A gzip CSV cut short is still refused: it has no records to end on."""
    log = b"".join(gzip.compress(warc_record(STATUS.format(n), f"<urn:uuid:{n}>"))
                   for n in range(records))
    result = assessed(tmp_path, "cut.warc.gz", log[:-30])
    assert result.counts["requests"] == records  # the cut one's headers were read
    assert any("the gzip data breaks off inside a member" in w for w in result.warnings)
    with pytest.raises(InvalidInput, match="truncated"):
        assessed(tmp_path, "cut.csv.gz", gzip.compress(
            b"timestamp\n" + b"2025-03-01T10:00:00Z\n" * 20_000)[:-30])


@pytest.mark.parametrize("short", [10, 1])
def test_a_warc_cut_inside_a_records_header_block_says_that_record_was_not_read(tmp_path,
                                                                              short):
    """warcio read the tail of a file cut inside a record's headers as nothing at all: the
    record was lost without a word."""
    records = [warc_record(STATUS.format(n), f"<urn:uuid:{n}>") for n in range(3)]
    log = b"".join(records)
    headers_end = log.index(b"\r\n\r\n", len(records[0]) + len(records[1]))
    result = assessed(tmp_path, "cut-header.warc", log[:headers_end - short])
    assert result.counts["requests"] == 2
    assert any("ends inside the header block of the record after record 2" in w
               for w in result.warnings)


def test_a_bad_element_of_a_pretty_printed_json_array_is_named_by_its_own_line(tmp_path):
    """Every element of a JSON array was reported at the line the array starts on."""
    items = [{"id": str(1890000000000000000 + n), "text": "t", "__twarc": {
        "url": "https://api.twitter.com/2/tweets/search/recent",
        "retrieved_at": f"2025-03-01T10:00:0{n}+00:00"}} for n in range(6)]
    items[4]["__twarc"]["retrieved_at"] = "not a date"
    text = json.dumps(items, indent=2)
    result = assessed(tmp_path, "twarc.json", text)
    starts = [n for n, line in enumerate(text.splitlines(), 1) if line == "  {"]
    fifth = starts[4]  # the line the fifth element's "{" is on
    assert result.input.details["unparsed_examples"] == [
        {"line": fifth, "why": "__twarc.retrieved_at is not an instant"}]
    assert result.counts["requests"] == 5


def flushed_gzip(text: str) -> bytes:
    """A gzip member as a crawler killed mid-write leaves it: everything written so far is
    inflatable (flushed), but the member never ends (no final block, no trailer)."""
    writer = zlib.compressobj(wbits=31)
    return writer.compress(text.encode()) + writer.flush(zlib.Z_SYNC_FLUSH)


def crawl_line(post: int) -> str:
    return heritrix_line(200, STATUS.format(post)) + "\n"


LINE_LOGS = {
    "heritrix": crawl_line,
    "access-log": lambda post: access_line("01/Mar/2025:10:00:00", post, "HTTP/1.1"),
    "scrapy-log": lambda post: scrapy_line(1, post),
}


@pytest.mark.parametrize("fmt", sorted(LINE_LOGS))
def test_a_gzip_line_log_cut_short_counts_its_whole_lines_and_not_the_line_cut(tmp_path,
                                                                              fmt):
    """An interrupted crawl's gzip log was refused whole. Its whole lines now count; the
    line the cut falls in does not, since what is left of it names another post (here
    post 123 of 12345)."""
    make = LINE_LOGS[fmt]
    whole = "".join(make(1000 + n) for n in range(40))
    cut_line = make(12345)
    log = flushed_gzip(whole + cut_line[:cut_line.index("12345") + 3])
    result = assessed(tmp_path, f"cut-{fmt}.log.gz", log)
    assert (result.counts["requests"], result.counts["distinct_posts"]) == (40, 40)
    assert result.input.rows == 41
    assert result.input.details["unparsed_examples"] == [
        {"line": 41, "why": "the file breaks off inside this line (its gzip data was cut "
                            "short)"}]
    assert result.warnings == (
        "the gzip data breaks off inside a member after line 40 (the file was cut short): "
        "the lines before the cut were read, and line 41, which the cut falls in, was not: "
        "what is left of it could name another post.",)


def test_a_gzip_line_log_cut_where_a_line_ends_counts_every_line_and_says_it_was_cut(
        tmp_path):
    log = "".join(crawl_line(1000 + n) for n in range(3))
    cut = assessed(tmp_path, "cut.log.gz", flushed_gzip(log))
    assert (cut.counts["requests"], cut.input.rows) == (3, 3)
    assert cut.warnings == ("the gzip data breaks off inside a member after line 3 (the file "
                            "was cut short): the lines before the cut were read.",)
    whole = assessed(tmp_path, "whole.log.gz", gzip.compress(log.encode()))
    assert (whole.counts["requests"], whole.warnings) == (3, ())
    # A last line without its newline, in a gzip that ends properly, is a whole line.
    unended = assessed(tmp_path, "unended.log.gz", gzip.compress(log.rstrip("\n").encode()))
    assert (unended.counts["requests"], unended.warnings) == (3, ())


def test_a_gzip_json_array_cut_short_is_refused_and_the_cut_is_named(tmp_path):
    """A JSON array the cut leaves open cannot be read; the refusal names the cut, not only
    the JSON's complaint about its end."""
    items = [{"id": str(1890000000000000000 + n), "__twarc": {
        "retrieved_at": f"2025-03-01T10:00:0{n}+00:00"}} for n in range(6)]
    text = json.dumps(items, indent=2)
    with pytest.raises(InvalidInput, match=r"Expecting .* \(the gzip data breaks off inside "
                                           r"a member after line \d+: the file was cut short\)"):
        assessed(tmp_path, "cut.json.gz", flushed_gzip(text[: len(text) * 2 // 3]))


def test_a_warning_about_one_file_of_many_names_the_files_it_concerns(tmp_path):
    """The warnings of a log's files were merged as one list that did not say which file
    each concerned, and two files cut alike were told as one."""
    whole = "".join(crawl_line(1000 + n) for n in range(3))
    other = "".join(crawl_line(2000 + n) for n in range(3))
    for name, content in [("a.log.gz", flushed_gzip(whole + crawl_line(12345)[:90])),
                          ("b.log.gz", gzip.compress(whole.encode())),
                          ("c.log.gz", flushed_gzip(other + crawl_line(12345)[:90]))]:
        (tmp_path / name).write_bytes(content)
    result = calculator.assess([str(tmp_path / n) for n in ("a.log.gz", "b.log.gz",
                                                              "c.log.gz")])
    assert result.counts["requests"] == 9
    assert result.warnings == (
        "files 1 and 3: the gzip data breaks off inside a member after line 3 (the file was "
        "cut short): the lines before the cut were read, and line 4, which the cut falls "
        "in, was not: what is left of it could name another post.",)


def test_a_warning_given_for_many_files_names_the_first_five_and_counts_the_rest():
    reports = [ReadReport(format="heritrix", warnings=["cut short"] if n != 2 else [])
               for n in range(1, 9)]
    assert merge_reports(reports).warnings == ["files 1, 3, 4, 5, 6 and 2 more: cut short"]
    assert merge_reports(reports[:1]).warnings == ["cut short"]


def test_a_warning_names_its_own_file_when_that_file_also_skipped_records():
    """A file's count of skipped records took the place of its number: a warning of file 2,
    which had skipped 40 records, was given as "files 1 and 40"."""
    first = ReadReport(format="heritrix", warnings=["cut short"])
    second = ReadReport(format="heritrix", warnings=["cut short"])
    second.skip("not a network request", 40)
    merged = merge_reports([first, second])
    assert merged.warnings == ["files 1 and 2: cut short"]
    assert merged.skipped == {"not a network request": 40}
