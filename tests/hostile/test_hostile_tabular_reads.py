"""Large or odd tabular logs that are valid are read exactly, whatever the read blocks.

A JSON array read in 1 MiB blocks was refused ("Unterminated string") when a string
straddled a block's end; a CSV line longer than a block crashed the block reader (and could
have overwritten a block still being parsed). These logs are valid: every row must count.
"""

from __future__ import annotations

import json
import random

import pytest

from calculator.errors import InvalidInput
from calculator.ingest.source import open_source
from calculator.ingest.tabular import read_table


def read(data: bytes, fmt: str):
    with open_source(data) as source:
        return read_table(source, fmt, "x", "UTC")


def records(count: int, seed: int) -> list[dict]:
    """Rows with notes of uneven length, so strings fall across every block boundary."""
    rng = random.Random(seed)
    return [{"timestamp": f"2025-03-01T{k // 3600 % 24:02d}:{k // 60 % 60:02d}:{k % 60:02d}Z",
             "posts": k % 7, "note": "é\\\"x" * rng.randint(0, 400)} for k in range(count)]


@pytest.mark.parametrize("megabytes", [3, 10])
def test_a_valid_json_array_of_many_megabytes_is_read_whole(megabytes):
    rows = records(1000, megabytes)
    data = json.dumps(rows, ensure_ascii=False).encode()
    while len(data) < megabytes << 20:
        rows += records(1000, len(rows))
        data = json.dumps(rows, ensure_ascii=False).encode()
    result = read(data, "json")
    assert result.rows == len(rows)
    assert result.volume.total_posts == sum(r["posts"] for r in rows)


def test_one_json_element_larger_than_a_block_is_read():
    rows = [{"timestamp": "2025-03-01T00:00:00Z", "posts": 2, "note": "n" * (3 << 20)},
            {"timestamp": "2025-03-01T00:00:01Z", "posts": 5}]
    result = read(json.dumps(rows).encode(), "json")
    assert (result.rows, result.volume.total_posts) == (2, 7)


def test_a_json_array_cut_inside_a_string_is_still_refused_by_its_element():
    data = json.dumps(records(3000, 1)).encode()[: 2 << 20]
    with pytest.raises(Exception) as error:
        read(data, "json")
    assert "not valid JSON" in str(error.value) or "ends early" in str(error.value)


@pytest.mark.parametrize("long_line", [(7 << 20) + 100, 40 << 20])
def test_a_csv_line_longer_than_a_block_is_read_and_every_row_counts(long_line):
    head = "".join(f"2025-03-01T00:{k // 60 % 60:02d}:{k % 60:02d}Z,{k % 5},n\n"
                   for k in range(120_000))
    tail = "".join(f"2025-03-02T00:00:{k % 60:02d}Z,3,n\n" for k in range(50_000))
    data = ("timestamp,posts,note\n" + head + "2025-03-01T12:00:00Z,11," + "a" * long_line
            + "\n" + tail).encode()
    result = read(data, "csv")
    assert result.rows == 120_000 + 1 + 50_000
    assert result.volume.total_posts == sum(k % 5 for k in range(120_000)) + 11 + 3 * 50_000


def test_a_7_mib_line_right_after_the_header_is_read():
    data = ("timestamp,posts,note\n2025-03-01T12:00:00Z,11," + "a" * ((7 << 20) + 100)
            + "\n2025-03-01T12:00:01Z,2,n\n").encode()
    result = read(data, "csv")
    assert (result.rows, result.volume.total_posts) == (2, 13)


@pytest.mark.parametrize(("fmt", "data"), [
    ("csv", b"timestamp,posts\n2025-03-01T12:00:00Z," + b"9" * (65 << 20) + b"\n"),
    ("jsonl", b'{"timestamp": "2025-03-01T12:00:00Z", "posts": ' + b"9" * (65 << 20) + b"}\n"),
    ("jsonl", b'{"timestamp": "2025-03-01T12:00:00Z", "note": "' + b"a" * (65 << 20)),
], ids=["csv", "jsonl", "jsonl-unended"])
def test_a_line_that_runs_on_past_the_longest_a_row_may_be_is_refused_while_read(fmt, data):
    """A line of any length was read on to its end: a row holding a 200 MiB posts value
    took 17 s and 3.6 GB of memory before it was refused."""
    with pytest.raises(InvalidInput, match="a line of the log runs on past 64 MiB without "
                                           "ending"):
        read(data, fmt)
