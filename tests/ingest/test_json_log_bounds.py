"""JSON logs are held to the bounds every log is held to: what they name (keys, their
length, keys that are one column twice) and what reading them may cost, whatever keys the
records carry."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import calculator
from calculator.errors import InvalidInput
from calculator.ingest import jsonl_arrow
from calculator.ingest.columns import ColumnNames

T = "2025-03-01T10:00:00Z"


def lines(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def array(records: list[dict]) -> bytes:
    return json.dumps(records).encode()


def test_records_each_naming_another_key_are_not_parsed_by_arrow():
    """Arrow keeps a value for every key in every row of a block: 20,000 records of one
    key each, all different, took 18 s and under 1 MB of them over 3 GB. Such a block is
    left to the strict reader, whose cost follows the bytes."""
    block = lines([{"timestamp": T, f"k{i}": 1} for i in range(5_000)])
    table, count, learnt = jsonl_arrow._parse(block, ColumnNames())
    assert (table, count) == (None, 5_000)
    assert learnt is None or len(learnt) * 5_000 > jsonl_arrow._CELLS_PER_BYTE * len(block)


def test_records_naming_the_same_few_keys_are_parsed_by_arrow():
    block = lines([{"timestamp": T, "posts": i, "url": f"https://x.com/a/status/{i}"}
                   for i in range(5_000)])
    table, count, learnt = jsonl_arrow._parse(block, ColumnNames())
    assert table is not None and table.num_rows == count == 5_000
    assert learnt is not None and learnt.names == ["timestamp", "posts", "url"]


@pytest.mark.parametrize("encode", [lines, array])
def test_many_different_keys_in_a_late_block_are_read_exactly(encode):
    """Narrow records first, then records of thousands of different keys: every row is
    counted as the strict reader counts it, and what is unused is listed once."""
    records = [{"timestamp": T, "posts": 1, "a": 1} for _ in range(60_000)] + \
        [{"timestamp": T, "posts": 2, f"k{i % 3_000}": 1} for i in range(40_000)]
    result = calculator.assess(encode(records))
    assert result.counted == {"posts": 140_000, "accesses": 100_000}
    assert len(result.input.ignored_columns) == 3_001


@pytest.mark.parametrize("encode", [lines, array])
def test_a_log_naming_more_than_ten_thousand_keys_is_refused(encode):
    records = [{"timestamp": T, f"k{i}": 1} for i in range(10_001)]
    with pytest.raises(InvalidInput, match="the JSON records name more than 10,000 columns"):
        calculator.assess(encode(records))


@pytest.mark.parametrize("encode", [lines, array])
def test_a_key_too_long_to_be_a_column_name_is_refused_by_its_row(encode):
    records = [{"timestamp": T}, {"timestamp": T}, {"timestamp": T, "Q" * 257: 1}]
    with pytest.raises(InvalidInput) as refused:
        calculator.assess(encode(records))
    assert str(refused.value) == ("row 3: the record names a column of 257 characters; a "
                                  "column name may have at most 256")


@pytest.mark.parametrize("encode", [lines, array])
@pytest.mark.parametrize("keys", [("posts", "Posts"), ("timestamp", "TIMESTAMP"),
                                  ("post_id", "post_id "), ("authorized", " Authorized")])
def test_a_record_naming_one_column_twice_is_refused_by_its_row(encode, keys):
    """``posts`` and ``Posts`` in one record are one column to the reader: the record gave
    two rows, or two counts and a crash."""
    records = [{"timestamp": T, "posts": 1}, {"timestamp": T, keys[0]: "1", keys[1]: "2"}]
    with pytest.raises(InvalidInput, match=r"^row 2: the record names the column "
                                           f"{keys[0]} twice"):
        calculator.assess(encode(records))


def test_keys_that_differ_in_spaces_across_records_are_one_column():
    """A record's ``posts`` and another's ``posts `` are the same column, fast or strict."""
    data = lines([{"timestamp": T, "posts": 3}, {"timestamp": T, "posts ": 4}])
    assert calculator.assess(data).counted == {"posts": 7, "accesses": 2}


def test_a_record_nested_just_under_arrows_bound_is_refused_in_words():
    data = f'{{"timestamp": "{T}", "x": '.encode() + b"[" * 990 + b"]" * 990 + b"}\n"
    with pytest.raises(InvalidInput, match="line 1: arrays or objects are nested too deeply"):
        calculator.assess(data)


def test_a_value_of_another_type_in_a_later_block_is_read_exactly():
    records = [{"timestamp": T, "posts": 1, "score": 1} for _ in range(60_000)] + \
        [{"timestamp": T, "posts": 1, "score": 1.5} for _ in range(60_000)]
    assert calculator.assess(lines(records)).counted == {"posts": 120_000,
                                                         "accesses": 120_000}


def parquet(columns: dict) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def test_a_column_file_naming_more_than_ten_thousand_columns_is_refused():
    """40,000 columns took 15 s to look through; a CSV header is refused past 10,000."""
    columns = {f"c{i}": pa.nulls(1) for i in range(10_000)} | {"timestamp": [T]}
    with pytest.raises(InvalidInput, match=r"^the Parquet file names more than 10,000 "
                                           r"columns; a log needs a few$"):
        calculator.assess(parquet(columns))


def test_a_column_file_naming_a_column_too_long_is_refused():
    with pytest.raises(InvalidInput, match=r"^the Parquet file names a column of 200,000 "
                                           "characters"):
        calculator.assess(parquet({"timestamp": [T], "Q" * 200_000: [1]}))


def test_files_naming_more_than_ten_thousand_columns_between_them_are_refused(tmp_path):
    for k in range(3):
        names = [f"f{k}c{i}" for i in range(4_000)]
        (tmp_path / f"part-{k}.csv").write_text(",".join(["timestamp", *names]) + "\n" +
                                                ",".join([T] + ["1"] * len(names)) + "\n")
    with pytest.raises(InvalidInput, match="the log's files name more than 10,000 columns"):
        calculator.assess(str(tmp_path))


def test_the_keys_of_a_wide_log_are_listed_once_each_in_first_seen_order():
    records = [{"timestamp": T, f"k{i % 500}": 1, f"m{i % 500}": 2} for i in range(20_000)]
    ignored = calculator.assess(lines(records)).input.ignored_columns
    assert list(ignored) == [name for i in range(500) for name in (f"k{i}", f"m{i}")]
