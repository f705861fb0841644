"""A crawler's line log with a line of any length is refused while it is read, as a table's
is: a 100 MiB line without a newline took 455 MB of memory to be called one unparsed
line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import calculator
from calculator.errors import InvalidInput

HERITRIX = (b"2025-03-01T00:00:00.000Z   200        123 https://x.com/a/status/1 - - text/html "
            b"#001 20250301000000000+0 sha1:AAA - -\n")
LONG = b"x" * (65 << 20)
WINDOW = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC))


@pytest.mark.parametrize("fmt, data", [
    ("heritrix", HERITRIX + LONG),
    ("access-log", LONG + b"\n"),
    ("squid", LONG),
    ("scrapy-log", LONG),
    ("scraper-jsonl", b'{"id": "1"}\n' + LONG),
])
def test_a_crawler_line_that_runs_on_past_the_longest_a_row_may_be_is_refused(fmt, data):
    with pytest.raises(InvalidInput, match="a line of the log runs on past 64 MiB without "
                                           "ending"):
        calculator.assess(data, format=fmt, collection_window=WINDOW)
