"""JSON Lines read by Arrow give the very answer, and the very error, of the strict reader."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.errors import InvalidInput
from calculator.ingest import jsonl_arrow
from calculator.ingest.crawlers import HostMap
from calculator.ingest.formats import ReadChoices, read_log
from calculator.ingest.source import open_source
from tests.ingest.helpers import outcome as outcome_of


def read(data: bytes, strict: bool = False):
    """Read as JSON Lines; ``strict``: every block by the strict reader, none by Arrow."""
    with pytest.MonkeyPatch.context() as patch:
        if strict:
            patch.setattr(jsonl_arrow, "_parse", lambda block, names, ends, known: (
                None, bytes(block).count(b"\n"), known))
        with open_source(data) as source:
            return read_log(source, "jsonl", ReadChoices(), HostMap())


def outcome(data: bytes, strict: bool):
    return outcome_of(lambda: read(data, strict))


values = st.one_of(st.none(), st.integers(-3, 10**6), st.sampled_from(
    ["2025-03-01T10:00:00Z", "2025-03-01 10:00:00", "1740823200", "1740823200.5", "x", "",
     True, 1.5, 2.0, {"a": [1, 2]}, [1]]))
records = st.lists(st.one_of(
    st.fixed_dictionaries({"timestamp": st.sampled_from(
        ["2025-03-01T10:00:00Z", "2025-03-01T10:00:00.125+01:00", 1740823200, "1740823200"])},
        optional={"posts": values, "post_id": values, "platform": st.sampled_from(
            ["x", "X", "reddit", "", None, 3]), "authorized": values, "Extra": values,
            # Keys that differ from a counted one only in case or spaces: the same column.
            "Posts": values, "posts ": values, " Platform": values}),
    st.just("BLANK"), st.just("NOT JSON"), st.just([1, 2])), min_size=1, max_size=30)


def encode(items) -> bytes:
    lines = []
    for item in items:
        if item == "BLANK":
            lines.append("")
        elif item == "NOT JSON":
            lines.append("{\"timestamp\": ")
        else:
            lines.append(json.dumps(item))
    return ("\n".join(lines) + "\n").encode()


@settings(max_examples=300, deadline=None)
@given(items=records)
def test_the_fast_reader_answers_exactly_as_the_strict_reader(items):
    data = encode(items)
    assert outcome(data, False) == outcome(data, True)


def many_rows(rows: int, seed: int = 5) -> list[dict]:
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, 86_400 * 3, rows)) + 1_740_787_200
    return [{"timestamp": f"{np.datetime64(int(s), 's')}Z", "posts": int(p),
             "post_id": str(i % 977), "url": f"https://x.com/i/status/{i}",
             "meta": {"depth": [1, {"two": 2}]}}
            for i, (s, p) in enumerate(zip(seconds, rng.integers(0, 20, rows), strict=True))]


def test_a_long_log_read_in_many_blocks_counts_every_row():
    rows = many_rows(40_000)
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    assert len(data) > 4 << 20  # several blocks
    result = read(data)
    csv = "timestamp,posts,post_id\n" + "".join(
        f"{r['timestamp']},{r['posts']},{r['post_id']}\n" for r in rows)
    with open_source(csv.encode()) as source:
        same = read_log(source, "csv", ReadChoices(), HostMap())
    assert np.array_equal(result.volume.instants, same.volume.instants)
    assert np.array_equal(result.volume.posts, same.volume.posts)
    assert result.counts == same.counts
    assert result.rows == 40_000
    assert result.counts["requested_posts"] == sum(r["posts"] for r in rows)
    assert result.counts["distinct_posts"] == 977


def test_a_bad_row_deep_in_a_long_log_is_named_by_its_line():
    rows = many_rows(45_000)
    rows[42_432]["posts"] = -1
    lines = [json.dumps(r) for r in rows]
    lines.insert(10, "")  # a blank line counts in the numbering
    data = ("\n".join(lines) + "\n").encode()
    with pytest.raises(InvalidInput, match=r"row 42,?434, posts") as caught:
        read(data)
    assert caught.value.problems[0].row == 42_434


@pytest.mark.parametrize("depth", [900, 5_000])
def test_a_line_nested_too_deep_for_arrow_is_left_to_the_strict_reader(depth):
    # Arrow's parser recurses: a line nested 100,000 deep would crash the process.
    deep = (b'{"timestamp": "2025-03-01T10:00:00Z", "x": ' + b"[" * depth + b"]" * depth
            + b"}\n")
    good = b'{"timestamp": "2025-03-01T10:00:00Z", "posts": 3}\n'
    assert outcome(good + deep, False) == outcome(good + deep, True)
    assert outcome(good * 3 + deep * 2, False)[0] == ("read" if depth < 1_000 else "error")
