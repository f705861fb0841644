"""A JSON array of records read by Arrow gives the very answer, and the very error, of the
strict reader that decodes it element by element."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.errors import InvalidInput
from calculator.ingest import json_array_arrow
from calculator.ingest.crawlers import HostMap
from calculator.ingest.formats import ReadChoices, read_log
from calculator.ingest.source import open_source
from calculator.ingest.tabular_json import _json_array_tables
from tests.ingest.helpers import outcome as outcome_of


def strict_only(stream, result, collector, names):
    """The strict reader alone, over the whole array: the reference."""
    for table, first_row in _json_array_tables(stream, result, names):
        collector.add(table, first_row)


def read(data: bytes, strict: bool = False, block: int | None = None):
    """Read as a JSON array; ``strict``: by the strict reader alone; ``block``: the bytes
    cut at once (small, so a short log is cut into many blocks)."""
    with pytest.MonkeyPatch.context() as patch:
        if strict:
            patch.setattr(json_array_arrow, "read_json_array", strict_only)
        if block:
            patch.setattr(json_array_arrow, "_FIRST_READ", block)
            patch.setattr(json_array_arrow, "_BLOCK", block)
        with open_source(data) as source:
            return read_log(source, "json", ReadChoices(), HostMap())


def outcome(data: bytes, strict: bool, block: int | None = None):
    return outcome_of(lambda: read(data, strict, block))


values = st.one_of(st.none(), st.integers(-3, 10**6), st.sampled_from(
    ["2025-03-01T10:00:00Z", "1740823200", "x", "", 'a "quoted", [bracketed] {text}',
     "back\\slash\\", "\\\"", "line\nbreak", True, 1.5, 2.0, {"a": [1, "]", 2]}, [1]]))
elements = st.one_of(
    st.fixed_dictionaries({"timestamp": st.sampled_from(
        ["2025-03-01T10:00:00Z", "2025-03-01T10:00:00.125+01:00", 1740823200, "1740823200"])},
        optional={"posts": values, "post_id": values, "platform": st.sampled_from(
            ["x", "X", "reddit", "", None, 3]), "authorized": values, "Extra": values}),
    st.just("EMPTY"), st.just("NOT JSON"), st.just([1, 2]), st.just(7))
endings = st.sampled_from(["]", "]\n", "\n]\n  ", ",]", "", "] [", "]x", '"unclosed'])


def encode(items, indent, ending: str, bom: bool) -> bytes:
    texts = []
    for item in items:
        if item == "EMPTY":
            texts.append("")
        elif item == "NOT JSON":
            texts.append('{"timestamp": ')
        else:
            texts.append(json.dumps(item, indent=None if indent == "line" else indent))
    separator = ",\n" if indent is not None else ","  # "line": an element a line
    text = "[" + separator.join(texts) + ending
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


@settings(max_examples=400, deadline=None)
@given(items=st.lists(elements, min_size=0, max_size=25),
       indent=st.sampled_from([None, 2, "line"]),
       ending=endings, bom=st.booleans(), block=st.sampled_from([None, 7, 64, 400]))
def test_the_fast_reader_answers_exactly_as_the_strict_reader(items, indent, ending, bom,
                                                               block):
    data = encode(items, indent, ending, bom)
    fast, strict = outcome(data, False, block), outcome(data, True)
    if "read" in (fast[0], strict[0]):
        assert fast == strict
        return
    # A log with several errors: the strict reader decodes up to 50,000 elements before it
    # looks at their values, the fast one a block (and the last element alone); each names
    # a real error, the fast one none later in the log than the strict one.
    assert fast[0] == strict[0] == "error"
    if len(fast) > 2 and fast[2] and strict[2] and None not in fast[2] + strict[2]:
        assert fast[2][0] <= strict[2][0]
    if fast[2] == strict[2]:
        assert fast == strict


def many_rows(rows: int, seed: int = 7) -> list[dict]:
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, 86_400 * 3, rows)) + 1_740_787_200
    return [{"timestamp": f"{np.datetime64(int(s), 's')}Z", "posts": int(p),
             "post_id": str(i % 977), "url": f"https://x.com/i/status/{i}",
             "note": 'said "hi", then [left]\\', "meta": {"depth": [1, {"two": 2}]}}
            for i, (s, p) in enumerate(zip(seconds, rng.integers(0, 20, rows), strict=True))]


@pytest.mark.parametrize("indent", [None, 1])
def test_a_long_array_read_in_many_blocks_reads_as_the_same_records_one_per_line(indent):
    rows = many_rows(30_000)
    data = json.dumps(rows, indent=indent).encode()
    assert len(data) > 4 << 20  # several blocks
    result = read(data)
    with open_source("".join(json.dumps(r) + "\n" for r in rows).encode()) as source:
        lines = read_log(source, "jsonl", ReadChoices(), HostMap())
    assert result.volume.instants.tolist() == lines.volume.instants.tolist()
    assert result.volume.posts.tolist() == lines.volume.posts.tolist()
    assert (result.rows, result.counts, result.notes, result.ignored_columns) == \
        (lines.rows, lines.counts, lines.notes, lines.ignored_columns)
    assert result.rows == 30_000
    assert result.counts["distinct_posts"] == 977


scan = json_array_arrow._scan


def test_an_array_written_an_element_a_line_is_cut_by_its_lines_and_read_by_arrow():
    """The usual layout of a big array is found from its line breaks alone (the scan of
    every byte is left for the text after the last such line), and every element but the
    last is read by Arrow: the strict reader reads only the last one."""
    # Without the mixed-type "meta" list, which only the strict reader reads.
    rows = [{k: v for k, v in row.items() if k != "meta"} for row in many_rows(30_000)]
    data = ("[" + ",\n".join(json.dumps(r) for r in rows) + "]\n").encode()
    strict_from, scanned = [], []

    def every_byte(text):
        scanned.append(len(text))
        return scan(text)

    def strict(stream, result, names, first_element=0, **options):
        strict_from.append(first_element)
        return _json_array_tables(stream, result, names, first_element, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(json_array_arrow, "_json_array_tables", strict)
        patch.setattr(json_array_arrow, "_scan", every_byte)
        patch.setattr(json_array_arrow, "_BLOCK", 1 << 20)  # several blocks
        result = read(data)
    assert strict_from == [29_999]
    assert len(scanned) == 1 and scanned[0] < 1_000  # the last element and the bracket
    with open_source("".join(json.dumps(r) + "\n" for r in rows).encode()) as source:
        lines = read_log(source, "jsonl", ReadChoices(), HostMap())
    assert result.volume.instants.tolist() == lines.volume.instants.tolist()
    assert result.volume.posts.tolist() == lines.volume.posts.tolist()
    assert (result.rows, result.counts, result.notes) == (lines.rows, lines.counts, lines.notes)


def test_a_bad_element_deep_in_a_long_array_is_named_by_its_number():
    rows = many_rows(30_000)
    rows[27_182]["posts"] = -1
    with pytest.raises(InvalidInput, match=r"row 27,?183, posts") as caught:
        read(json.dumps(rows).encode())
    assert caught.value.problems[0].row == 27_183


def test_text_after_the_closing_bracket_is_refused_not_dropped():
    data = b'[{"timestamp": "2025-03-01T10:00:00Z"}]\n{"timestamp": "2025-03-02T10:00:00Z"}\n'
    with pytest.raises(InvalidInput, match="line 2: more text after the JSON array") as caught:
        read(data)
    assert "2025-03-02" not in str(caught.value)


def test_one_element_not_whole_sends_the_rest_to_the_strict_reader_from_its_start():
    # A string whose escapes the byte scan cannot pair (a lone backslash before the
    # closing quote): the strict reader reads on from that block and names the element.
    good = json.dumps({"timestamp": "2025-03-01T10:00:00Z", "posts": 2})
    bad = '{"timestamp": "2025-03-01T10:00:00Z", "note": "ends in \\"}'
    data = ("[" + ",".join([good] * 50 + [bad] + [good] * 50) + "]").encode()
    fast = outcome(data, False, 64)
    assert fast == outcome(data, True)
    assert fast[0] == "error" and fast[2] == [51]


def test_a_byte_that_is_not_utf8_deep_in_the_array_is_named_by_its_line():
    good = b'{"timestamp": "2025-03-01T10:00:00Z", "posts": 2}'
    bad = b'{"timestamp": "2025-03-01T10:00:00Z", "note": "caf\xe9"}'
    data = b"[\n" + b",\n".join([good] * 40 + [bad] + [good] * 9) + b"\n]\n"
    fast = outcome(data, False, 64)
    assert fast == outcome(data, True)
    assert fast[0] == "error" and fast[3] == [42]  # the line of element 41
