"""Readers for what real crawlers write: WARC/ARC, Heritrix, HAR, Scrapy, access logs, scrapers.

The entry point is ``read_crawler_log(stream, format, options)``: it detects the format
from the content when ``format`` is None, undoes gzip, and returns the events (a lazy
iterator, so big files stream) with the report the reader fills while it is consumed.
Every reader produces ``calculator.ingest.events.AccessEvent``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

from calculator.errors import InvalidArgument, InvalidInput
from calculator.ingest.crawlers import (
    access_log,
    har,
    heritrix,
    scraper_json,
    scrapy_log,
    squid,
    warc,
)
from calculator.ingest.crawlers.allocation import require_window
from calculator.ingest.crawlers.detect import CRAWLER_FORMATS, HEAD_BYTES, detect_crawler_format
from calculator.ingest.crawlers.hosts import HostMap
from calculator.ingest.crawlers.options import ReadOptions
from calculator.ingest.events import AccessEvent, ReadReport

Reader = Callable[[BinaryIO, ReadOptions, ReadReport], Iterator[AccessEvent]]

READERS: dict[str, Reader] = {
    "warc": warc.read,
    "heritrix": heritrix.read,
    "har": har.read,
    "scrapy-log": scrapy_log.read,
    "access-log": access_log.read,
    "squid": squid.read,
    "scraper-jsonl": scraper_json.read,
    "x-graphql": scraper_json.read,
    "twarc2": scraper_json.read,
}

# Formats that record when posts were created, not when they were accessed.
NEEDS_COLLECTION_WINDOW = frozenset(scraper_json.POST_CREATED)

__all__ = [
    "CRAWLER_FORMATS",
    "NEEDS_COLLECTION_WINDOW",
    "READERS",
    "HostMap",
    "ReadOptions",
    "detect_crawler_format",
    "read_crawler_log",
]


def read_crawler_log(stream: BinaryIO, format: str | None = None,
                     options: ReadOptions | None = None
                     ) -> tuple[Iterator[AccessEvent], ReadReport]:
    """The events of a crawler's file and the report that describes them.

    ``stream`` is the file as stored (gzip or not), opened in binary mode; it need not be
    seekable. ``format`` forces a reader (one of ``CRAWLER_FORMATS``); None detects it
    from the content and raises ``InvalidInput`` when no crawler format matches. The
    report is complete only once the iterator is exhausted; a missing collection window
    for a format that needs one is refused here, before anything is read.
    """
    options = options or ReadOptions()
    head = _read_head(stream)
    replay = io.BufferedReader(_Replay(head, stream), buffer_size=256 * 1024)
    if format is None:
        format = detect_crawler_format(head)
        if format is None:
            raise InvalidInput(
                "the format of this file could not be recognised as a crawler's (WARC, ARC, "
                "Heritrix crawl.log, HAR, Scrapy log, Apache/nginx or Squid access log, "
                "scraper JSON); choose its format (the format option)"
            )
    elif format not in READERS:
        raise InvalidArgument(f"'{format}' is not a crawler format; use one of "
                              + ", ".join(CRAWLER_FORMATS))
    if format in NEEDS_COLLECTION_WINDOW:
        require_window(options.collection_window, f"{format} files")
    report = ReadReport(format=format)
    return READERS[format](replay, options, report), report  # type: ignore[arg-type]


def _read_head(stream: BinaryIO) -> bytes:
    """Up to HEAD_BYTES from the start; raw streams (sockets, pipes) may give less per read."""
    chunks: list[bytes] = []
    size = 0
    while size < HEAD_BYTES:
        chunk = stream.read(HEAD_BYTES - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class _Replay(io.RawIOBase):
    """The bytes already read for detection, then the rest of the stream: any stream, once."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        return size
