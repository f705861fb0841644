"""Parquet and Arrow files can give a needed column any Arrow type: lists, structures, maps,
bytes, text views, dictionaries, durations, numbers past 64 bits. Each is read as the value
it holds or refused with its row and field, through Python, the CLI and HTTP: never a
traceback, and never a duration taken for an instant."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import calculator
from calculator.cli import main
from calculator.errors import InvalidInput

TIMES = ["2025-03-01T10:00:00Z", "2025-03-01T10:00:01Z", "2025-03-01T10:00:02Z"]


def written(columns: dict, fmt: str) -> bytes:
    sink = io.BytesIO()
    data = pa.table(columns)
    if fmt == "parquet":
        pq.write_table(data, sink)
    else:
        feather.write_feather(data, sink, compression="uncompressed")
    return sink.getvalue()


REFUSED = {
    "a list of instants": (
        {"timestamp": pa.array([None, [1], [2]]), "posts": [1, 1, 1]},
        r"row 2, timestamp: is not an ISO 8601 instant .*; it holds a list or structure"),
    "an instant as a structure": (
        {"timestamp": pa.array([{"at": 1}] * 3), "posts": [1, 1, 1]},
        r"row 1, timestamp: .*it holds a list or structure"),
    "instants as bytes that are not text": (
        {"timestamp": pa.array([TIMES[0].encode(), b"\xff\xfe", TIMES[2].encode()]),
         "posts": [1, 1, 1]},
        r"row 2, timestamp: .*bytes that are not UTF-8 text"),
    "durations for instants": (
        {"timestamp": pa.array([1_740_823_200] * 3, pa.duration("ms")), "posts": [1, 1, 1]},
        r"row 1, timestamp: .*holds duration\[ms\] values, not instants"),
    "posts past 64 bits": (
        {"timestamp": TIMES, "posts": pa.array([1, 2**64 - 1, 1], pa.uint64())},
        r"row 2, posts: is not a whole number of posts"),
    "posts as lists": (
        {"timestamp": TIMES, "posts": pa.array([[1], [2], [3]])},
        r"row 1, posts: is not a whole number of posts"),
    "post ids as lists": (
        {"timestamp": TIMES, "posts": [1, 1, 1], "post_id": pa.array([None, None, [7]])},
        r"row 3, post_id: holds a list or structure of values, not one post id"),
    "post ids as maps": (
        {"timestamp": TIMES, "posts": [1, 1, 1],
         "post_id": pa.array([[("a", 1)]] * 3, pa.map_(pa.string(), pa.int64()))},
        r"row 1, post_id: holds a list or structure"),
    "post ids as bytes that are not text": (
        {"timestamp": TIMES, "posts": [1, 1, 1],
         "post_id": pa.array([b"1", b"2", b"\xff"], pa.large_binary())},
        r"row 3, post_id: holds bytes that are not UTF-8 text"),
    "platforms as lists": (
        {"timestamp": TIMES, "posts": [1, 1, 1], "platform": pa.array([["x"]] * 3)},
        r"row 1, platform: holds a list or structure of values, not a platform's name"),
    "platforms as bytes that are not text": (
        {"timestamp": TIMES, "posts": [1, 1, 1],
         "platform": pa.array([b"x", b"\xc3", b"x"], pa.binary())},
        r"row 2, platform: holds bytes that are not UTF-8 text"),
    "authorized as lists": (
        {"timestamp": TIMES, "posts": [1, 1, 1], "authorized": pa.array([[True]] * 3)},
        r"row 1, authorized: is not true or false"),
}


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
@pytest.mark.parametrize("case", list(REFUSED))
def test_a_column_that_holds_no_plain_value_is_refused_at_its_row(case, fmt):
    columns, named = REFUSED[case]
    with pytest.raises(InvalidInput, match=named) as refused:
        calculator.assess(written(columns, fmt), count="distinct" if "post_id" in columns
                          else "requested")
    problem = refused.value.problems[0]
    assert (problem.row, problem.field) == (int(named.split()[1].rstrip(",")),
                                            named.split()[2].rstrip(":"))


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
def test_dictionaries_bytes_and_text_views_count_as_the_plain_values_they_hold(fmt):
    plain = calculator.assess(written({
        "timestamp": TIMES, "posts": [1, 2, 1], "post_id": ["11", "12", "11"],
        "platform": ["x", "X", "reddit"]}, fmt), count="distinct")
    encoded = calculator.assess(written({
        "timestamp": pa.array(TIMES, pa.string_view()),
        "posts": pa.array([1, 2, 1]).dictionary_encode(),
        "post_id": pa.array([b"11", b"12", b"11"], pa.binary()),
        "platform": pa.array([b"x", b"X", b"reddit"]).dictionary_encode()}, fmt),
        count="distinct")
    assert plain.counted == encoded.counted == {"posts": 2, "accesses": 2}
    assert plain.counts == encoded.counts
    assert plain.excluded == encoded.excluded


def test_the_cli_and_http_refuse_a_list_column_in_one_line_and_a_problem(runner, client,
                                                                        tmp_path):
    body = written(REFUSED["post ids as lists"][0], "parquet")
    path = tmp_path / "crawl.parquet"
    path.write_bytes(body)
    cli = runner.invoke(main, ["assess", str(path), "--count", "distinct"])
    assert cli.exit_code != 0
    assert cli.output.strip().splitlines() == [
        "calculator: row 3, post_id: holds a list or structure of values, not one post id"]
    http = client.post("/v1/assessments?count=distinct", data=body,
                       content_type="application/vnd.apache.parquet")
    assert http.status_code in (400, 422)
    problem = http.get_json()
    assert http.content_type == "application/problem+json"
    assert problem["errors"][0]["row"] == 3 and problem["errors"][0]["field"] == "post_id"


def test_a_column_file_read_as_text_by_choice_says_what_it_is():
    body = written({"timestamp": TIMES, "posts": [1, 1, 1]}, "parquet")
    with pytest.raises(InvalidInput, match="the log is a Parquet file, not csv: leave out "
                                           "the format, or choose parquet"):
        calculator.assess(body, format="csv")
    with pytest.raises(InvalidInput, match="damaged or not an Arrow file"):
        calculator.assess(b"timestamp,posts\n", format="arrow")
