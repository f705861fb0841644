"""Which crawler format a file is, from its first bytes (never from its name).

``detect_crawler_format(head)`` takes the first bytes of the file as stored: when they
start with the gzip magic, the part of the first gzip member that they hold is
decompressed here, so the same call serves ``crawl.log.gz`` and ``x.warc.gz``. Give it at
least ``HEAD_BYTES`` when the file is that long. It answers one of ``CRAWLER_FORMATS`` or
None; None means "not a crawler format this package reads", and the plain tabular formats
(csv, json or jsonl with a ``timestamp`` column) are deliberately left to the caller.
"""

from __future__ import annotations

import json
import re
import zlib

HEAD_BYTES = 64 * 1024

CRAWLER_FORMATS = ("warc", "heritrix", "har", "scrapy-log", "access-log", "squid",
                   "scraper-jsonl", "x-graphql", "twarc2")

_HERITRIX = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\s+-?\d+\s+(?:\d+|-)\s+\S+\s+\S+\s+\S+\s+\S+\s+#\d+")
_SCRAPY = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d{2}:?\d{2})? \[[^\]]+\] "
    r"(?:DEBUG|INFO|WARNING|ERROR|CRITICAL): ")
_SCRAPY_LOGGER = re.compile(r"\[scrapy[.\]]")
_ACCESS = re.compile(
    r'^(?:\S+ )?\S+ \S+ \S+ \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "')
_SQUID = re.compile(
    r"^\d{9,10}\.\d{3}\s+-?\d+\s+\S+\s+[A-Z_]+/\d{3}\s+\d+\s+\S+\s+\S+\s+\S+\s+[A-Z_]+/\S+")
_HAR = re.compile(rb'^\s*\{\s*"log"\s*:\s*\{')
_GRAPHQL_HINTS = (b'"instructions"', b'"tweet_results"', b'"timeline_v2"',
                  b'"search_by_raw_query"', b'"threaded_conversation_with_injections',
                  b'"tweetResult"', b'"__typename"')


def detect_crawler_format(head: bytes) -> str | None:
    """The crawler format of a file whose first bytes (raw or gzip) are ``head``, or None."""
    data = _gunzip_head(head) if head[:2] == b"\x1f\x8b" else head
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    stripped = data.lstrip()
    if stripped.startswith((b"WARC/1.", b"WARC/0.", b"filedesc://")):
        return "warc"
    if stripped.startswith((b"{", b"[")):
        return _json_format(stripped)
    lines = [line for line in data.decode("utf-8", "replace").splitlines()[:50] if line.strip()]
    if len(data) >= HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the head may cut its last line short
    if not lines:
        return None
    if _most(lines, _HERITRIX):
        return "heritrix"
    if _SCRAPY.match(lines[0]) and any(_SCRAPY_LOGGER.search(line) for line in lines):
        return "scrapy-log"
    if _most(lines, _SQUID):
        return "squid"
    if _most(lines, _ACCESS):
        return "access-log"
    return None


def _most(lines: list[str], pattern: re.Pattern[str]) -> bool:
    return sum(1 for line in lines if pattern.match(line)) * 2 > len(lines)


def _gunzip_head(head: bytes) -> bytes:
    """As much of the decompressed start as ``head`` holds (a truncated stream is fine)."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        return decompressor.decompress(head, HEAD_BYTES * 4)
    except zlib.error:
        return b""


def _json_format(data: bytes) -> str | None:
    if _HAR.match(data):
        return "har"
    first = _first_value(data)
    if isinstance(first, list):
        first = first[0] if first else None
    if isinstance(first, dict):
        return _shape(first)
    # The first value is cut off by the head (a big page or a pretty-printed document):
    # decide on the key that opens it and on the names it uses.
    opening = data[:200]
    if re.match(rb'^[\[\s]*\{\s*"data"\s*:\s*\[', opening):
        return "twarc2"
    if re.match(rb'^[\[\s]*\{\s*"data"\s*:\s*\{', opening):
        return "x-graphql" if any(h in data for h in _GRAPHQL_HINTS) else None
    if b'"__twarc"' in data:
        return "twarc2"
    if b'"_type": "snscrape.modules.twitter' in data or \
            b'"_type":"snscrape.modules.twitter' in data:
        return "scraper-jsonl"
    return None


def _first_value(data: bytes) -> object:
    text = data.decode("utf-8", "replace")
    line = text.split("\n", 1)[0]
    for candidate in (line, text):
        try:
            return json.JSONDecoder().raw_decode(candidate.strip())[0]
        except (ValueError, RecursionError):  # nested too deep to tell: the reader says so
            continue
    return None


def _shape(record: dict[str, object]) -> str | None:
    """Which of our JSON formats one record is; None for the engine's own JSON rows."""
    if "__twarc" in record:
        return "twarc2"
    data = record.get("data")
    if isinstance(data, dict):
        blob = json.dumps(data)[:200_000]
        return "x-graphql" if any(h.decode() in blob for h in _GRAPHQL_HINTS) else None
    if isinstance(data, list) and ("meta" in record or "includes" in record):
        return "twarc2"
    if str(record.get("_type", "")).startswith("snscrape.modules.twitter"):
        return "scraper-jsonl"
    if ("id_str" in record and isinstance(record.get("user"), dict)) or \
            {"conversation_id", "username", "tweet"} <= record.keys():
        return "scraper-jsonl"  # a v1.1 tweet (twarc v1) or a twint record
    if "timestamp" in record:
        return None  # the engine's json/jsonl log with a timestamp column
    has_id = any(k in record for k in ("id", "id_str"))
    has_created = any(k in record for k in ("created_at", "date"))
    return "scraper-jsonl" if has_id and has_created else None
