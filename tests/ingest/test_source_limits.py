"""The size limit in the core reading path: counted as bytes are read and inflated."""

from __future__ import annotations

import gzip
import io

import pytest

from calculator.damages.assessment import assess
from calculator.errors import InputTooLarge
from calculator.ingest.source import open_source

ROWS = b"timestamp,posts\n" + b"2025-03-03T06:00:00Z,1\n" * 50_000  # 1.15 MB


class CountingReader(io.RawIOBase):
    """A body that says how much of it was read."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.inner.readinto(buffer)
        self.read_bytes += count
        return count


def test_a_gzip_bomb_stops_once_its_inflated_bytes_pass_the_limit():
    bomb = gzip.compress(b"timestamp,posts\n" + b"2025-03-03T06:00:00Z,1\n" * 4_000_000)
    body = CountingReader(bomb)
    with pytest.raises(InputTooLarge, match="once decompressed"):
        assess(io.BufferedReader(body), max_bytes=1 << 20)
    assert body.read_bytes < len(bomb)  # stopped while reading, not after


def test_plain_content_over_the_limit_is_refused_too():
    with pytest.raises(InputTooLarge, match="larger than the limit of 1,000,000 bytes"):
        assess(ROWS, max_bytes=1_000_000)


def test_within_the_limit_nothing_changes():
    assert assess(gzip.compress(ROWS), max_bytes=2_000_000).input.rows == 50_000
    assert assess(ROWS).input.rows == 50_000  # no limit: the command line and Python


def test_the_digest_is_still_of_the_bytes_as_received():
    import hashlib

    body = gzip.compress(ROWS)
    with open_source(body, max_bytes=2_000_000) as log:
        log.finish()
    assert log.sha256 == hashlib.sha256(body).hexdigest()
