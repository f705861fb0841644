"""Every crawler reader on every real sample file in ../shared/samples/.

Each expected count is worked out from the file itself, by a second, deliberately plain
reading in the test (split, regex, warcio, json), and is also written down as a number so
that a change in either reading shows. The samples are third-party files that are not in
this repository; without the folder these tests skip.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from calculator.errors import InvalidInput
from calculator.ingest.crawlers import ReadOptions, detect_crawler_format, read_crawler_log
from calculator.rules import load_ruleset

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "samples"

pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(),
    reason=f"the third-party sample files are not at {SAMPLES} (they are not in this repo)",
)

EXPECTED_FORMAT = {
    "access-log": "access-log",
    "har": "har",
    "heritrix-crawl-log": "heritrix",
    "scrapy": "scrapy-log",
    "squid": "squid",
    "warc": "warc",
    "x-api-json": "x-graphql",
}
WINDOW = (datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 7, 11, tzinfo=UTC))


@pytest.fixture(scope="module")
def options() -> ReadOptions:
    return ReadOptions.for_ruleset(load_ruleset())


def read(path: Path, options: ReadOptions, fmt: str | None = None):
    with path.open("rb") as fh:
        events, report = read_crawler_log(fh, fmt, options)
        return list(events), report


def sample_files() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.name != "README.md")


def utc_day(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).date().isoformat()


# -- every file ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_every_sample_is_recognised_from_its_content(path):
    expected = EXPECTED_FORMAT[path.relative_to(SAMPLES).parts[0]]
    if path.name.endswith("-items.jsonl"):
        expected = "scraper-jsonl"  # a Scrapy feed export: one record per item
    assert detect_crawler_format(path.read_bytes()[:65536]) == expected


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_every_sample_reads_without_an_unparsed_line(path, options):
    window_options = ReadOptions(hosts=options.hosts, collection_window=WINDOW)
    events, report = read(path, window_options)
    assert events, f"{path.name} gave no events"
    assert report.unparsed == 0, report.unparsed_examples
    assert all(e.instant_ns > 0 and e.time_kind for e in events)


# -- Heritrix --------------------------------------------------------------------------------


def plain_heritrix_counts(path: Path) -> tuple[int, int, int]:
    """(lines, requested, accessed): status >= 100 on a non-dns: URI is a request."""
    lines = requested = accessed = 0
    for line in path.read_text().splitlines():
        fields = line.split()
        lines += 1
        status, uri = int(fields[1]), fields[3]
        if status >= 100 and not uri.startswith("dns:"):
            requested += 1
            accessed += 200 <= status < 300 or status == 304
    return lines, requested, accessed


@pytest.mark.parametrize(("name", "lines", "requested", "accessed"), [
    ("netarchivesuite_crawl-1.log", 30, 18, 16),         # 16x200 2x404; 7x-9998 5xdns
    ("netarchivesuite_oldjob5_crawl.log", 743, 280, 234),  # 429x-5003 30xdns 2x-61 2x-2
    ("ukwa_crawl.log", 76, 66, 54),                       # 54x200 8x404 4x302
    ("ukwa_fragment-of-a-crawl.log", 22, 10, 6),          # 12 dns lines, two of them -5
])
def test_heritrix_requests_are_lines_that_reached_a_site(name, lines, requested, accessed,
                                                         options):
    path = SAMPLES / "heritrix-crawl-log" / name
    assert plain_heritrix_counts(path) == (lines, requested, accessed)
    events, report = read(path, options)
    assert report.lines == lines
    assert len(events) == requested
    assert sum(e.accessed for e in events) == accessed
    assert sum(report.skipped.values()) == lines - requested
    assert all(e.posts == 0 for e in events)  # no X URL in these crawls


def test_heritrix_quota_and_robots_lines_are_held_back_not_requested(options):
    _, report = read(SAMPLES / "heritrix-crawl-log" / "netarchivesuite_oldjob5_crawl.log",
                     options)
    assert report.skipped["not sent: Heritrix -5003 (blocked by a quota)"] == 429
    assert report.skipped["dns lookup, not a request to the site"] == 30
    _, report = read(SAMPLES / "heritrix-crawl-log" / "netarchivesuite_crawl-1.log", options)
    assert report.skipped["not sent: Heritrix -9998 (robots.txt precluded the fetch)"] == 7


def test_heritrix_one_hour_skew_between_log_and_fetch_time_is_warned_with_its_size(options):
    path = SAMPLES / "heritrix-crawl-log" / "netarchivesuite_oldjob5_crawl.log"
    with_fetch_time = sum(1 for line in path.read_text().splitlines() if line.split()[8] != "-")
    assert with_fetch_time == 310
    events, report = read(path, options)
    (warning,) = [w for w in report.warnings if "skew" in w]
    assert "+3600 s" in warning and f"all {with_fetch_time} lines" in warning
    assert all(e.time_kind == "request-start" for e in events)  # field 9, not field 1


def test_heritrix_logs_without_skew_give_no_warning(options):
    for name in ("ukwa_crawl.log", "ukwa_fragment-of-a-crawl.log", "netarchivesuite_crawl-1.log"):
        _, report = read(SAMPLES / "heritrix-crawl-log" / name, options)
        assert not report.warnings, name


# -- WARC and ARC ----------------------------------------------------------------------------


def plain_warc_counts(path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh, arc2warc=True):
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            http = uri.startswith(("http:", "https:"))
            counts[record.rec_type + ("" if http else "-other")] += 1
            if record.rec_type in ("response", "revisit") and record.http_headers:
                counts[f"{record.rec_type}-{record.http_headers.get_statuscode()}"] += 1
    return counts


@pytest.mark.parametrize(("name", "requested", "accessed"), [
    ("pywb_iana.warc.gz", 171, 167),      # 44 responses 200 + 4 redirects 302 + 123 revisits
    ("pywb_dupes.warc.gz", 12, 11),       # 2 responses 200 + 1 redirect 302 + 9 revisits
    ("pywb_example-wpull.warc.gz", 1, 1),  # its resource is a urn: record
    ("ukwa_sopa-wikipedia-homepage.warc.gz", 86, 74),  # 74 responses + 12 unanswered requests
    ("warcio_example.warc", 2, 2),        # 1 response + 1 revisit
    ("warcio_example.warc.gz", 2, 2),
    ("warcio_example-iana.org-chunked.warc", 1, 1),
    ("warcio_example-resource.warc.gz", 1, 1),  # an http resource record
    ("warcio_example-wget-bad-target-uri.warc.gz", 1, 1),  # two metadata:// resources skipped
    ("warcio_example.arc.gz", 1, 1),
    ("warcio_post-test.warc.gz", 3, 3),
])
def test_warc_accesses_are_answer_records(name, requested, accessed, options):
    path = SAMPLES / "warc" / name
    plain = plain_warc_counts(path)
    answers = plain["response"] + plain["revisit"] + plain["resource"]
    redirects = sum(n for k, n in plain.items() if re.fullmatch(r"(response|revisit)-3\d\d", k))
    unanswered = max(plain["request"] - plain["response"] - plain["revisit"], 0)
    assert (answers + unanswered, answers - redirects) == (requested, accessed)
    events, _ = read(path, options)
    assert len(events) == requested
    assert sum(e.accessed for e in events) == accessed


def test_pywb_iana_has_123_revisits_all_counted_as_accessed(options):
    path = SAMPLES / "warc" / "pywb_iana.warc.gz"
    plain = plain_warc_counts(path)
    assert (plain["response"], plain["revisit"], plain["request"]) == (48, 123, 171)
    events, report = read(path, options)
    assert {utc_day(e.instant_ns) for e in events} == {"2014-01-26"}
    assert Counter(e.status for e in events) == {200: 167, 302: 4}
    assert not report.warnings  # every request has its answer


def test_wget_metadata_resources_are_never_accesses(options):
    for name, metadata in (("ukwa_sopa-wikipedia-homepage.warc.gz", 3),
                           ("warcio_example-wget-bad-target-uri.warc.gz", 2)):
        path = SAMPLES / "warc" / name
        assert plain_warc_counts(path)["resource-other"] == metadata
        events, report = read(path, options)
        assert report.skipped["resource record of a metadata: URI, not an access"] == metadata
        assert not any(e.url.startswith("metadata:") for e in events)


def test_unanswered_wget_requests_count_as_requested_only(options):
    events, report = read(SAMPLES / "warc" / "ukwa_sopa-wikipedia-homepage.warc.gz", options)
    unanswered = [e for e in events if e.status is None]
    assert len(unanswered) == 12
    assert not any(e.accessed for e in unanswered)
    assert any("12 request records" in w for w in report.warnings)


def test_request_methods_come_from_the_paired_request_record(options):
    events, _ = read(SAMPLES / "warc" / "warcio_post-test.warc.gz", options)
    assert [e.method for e in events] == ["POST"] * 3


# -- HAR -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "entries", "accessed", "day"), [
    ("haralyzer_cnn.har", 145, 138, "2015-02-22"),          # local 2015-02-21 -08:00
    ("haralyzer_humanssuck.net.har", 4, 4, "2015-02-23"),   # local 2015-02-22 -08:00
    ("haralyzer_cnn-chrome.har", 292, 239, "2017-11-13"),   # 212x200 + 27x204
    ("playwright_har-fulfill.har", 5, 4, "2022-06-10"),
    ("playwright_har-redirect.har", 3, 1, "2022-06-16"),    # 301 -> 301 -> 200
])
def test_har_entries_are_requests_at_their_utc_start(name, entries, accessed, day, options):
    path = SAMPLES / "har" / name
    har = json.loads(path.read_text())["log"]["entries"]
    statuses = Counter(e["response"]["status"] for e in har)
    plain_accessed = sum(n for s, n in statuses.items() if 200 <= s < 300 or s == 304)
    assert (len(har), plain_accessed) == (entries, accessed)
    events, _ = read(path, options)
    assert len(events) == entries
    assert sum(e.accessed for e in events) == accessed
    assert {utc_day(e.instant_ns) for e in events} == {day}


def test_an_aborted_har_entry_was_requested_but_not_accessed(options):
    events, _ = read(SAMPLES / "har" / "haralyzer_cnn.har", options)
    (aborted,) = [e for e in events if e.status is None]
    assert aborted.requested and not aborted.accessed


def test_tracking_pixels_on_platform_subdomains_are_attributed_but_carry_no_posts(options):
    events, _ = read(SAMPLES / "har" / "haralyzer_cnn-chrome.har", options)
    platforms = Counter(e.platform for e in events if e.platform)
    assert platforms == {"facebook": 13, "x": 1}  # *.facebook.com, analytics.twitter.com
    assert sum(e.posts for e in events) == 0


# -- Scrapy ----------------------------------------------------------------------------------


def scrapy_stats(path: Path) -> dict[str, int]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return {k: int(v) for k, v in re.findall(r"'(downloader/[a-z_]+_count)': (\d+)", text)}


@pytest.mark.parametrize(("name", "answers", "accessed", "zone"), [
    ("scrapydweb_ScrapydWeb_demo.log", 4, 2, "Asia/Shanghai"),  # 3 Crawled + 1 redirect
    ("generated/scrapy-2.19-run.log", 13, 12, "America/New_York"),
])
def test_scrapy_answers_match_the_jobs_own_stats(name, answers, accessed, zone, options):
    path = SAMPLES / "scrapy" / name
    assert scrapy_stats(path)["downloader/response_count"] == answers
    events, report = read(path, options)
    assert len(events) == answers
    assert sum(e.accessed for e in events) == accessed
    assert not any("response_count" in w for w in report.warnings)


def test_scrapy_download_errors_are_counted_aside(options):
    path = SAMPLES / "scrapy" / "scrapydweb_ScrapydWeb_demo.log"
    _, report = read(path, options)
    errors = sum(n for reason, n in report.skipped.items() if reason.startswith("download error"))
    assert errors == scrapy_stats(path)["downloader/exception_count"] == 3


@pytest.mark.parametrize(("name", "skew", "zone", "first_utc"), [
    ("scrapydweb_ScrapydWeb_demo.log", "+28800 s", "Asia/Shanghai", "2018-10-23T10:28:35"),
    ("generated/scrapy-2.19-run.log", "-18000 s", "America/New_York", "2026-11-22T18:39:56"),
])
def test_scrapy_local_line_times_are_caught_by_the_utc_finish_time(name, skew, zone, first_utc,
                                                                   options):
    path = SAMPLES / "scrapy" / name
    _, report = read(path, options)
    assert any("clock skew" in w and skew in w for w in report.warnings)
    events, report = read(path, ReadOptions(hosts=options.hosts, assume_tz=zone))
    assert not any("clock skew" in w for w in report.warnings)
    first = datetime.fromtimestamp(events[0].instant_ns // 10**9, UTC)
    assert first.isoformat().startswith(first_utc)


def test_scrapy_feed_items_read_as_post_records_in_the_window(options):
    path = SAMPLES / "scrapy" / "generated" / "scrapy-2.19-items.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    window = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC))
    events, report = read(path, ReadOptions(hosts=options.hosts, collection_window=window))
    assert len(events) == len(records) == 69
    assert len({e.post_ids for e in events}) == len({r["id"] for r in records}) == 60
    assert all(e.time_kind == "allocated" and e.basis == "item-record" for e in events)
    undated = sum(1 for r in records if "created_at" not in r)
    assert undated == 9
    assert any("in file order" in a for a in report.assumptions)


# -- access logs -----------------------------------------------------------------------------


def test_elastic_apache_log_reads_every_line_per_utc_day(options):
    path = SAMPLES / "access-log" / "elastic_apache_logs.gz"
    text = gzip.decompress(path.read_bytes()).decode()
    days = Counter(m.group(1) for m in re.finditer(r"\[(\d\d)/May/2015:\S+ \+0000\]", text))
    assert sum(days.values()) == len(text.splitlines()) == 10_000
    events, report = read(path, options)
    assert len(events) == 10_000 and report.unparsed == 0
    by_day = Counter(utc_day(e.instant_ns) for e in events)
    assert by_day == {f"2015-05-{d}": n for d, n in days.items()}
    assert list(by_day.values()) == [1632, 2893, 2896, 2579]


def test_elastic_truncated_line_is_read_and_named(options):
    path = SAMPLES / "access-log" / "elastic_apache_logs.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    cut = [n for n, line in enumerate(lines, 1) if line.count('"') % 2]
    assert cut == [8899]
    _, report = read(path, options)
    assert any("line 8899" in w for w in report.warnings)


def test_plaso_edge_cases_all_read(options):
    path = SAMPLES / "access-log" / "plaso_apache_access.log"
    events, report = read(path, options)
    assert len(events) == len(path.read_text().splitlines()) == 15
    assert report.unparsed == 0
    vhosts = [e.url for e in events if e.url.startswith("https://")]
    assert len(vhosts) == 4 and vhosts[0].startswith("https://plaso.log2timeline.net/")
    quoted = [e.url for e in events if '"' in e.url]
    assert len(quoted) == 2
    offset = [e for e in events if e.url.endswith("evil.php?cmd=uname+-a")]
    assert {datetime.fromtimestamp(e.instant_ns // 10**9, UTC).strftime("%H:%M:%S")
            for e in offset} == {"17:31:20"}  # 19:31:20 +0200


# -- Squid -----------------------------------------------------------------------------------


def test_squid_lines_the_proxy_answered_itself_never_reached_a_site(options):
    path = SAMPLES / "squid" / "plaso-pr4996_squid_access.log"
    lines = path.read_text().splitlines()
    local = [line for line in lines if re.search(r"\s(HIER_)?NONE/", line)]
    assert len(local) == 2  # TCP_HIT/304 and TCP_DENIED/403
    events, report = read(path, options)
    assert len(events) == len(lines) - len(local) == 6
    assert sum(report.skipped.values()) == 2
    assert sum(e.accessed for e in events) == 5  # 404 is not
    tunnels = [e for e in events if e.method == "CONNECT"]
    assert len(tunnels) == 3 and all(e.posts == 0 for e in tunnels)


# -- raw X GraphQL pages ---------------------------------------------------------------------


def plain_graphql_counts(path: Path) -> tuple[int, int, int]:
    """(tweet-* entries incl. pinned, conversation-module post items, distinct Tweet objects)."""
    document = json.loads(path.read_text())
    entries = items = 0
    distinct: set[str] = set()

    def walk(node):
        nonlocal entries, items
        if isinstance(node, dict):
            entry_id = str(node.get("entryId", ""))
            if entry_id.startswith("tweet-"):
                entries += 1
            if entry_id.startswith("profile-conversation-") and "-tweet-" in entry_id:
                items += 1
            if node.get("__typename") == "Tweet":
                distinct.add(node["rest_id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return entries, items, len(distinct)


@pytest.mark.parametrize(("name", "entries", "items", "primary", "embedded", "distinct"), [
    ("twscrape_raw_search.json", 20, 0, 20, 6, 26),
    # 18 added entries + 1 pinned; a profile-conversation module with 2 posts
    ("twscrape_raw_user_tweets.json", 19, 2, 21, 22, 43),
])
def test_graphql_pages_count_timeline_posts_and_embedded_posts_apart(
        name, entries, items, primary, embedded, distinct, options):
    path = SAMPLES / "x-api-json" / name
    assert plain_graphql_counts(path) == (entries, items, distinct)
    window = (datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC))
    (page,), report = read(path, ReadOptions(hosts=options.hosts, collection_window=window))
    assert (page.posts, len(page.post_ids), len(page.embedded_post_ids)) == (
        primary, primary, embedded)
    assert len(set(page.post_ids) | set(page.embedded_post_ids)) == distinct
    assert page.platform == "x" and page.basis == "body-count"
    assert report.time_kind == "allocated" and report.assumptions
    with_embedded = ReadOptions(hosts=options.hosts, collection_window=window,
                                embedded_posts=True)
    (page,), _ = read(path, with_embedded)
    assert page.posts == distinct


# -- every reader on every other format's file -----------------------------------------------


@pytest.mark.parametrize("fmt", ["warc", "heritrix", "har", "scrapy-log", "access-log", "squid",
                                 "scraper-jsonl", "x-graphql", "twarc2"])
def test_every_reader_refuses_every_other_formats_sample_as_bad_input(fmt, options):
    window_options = ReadOptions(hosts=options.hosts, collection_window=WINDOW)
    for path in sample_files():
        if detect_crawler_format(path.read_bytes()[:65536]) == fmt:
            continue
        with pytest.raises(InvalidInput):  # an answer the caller can act on, never a crash
            read(path, window_options, fmt)
