"""Edge cases of the line-based logs: Heritrix, Apache/nginx, Squid and Scrapy, hand-written."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime

import pytest

from calculator.errors import InvalidInput
from calculator.ingest.crawlers import ReadOptions, read_crawler_log


@pytest.fixture(scope="module")
def options(ruleset) -> ReadOptions:
    return ReadOptions.for_ruleset(ruleset)


def read(text: str, fmt: str | None, options: ReadOptions):
    events, report = read_crawler_log(io.BytesIO(text.encode()), fmt, options)
    return list(events), report


def iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="milliseconds")


# -- Heritrix --------------------------------------------------------------------------------

H3 = ("2024-11-20T10:00:01.500Z   200      15829 https://x.com/jack/status/20 L "
      "https://x.com/jack text/html #014 20241120100001100+300 sha1:ABC - 3t")
H3_JSON = (H3.replace("/20 ", "/21 ") + ' {"warcFilename":"a b.warc.gz","warcFileOffset":530,'
           '"scopeDecision":"ACCEPT by rule #14"}')
H1 = ("2024-11-20T10:00:02.000Z   200        300 https://mobile.twitter.com/jack/status/22/photo/1"
      " L - text/html #002 20241120100001900+50 NYN2HPNQGIPJTPMGAV4QPBUCVJVNMM54 -")


def test_heritrix_11_and_12_field_lines_and_the_json_extra_field_all_read(options):
    events, report = read("\n".join([H3, H3_JSON, H1]) + "\n", "heritrix", options)
    assert report.unparsed == 0
    assert [e.post_ids for e in events] == [("20",), ("21",), ("22",)]
    assert all(e.platform == "x" and e.basis == "url-pattern" for e in events)
    assert iso(events[0].instant_ns) == "2024-11-20T10:00:01.100+00:00"  # field 9
    assert events[0].time_kind == "request-start"


def test_dns_and_robots_txt_are_never_posts(options):
    lines = [
        "2024-11-20T10:00:00.100Z     1         53 dns:x.com P https://x.com/ text/dns #002 "
        "20241120100000050+2 - - -",
        "2024-11-20T10:00:00.500Z   200         99 https://x.com/robots.txt P https://x.com/ "
        "text/plain #001 20241120100000300+100 sha1:A - -",
    ]
    events, report = read("\n".join(lines), "heritrix", options)
    (robots,) = events
    assert robots.requested and robots.posts == 0 and robots.platform == "x"
    assert report.skipped == {"dns lookup, not a request to the site": 1}


def test_heritrix_codes_below_zero_were_never_sent(options):
    line = ("2024-11-20T10:00:00.500Z -9998          - https://x.com/jack/status/23 L "
            "https://x.com/ no-type #030 - - - 3t")
    events, report = read(line + "\n" + H3, "heritrix", options)
    assert len(events) == 1
    assert report.skipped == {"not sent: Heritrix -9998 (robots.txt precluded the fetch)": 1}


def test_a_line_without_fetch_time_uses_the_log_time_and_says_so(options):
    line = H3.replace("20241120100001100+300", "-")
    (single,), report = read(line, "heritrix", options)
    assert single.time_kind == "logged"
    assert iso(single.instant_ns) == "2024-11-20T10:00:01.500+00:00"
    assert any("1 line without a fetch time" in a for a in report.assumptions)


def test_heritrix_skew_between_log_time_and_fetch_time_is_warned_with_its_size(options):
    skewed = H3.replace("2024-11-20T10:00:01.500Z", "2024-11-20T11:00:01.400Z")
    _, report = read(skewed + "\n" + H3, "heritrix", options)
    (warning,) = report.warnings
    assert "+3600 s" in warning and "1 of 2 lines" in warning


def test_a_gzipped_crawl_log_is_read_the_same(options):
    data = gzip.compress((H3 + "\n" + H1 + "\n").encode())
    events, report = read_crawler_log(io.BytesIO(data), None, options)
    assert report.format == "heritrix" and len(list(events)) == 2


def test_a_truncated_gzip_file_is_bad_input_not_a_crash(options):
    data = gzip.compress(((H3 + "\n") * 200).encode())
    events, _ = read_crawler_log(io.BytesIO(data[: len(data) // 2]), None, options)
    with pytest.raises(InvalidInput, match="gzip data is corrupt or truncated"):
        list(events)


def test_a_truncated_heritrix_line_is_counted_with_its_line_number(options):
    events, report = read(H3 + "\n" + H3[:40] + "\n" + H1, "heritrix", options)
    assert len(events) == 2
    assert report.unparsed == 1 and report.unparsed_examples[0][0] == 2


# -- access logs -----------------------------------------------------------------------------

COMBINED = ('10.0.0.1 - - [20/Nov/2024:10:00:00 +0000] "GET /jack/status/20 HTTP/1.1" 200 512 '
            '"-" "Mozilla/5.0"')


def test_quotes_inside_request_lines_do_not_end_them(options):
    line = ('1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET /a?t=<script>alert("x")</script> '
            'HTTP/1.0" 404 1164 "-" "curl"')
    (single,), report = read(line, "access-log", options)
    assert single.url == '/a?t=<script>alert("x")</script>' and single.status == 404
    assert not report.warnings


def test_a_vhost_prefix_names_the_site_and_makes_posts_countable(options):
    (single,), _ = read("x.com:443 " + COMBINED, "access-log", options)
    assert single.url == "https://x.com/jack/status/20"
    assert single.platform == "x" and single.post_ids == ("20",)


def test_a_log_of_bare_paths_has_no_platform_unless_a_default_host_is_given(options):
    (single,), _ = read(COMBINED, "access-log", options)
    assert single.platform is None and single.posts == 0
    with_host = ReadOptions(hosts=options.hosts, default_host="twitter.com")
    (single,), _ = read(COMBINED, "access-log", with_host)
    assert single.platform == "x" and single.post_ids == ("20",)


def test_plus_0200_offsets_are_moved_to_utc(options):
    line = COMBINED.replace("+0000", "+0200")
    (single,), _ = read(line, "access-log", options)
    assert iso(single.instant_ns) == "2024-11-20T08:00:00.000+00:00"


def test_common_and_combined_lines_mix(options):
    common = '10.0.0.2 - - [20/Nov/2024:10:00:01 -0500] "GET / HTTP/1.1" 304 -'
    events, _ = read(COMBINED + "\n" + common, "access-log", options)
    assert [e.status for e in events] == [200, 304] and all(e.accessed for e in events)
    assert iso(events[1].instant_ns) == "2024-11-20T15:00:01.000+00:00"


def test_a_line_cut_short_after_its_status_is_still_a_request(options):
    cut = COMBINED[:-5]  # the user agent loses its closing quote
    (single,), report = read(cut, "access-log", options)
    assert single.status == 200
    assert any("line 1" in w for w in report.warnings)


def test_a_line_cut_inside_its_request_is_unparsed(options):
    cut = COMBINED[:50]
    events, report = read(COMBINED + "\n" + cut + "\n" + COMBINED, "access-log", options)
    assert len(events) == 2 and report.unparsed == 1
    assert report.unparsed_examples[0][0] == 2


def test_a_connection_without_a_request_is_not_a_request(options):
    line = '10.0.0.3 - - [20/Nov/2024:10:00:02 +0000] "-" 408 0 "-" "-"'
    events, report = read(COMBINED + "\n" + line, "access-log", options)
    assert len(events) == 1 and sum(report.skipped.values()) == 1


def test_forward_proxy_connect_tunnels_carry_no_posts(options):
    line = ('10.0.0.4 - - [20/Nov/2024:10:00:03 +0000] "CONNECT x.com:443 HTTP/1.1" 200 9000 '
            '"-" "curl"')
    absolute = COMBINED.replace("GET /jack/status/20", "GET http://twitter.com/jack/status/20")
    (tunnel, plain), report = read(line + "\n" + absolute, "access-log", options)
    assert tunnel.platform == "x" and tunnel.posts == 0 and tunnel.method == "CONNECT"
    assert plain.post_ids == ("20",)
    assert any("1 CONNECT tunnel to x" in w for w in report.warnings)


# -- Squid -----------------------------------------------------------------------------------


def test_squid_connect_tunnels_have_zero_posts(options):
    lines = [
        "1732096800.100   1234 10.0.0.1 TCP_TUNNEL/200 54321 CONNECT x.com:443 - "
        "HIER_DIRECT/104.244.42.1 -",
        "1732096801.200    12 10.0.0.1 TCP_MISS/200 2048 GET https://x.com/jack/status/20 - "
        "HIER_DIRECT/104.244.42.1 text/html",  # with ssl-bump the URL is visible
        "1732096802.300     0 10.0.0.1 TCP_MEM_HIT/200 2048 GET https://x.com/jack/status/20 - "
        "HIER_NONE/- text/html",
    ]
    events, report = read("\n".join(lines), "squid", options)
    assert [(e.method, e.posts) for e in events] == [("CONNECT", 0), ("GET", 1)]
    assert iso(events[0].instant_ns) == "2024-11-20T10:00:00.100+00:00"
    assert events[0].time_kind == "completed"
    assert report.skipped == {"not sent: the proxy answered itself (TCP_MEM_HIT)": 1}
    assert any("CONNECT tunnel" in w for w in report.warnings)


# -- Scrapy ----------------------------------------------------------------------------------

SCRAPY_HEAD = ("2024-11-20 10:00:00 [scrapy.utils.log] INFO: Scrapy 2.11.0 started (bot: b)\n"
               "2024-11-20 10:00:00 [scrapy.core.engine] INFO: Spider opened\n")


def test_scrapy_cached_lines_were_not_sent(options):
    log = SCRAPY_HEAD + (
        "2024-11-20 10:00:01 [scrapy.core.engine] DEBUG: Crawled (200) "
        "<GET https://x.com/jack/status/20> (referer: None)\n"
        "2024-11-20 10:00:02 [scrapy.core.engine] DEBUG: Crawled (200) "
        "<GET https://x.com/jack/status/21> (referer: None) ['cached']\n")
    (single,), report = read(log, None, options)
    assert report.format == "scrapy-log"
    assert single.post_ids == ("20",) and single.time_kind == "logged"
    assert report.skipped == {"served from Scrapy's HTTP cache, not sent to the site": 1}


def test_scrapy_redirect_hops_and_http_retries_are_answered_requests(options):
    log = SCRAPY_HEAD + (
        "2024-11-20 10:00:01 [scrapy.downloadermiddlewares.redirect] DEBUG: Redirecting (301) to "
        "<GET https://x.com/jack/status/20> from <GET https://twitter.com/jack/status/20>\n"
        "2024-11-20 10:00:02 [scrapy.downloadermiddlewares.retry] DEBUG: Retrying "
        "<GET https://x.com/jack/status/20> (failed 1 times): 503 Service Unavailable\n"
        "2024-11-20 10:00:03 [scrapy.core.engine] DEBUG: Crawled (200) "
        "<GET https://x.com/jack/status/20> (referer: None)\n"
        "2024-11-20 10:00:04 [scrapy.spidermiddlewares.offsite] DEBUG: Filtered offsite request "
        "to 'example.org': <GET https://example.org/>\n")
    events, report = read(log, "scrapy-log", options)
    assert [(e.status, e.accessed) for e in events] == [(301, False), (503, False), (200, True)]
    assert all(e.post_ids == ("20",) for e in events)  # requested three times, accessed once
    assert report.skipped == {"not sent: filtered by Scrapy as offsite": 1}


def test_scrapy_log_at_info_level_says_it_has_no_requests(options):
    log = SCRAPY_HEAD + (
        "2024-11-20 10:01:00 [scrapy.extensions.logstats] INFO: Crawled 120 pages (at 120 "
        "pages/min), scraped 118 items (at 118 items/min)\n")
    events, report = read(log, "scrapy-log", options)
    assert events == []
    assert any("120 pages" in w for w in report.warnings)


def test_scrapy_stats_that_disagree_with_the_lines_are_warned(options):
    log = SCRAPY_HEAD + (
        "2024-11-20 10:00:01 [scrapy.core.engine] DEBUG: Crawled (200) "
        "<GET https://x.com/jack/status/20> (referer: None)\n"
        "2024-11-20 10:00:05 [scrapy.statscollectors] INFO: Dumping Scrapy stats:\n"
        "{'downloader/response_count': 5,\n"
        " 'finish_time': datetime.datetime(2024, 11, 20, 10, 0, 5, 1, "
        "tzinfo=datetime.timezone.utc),\n"
        " 'start_time': datetime.datetime(2024, 11, 20, 10, 0, 0, 1)}\n"
        "2024-11-20 10:00:05 [scrapy.core.engine] INFO: Spider closed (finished)\n")
    _, report = read(log, "scrapy-log", options)
    assert any("downloader/response_count = 5" in w for w in report.warnings)
    assert not any("clock skew" in w for w in report.warnings)  # line time agrees with UTC


def test_scrapy_stats_are_never_evaluated_as_code(options):
    log = SCRAPY_HEAD + (
        "2024-11-20 10:00:05 [scrapy.statscollectors] INFO: Dumping Scrapy stats:\n"
        "{'downloader/response_count': __import__('os').system('echo pwned')}\n")
    _, report = read(log, "scrapy-log", options)
    assert any("not a Python literal" in w for w in report.warnings)


# -- mostly unreadable -----------------------------------------------------------------------


def test_a_mostly_unparseable_file_is_an_error_naming_its_first_bad_lines(options):
    text = H3 + "\n" + "\n".join(f"garbage line {n}" for n in range(5)) + "\n"
    with pytest.raises(InvalidInput) as caught:
        read(text, "heritrix", options)
    message = caught.value.detail
    assert "heritrix" in message and "5 of its 6 lines" in message and "line 2" in message
    assert [p.line for p in caught.value.problems] == [2, 3, 4, 5, 6]


def test_a_huge_unreadable_file_is_refused_early(options):
    lines = (f"nonsense {n}" for n in range(10_000_000))  # never fully built
    stream = io.BytesIO(("\n".join(next(lines) for _ in range(3000))).encode())
    events, _ = read_crawler_log(stream, "access-log", options)
    with pytest.raises(InvalidInput, match="of the first 1000 lines"):
        next(events)
