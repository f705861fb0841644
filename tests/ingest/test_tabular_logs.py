"""Reading CSV, JSON Lines and JSON logs: the same counts from every format, and bad input
answered with the row and field at fault."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from calculator.damages.assessment import assess
from calculator.errors import InvalidArgument, InvalidInput
from calculator.ingest import tabular_csv, tabular_json
from calculator.ingest.crawlers import HostMap
from calculator.ingest.formats import ReadChoices, read_log
from calculator.ingest.source import open_source

ROWS = [("2025-03-01T18:00:00Z", 600_000), ("2025-03-02T06:00:00.250Z", 600_000),
        ("2025-03-01T19:00:00+01:00", 3), ("1740855600", 4)]


def as_csv(rows=ROWS) -> bytes:
    return ("timestamp,posts\n" + "".join(f"{t},{p}\n" for t, p in rows)).encode()


def as_jsonl(rows=ROWS) -> bytes:
    return "".join(json.dumps({"timestamp": t, "posts": p}) + "\n" for t, p in rows).encode()


def as_json(rows=ROWS) -> bytes:
    return json.dumps([{"timestamp": t, "posts": p} for t, p in rows]).encode()


def read(data: bytes, fmt: str | None = None, assume_tz: str = "UTC", count: str = "requested"):
    with open_source(data) as source:
        return read_log(source, fmt, ReadChoices(assume_tz=assume_tz, count=count), HostMap())


def bad(data: bytes, fmt: str | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        read(data, fmt)
    return caught.value


@pytest.mark.parametrize("encode, fmt", [(as_csv, "csv"), (as_jsonl, "jsonl"), (as_json, "json")])
@pytest.mark.parametrize("compress", [False, True])
def test_every_format_plain_or_gzip_gives_the_same_counts(encode, fmt, compress):
    data = encode()
    if compress:
        data = gzip.compress(data)
    result = read(data)
    assert result.format == fmt
    assert result.rows == 4
    reference = read(as_csv()).volume
    assert np.array_equal(result.volume.instants, reference.instants)
    assert np.array_equal(result.volume.posts, reference.posts)
    # 19:00+01:00 is 18:00Z, the instant of the first row: one instant, two rows.
    assert result.volume.accesses.tolist() == [2, 1, 1]
    assert result.volume.posts.tolist() == [600_003, 4, 600_000]


def test_the_digest_is_of_the_bytes_as_sent():
    import hashlib
    data = gzip.compress(as_csv())
    assert assess(data).input.sha256 == hashlib.sha256(data).hexdigest()


def test_a_log_split_across_many_chunks_counts_like_one(monkeypatch):
    rows = [(f"2025-03-01T00:{m:02d}:{s:02d}Z", 1) for m in range(60) for s in range(60)]
    whole = read(as_csv(rows)).volume
    monkeypatch.setattr(tabular_csv, "_CHUNK", 4096)
    monkeypatch.setattr(tabular_json, "_JSON_BATCH", 100)
    for data in (as_csv(rows), as_jsonl(rows), as_json(rows)):
        chunked = read(data).volume
        assert np.array_equal(chunked.instants, whole.instants)
        assert chunked.total_posts == 3600


def test_a_csv_without_a_time_column_is_refused_naming_the_columns_and_what_was_looked_for():
    error = bad(b"when,posts\n2025-03-01T00:00:00Z,1\n", "csv")
    assert "no time column in the CSV header: looked for timestamp, time, ts" in error.detail
    assert "the columns are when, posts" in error.detail


@pytest.mark.parametrize("value, expected", [
    ("yesterday", "row 2, timestamp: is not an ISO 8601 instant"),
    ("2025-02-30T00:00:00Z", "not a real date and time"),
    ("1740855600000", "epoch milliseconds are not accepted"),
    ("", "row 2, timestamp: is empty"),
])
def test_an_unreadable_timestamp_names_its_row(value, expected):
    error = bad(f"timestamp,posts\n2025-03-01T00:00:00Z,1\n{value},1\n".encode())
    assert expected in error.detail
    assert error.problems[0].row == 2 and error.problems[0].field == "timestamp"


@pytest.mark.parametrize("written", ["2016-12-31T23:59:60Z", "2016-12-31 23:59:60.5z",
                                     "2017-01-01T00:59:60+01:00", "2016-12-31 23:59:60"])
@pytest.mark.parametrize("encode", [as_csv, as_jsonl])
def test_a_leap_second_is_refused_as_one_not_as_an_impossible_date(written, encode):
    """UTC's 23:59:60 is a real instant: the row is told why it cannot be counted (instants
    are counted as POSIX time counts them) and what to write instead, not that its date is
    not real."""
    error = bad(encode([("2016-12-31T23:59:59Z", 1), (written, 1)]))
    assert "row 2, timestamp: is a leap second" in error.detail
    assert "not a real date" not in error.detail
    assert error.problems[0].row == 2 and error.problems[0].field == "timestamp"


@pytest.mark.parametrize("written", ["2025-03-01t18:00:00Z", "2025-03-01T18:00:00z",
                                     "2025-03-01t19:00:00+01:00", "2025-03-01 18:00:00z"])
@pytest.mark.parametrize("encode", [as_csv, as_jsonl])
def test_an_instant_with_a_lower_case_t_or_z_is_read_as_rfc_3339_allows(written, encode):
    """RFC 3339 (section 5.6) lets "T" and "Z" be written in lower case; such instants were
    refused as "not a real date and time"."""
    same = assess(encode([("2025-03-01T18:00:00Z", 600_000)]))
    result = assess(encode([(written, 600_000)]))
    assert result.volume.instants.tolist() == same.volume.instants.tolist()


@pytest.mark.parametrize("value", ["-3", "1.5", "many"])
def test_a_count_that_is_not_a_whole_number_of_posts_names_its_row(value):
    error = bad(f"timestamp,posts\n2025-03-01T00:00:00Z,1\n2025-03-01T00:00:01Z,{value}\n"
                .encode())
    assert error.detail.startswith("row 2, posts:")
    assert error.problems[0].field == "posts"


def test_a_bad_value_deep_in_a_large_log_names_its_row(monkeypatch):
    monkeypatch.setattr(tabular_csv, "_CHUNK", 4096)
    rows = [(f"2025-03-01T00:00:{s % 60:02d}Z", 1) for s in range(2000)]
    rows[1500] = ("2025-03-01T00:00:00Z", -1)
    assert bad(as_csv(rows)).problems[0].row == 1501


def test_a_jsonl_line_that_is_not_json_names_its_line():
    error = bad(b'{"timestamp": "2025-03-01T00:00:00Z"}\n{"timestamp": \n')
    assert error.detail.startswith("line 2: not valid JSON")


def test_a_json_record_without_a_timestamp_is_refused():
    error = bad(b'[{"timestamp": "2025-03-01T00:00:00Z", "posts": 2}, {"posts": 3}]')
    assert error.detail == ("row 2, timestamp: is empty or names no value (NaN, N/A, null); "
                            "every row needs the instant of its access")


def test_a_json_record_without_a_posts_key_counts_one_post_and_is_reported():
    result = read(b'{"timestamp": "2025-03-01T00:00:00Z"}\n'
                  b'{"timestamp": "2025-03-01T00:00:01Z", "posts": 4}\n')
    assert result.volume.posts.tolist() == [1, 4]
    assert "1 row gave no posts count and was counted as one post." in result.notes


def test_a_row_with_the_wrong_number_of_fields_names_its_row():
    error = bad(b"timestamp,posts\n2025-03-01T00:00:00Z,1\n2025-03-01T00:00:01Z,1,extra\n")
    assert "row 2: expected 2 fields as in the header, found 3" in error.detail


@pytest.mark.parametrize("data, expected", [
    (b"", "the log is empty"),
    (b"   \n\n", "the log is empty"),
    (b"timestamp,posts\n", "the log has no rows"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    (b"timestamp,posts\n2025-03-01T00:00:00Z,1\n\xff\xfe,2\n", "not UTF-8"),
    (gzip.compress(b"timestamp\n2025-03-01T00:00:00Z\n", mtime=0)[:20], "gzip data is corrupt"),
    (b"just some words\nand more words\n", "could not tell the log's format"),
])
def test_empty_binary_or_unreadable_input_gets_a_clear_answer(data, expected):
    assert expected in bad(data).detail


def test_a_forced_format_is_used_even_when_the_content_looks_otherwise():
    error = bad(as_csv(), "jsonl")
    assert error.detail.startswith("line 1: not valid JSON")


def test_columns_the_engine_does_not_use_are_reported_not_dropped_silently():
    result = read(b"timestamp,posts,user_agent\n2025-03-01T00:00:00Z,1,bot\n")
    assert result.ignored_columns == ["user_agent"]


def test_the_distinct_count_of_a_table_counts_each_post_id_once_per_window():
    data = (b"timestamp,post_id\n2025-03-01T00:00:00Z,11\n2025-03-01T00:00:01Z,11\n"
            b"2025-03-01T00:00:02Z,12\n2025-03-01T00:00:03Z,\n")
    result = read(data, count="distinct")
    assert result.counts["distinct_posts"] == 2
    assert result.counts["requested_posts"] == 4
    assert result.volume.total_posts == 2
    assert "1 row had no post_id and is not in the distinct count." in result.notes


def test_the_distinct_count_needs_a_post_id_column():
    with pytest.raises(InvalidInput, match="distinct needs a post id column"):
        read(as_csv(), count="distinct")


def test_the_accessed_count_of_a_table_says_its_rows_are_taken_as_answered():
    """A table's status column is not read: the accessed count says so rather than that
    it counts only requests answered with content."""
    result = assess(b"timestamp,posts,status\n2025-03-01T18:00:00Z,5,404\n", count="accessed")
    assert result.counted_posts == 5
    assert any("A table's rows are each counted as answered with content: a status column, "
               "if the log has one, is not read." in note for note in result.assumptions)


def test_a_crawlers_option_given_for_a_table_is_said_to_be_unused_not_dropped():
    from datetime import UTC, datetime

    window = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC))
    result = assess(as_csv(), collection_window=window, embedded_posts=True)
    assert "The collection window and counting embedded posts were not used: a table's rows " \
           "carry their own times and posts." in result.assumptions
    with pytest.raises(InvalidArgument, match="the collection window must end after it starts"):
        assess(as_csv(), collection_window=window[::-1])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_first_row_whose_time_cannot_be_read_is_named_even_before_an_empty_one(fmt):
    """A time that is no time in row 1 and an empty one in row 2 were reported as row 2."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    if fmt == "csv":
        data = b"timestamp,posts\nbad,2\n,3\n"
    else:
        sink = io.BytesIO()
        pq.write_table(pa.table({"timestamp": ["bad", None], "posts": [2, 3]}), sink)
        data = sink.getvalue()
    assert bad(data).detail.startswith("row 1, timestamp: is not an ISO 8601 instant")
