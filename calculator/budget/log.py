"""A budget's recorded usage as a crawl log: CSV the calculator's own readers assess.

One row per second that has posts: ``timestamp`` (RFC 3339, UTC), ``platform`` and
``posts``. Assessing it counts exactly what the budget granted and was told, so a budget
that was only reserved from never owes anything under any reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

HEADER = "timestamp,platform,posts\n"


def csv_lines(platform: str, chunks: Iterable[list[tuple[int, int]]]) -> Iterator[str]:
    """The CSV text, a chunk of rows at a time (``chunks`` of (Unix second, posts))."""
    yield HEADER
    for chunk in chunks:
        yield "".join(f"{_stamp(second)},{platform},{posts}\n" for second, posts in chunk)


def _stamp(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
