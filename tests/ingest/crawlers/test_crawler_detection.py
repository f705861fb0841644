"""Telling crawler formats apart by content, and the entry point the assessment calls."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from calculator.errors import InvalidArgument, InvalidInput
from calculator.ingest.crawlers import (
    CRAWLER_FORMATS,
    READERS,
    ReadOptions,
    detect_crawler_format,
    read_crawler_log,
)

ROOT = Path(__file__).resolve().parents[3]

HERITRIX = (b"2024-11-20T10:00:01.500Z   200      15829 https://x.com/jack/status/20 L "
            b"https://x.com/jack text/html #014 20241120100001100+300 sha1:ABC - 3t\n")
ACCESS = (b'10.0.0.1 - - [20/Nov/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 512 "-" "curl"\n')
VHOST = b"x.com:443 " + ACCESS
SQUID = (b"1732096800.100   1234 10.0.0.1 TCP_TUNNEL/200 54321 CONNECT x.com:443 - "
         b"HIER_DIRECT/104.244.42.1 -\n")
SCRAPY = (b"2024-11-20 10:00:00 [scrapy.utils.log] INFO: Scrapy 2.11.0 started (bot: b)\n"
          b"2024-11-20 10:00:01 [scrapy.core.engine] DEBUG: Crawled (200) <GET https://x.com/> "
          b"(referer: None)\n")
WARC = b"WARC/1.0\r\nWARC-Type: warcinfo\r\n"
ARC = b"filedesc://live-web-example.arc.gz 127.0.0.1 20140216050221 text/plain 75\n"
HAR = b'{\n  "log": {\n    "version": "1.2", "entries": []}}'
SNSCRAPE = json.dumps({"_type": "snscrape.modules.twitter.Tweet", "id": 1,
                       "date": "2024-11-20T10:00:00+00:00"}).encode() + b"\n"
TWARC2 = json.dumps({"data": [{"id": "1", "text": "a"}], "meta": {"result_count": 1},
                     "__twarc": {"retrieved_at": "2024-11-20T10:00:00+00:00"}}).encode()
GRAPHQL = json.dumps({"data": {"search_by_raw_query": {"search_timeline": {"timeline": {
    "instructions": []}}}}}).encode()


@pytest.mark.parametrize(("head", "expected"), [
    (HERITRIX, "heritrix"),
    (ACCESS, "access-log"),
    (VHOST, "access-log"),
    (SQUID, "squid"),
    (SCRAPY, "scrapy-log"),
    (WARC, "warc"),
    (ARC, "warc"),
    (HAR, "har"),
    (SNSCRAPE, "scraper-jsonl"),
    (TWARC2, "twarc2"),
    (GRAPHQL, "x-graphql"),
    (GRAPHQL[:60], "x-graphql"),  # a page too big for the head: its opening says enough
    (TWARC2[:30], "twarc2"),
])
def test_formats_are_told_from_content(head, expected):
    assert detect_crawler_format(head) == expected
    assert detect_crawler_format(gzip.compress(head)) == expected  # raw gzip bytes too


@pytest.mark.parametrize("head", [
    b"timestamp,posts\n2024-11-20T10:00:00Z,5\n",
    b'{"timestamp": "2024-11-20T10:00:00Z", "posts": 5}\n',
    b'[{"timestamp": "2024-11-20T10:00:00Z", "posts": 5}]',
    b"hello world\n",
    b"",
])
def test_the_engines_tabular_formats_and_other_text_are_not_claimed(head):
    assert detect_crawler_format(head) is None


def test_every_format_has_a_reader():
    assert set(CRAWLER_FORMATS) == set(READERS)


def test_a_named_format_overrides_detection(ruleset):
    options = ReadOptions.for_ruleset(ruleset)
    events, report = read_crawler_log(io.BytesIO(VHOST), "access-log", options)
    assert report.format == "access-log" and len(list(events)) == 1
    with pytest.raises(InvalidArgument, match="not a crawler format"):
        read_crawler_log(io.BytesIO(VHOST), "csv", options)


def test_an_unrecognised_file_names_the_formats_and_the_option_in_words_of_every_interface():
    with pytest.raises(InvalidInput, match=r"choose its format \(the format option\)"):
        read_crawler_log(io.BytesIO(b"hello world\n"))


def test_a_stream_that_cannot_seek_or_peek_is_read(ruleset):
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self.data.read(min(len(buffer), 7))  # small reads, like a socket
            buffer[:len(chunk)] = chunk
            return len(chunk)

    events, report = read_crawler_log(OneWay(HERITRIX * 3), None,
                                      ReadOptions.for_ruleset(ruleset))
    assert report.format == "heritrix" and len(list(events)) == 3


def test_the_benchmark_runs_and_prints_events_per_second():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "crawler_formats.py"),
                           "--warc-records", "30", "--crawl-lines", "100"],
                          capture_output=True, text=True, check=True, timeout=120)
    assert "events/s" in done.stdout and "warc" in done.stdout and "heritrix" in done.stdout
