"""Tables held in a notebook's memory (pandas and polars DataFrames, pyarrow tables, batches and
streams) are logs: assessed exactly as the same rows written as CSV, named by a digest of
their Arrow stream, and refused in words, by column, where they cannot be read."""

from __future__ import annotations

import io
import os
import tempfile
from decimal import Decimal

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import calculator
from calculator.errors import InvalidArgument, InvalidInput

ROWS = 400
START = pd.Timestamp("2025-03-01T00:00:00Z")


def frame(rows: int = ROWS, seed: int = 5) -> pd.DataFrame:
    """Times over five days at millisecond resolution, posts heavy enough that some 24-hour
    windows pass the threshold, numeric post ids (some repeated), URLs."""
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.integers(0, 5 * 86_400_000, rows))
    return pd.DataFrame({
        "timestamp": START + pd.to_timedelta(offsets, unit="ms"),
        "posts": rng.integers(0, 30_000, rows),
        "post_id": rng.integers(1, ROWS // 2, rows).astype(str),
        "url": [f"https://x.com/a/status/{i}" for i in range(rows)],
    })


def as_csv(data: pd.DataFrame) -> bytes:
    text = data.assign(timestamp=data["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    return text.to_csv(index=False).encode()


def answer(document: dict) -> dict:
    """The document less what describes the bytes (format, digest, size)."""
    return {k: v for k, v in document.items() if k != "input"}


TABLES = {
    "pandas DataFrame": lambda d: d,
    "pandas DataFrame indexed by time": lambda d: d.set_index("timestamp"),
    "pyarrow Table": lambda d: pa.Table.from_pandas(d),
    "pyarrow RecordBatch": lambda d: pa.RecordBatch.from_pandas(d),
    "pyarrow RecordBatchReader": lambda d: pa.Table.from_pandas(d).to_reader(max_chunksize=37),
    "polars DataFrame": lambda d: pl.from_pandas(d),
}


@pytest.mark.parametrize("kind", TABLES)
@pytest.mark.parametrize("count", ["requested", "distinct"])
def test_a_table_in_memory_is_assessed_exactly_as_the_same_rows_in_csv(kind, count):
    rows = frame()
    expected = calculator.assess(as_csv(rows), count=count).to_document()
    if count == "requested":  # some window is over the threshold (few ids are distinct)
        assert Decimal(expected["headline"]["amount"]) > 0
    document = calculator.assess(TABLES[kind](rows), count=count).to_document()
    assert document["input"]["format"] == "arrow"
    assert answer(document) == answer(expected)


def test_local_times_in_a_table_are_read_in_the_zone_named_as_in_a_csv():
    rows = frame().assign(timestamp=lambda d: d["timestamp"].dt.tz_localize(None))
    as_text = rows.assign(timestamp=rows["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S.%f"))
    expected = calculator.assess(as_text.to_csv(index=False).encode(),
                                 assume_tz="Europe/Berlin").to_document()
    document = calculator.assess(rows, assume_tz="Europe/Berlin").to_document()
    assert answer(document) == answer(expected)
    assert f"{ROWS} timestamps had no offset and were read as Europe/Berlin (assume_tz)." \
        in document["assumptions"]


def test_the_digest_names_the_tables_content_and_nothing_else():
    rows = frame()
    first = calculator.assess(rows).input.sha256
    assert calculator.assess(rows.copy()).input.sha256 == first  # the same content
    assert calculator.assess(pa.Table.from_pandas(rows)).input.sha256 == first
    changed = rows.copy()
    changed.loc[7, "posts"] += 1
    assert calculator.assess(changed).input.sha256 != first


def test_categorical_and_view_columns_are_read_as_their_values():
    rows = frame()
    expected = calculator.assess(as_csv(rows)).to_document()
    categorical = rows.assign(post_id=rows["post_id"].astype("category"))
    assert answer(calculator.assess(categorical).to_document()) == answer(expected)
    polars = pl.from_pandas(rows).with_columns(pl.col("post_id").cast(pl.Categorical))
    assert answer(calculator.assess(polars).to_document()) == answer(expected)


def test_tables_given_together_are_one_log():
    rows = frame()
    whole = calculator.assess(as_csv(rows)).to_document()
    parts = [rows.iloc[:150], pl.from_pandas(rows.iloc[150:300]),
             pa.Table.from_pandas(rows.iloc[300:])]
    document = calculator.assess(parts).to_document()
    assert answer(document)["headline"] == whole["headline"]
    assert document["readings"] == whole["readings"]
    assert document["counts"] == whole["counts"]


def test_a_column_of_mixed_values_is_refused_by_name_without_its_values():
    rows = frame().astype({"posts": object})
    rows.loc[3, "posts"] = "many, see https://x.com/a/status/99"
    with pytest.raises(InvalidInput) as refused:
        calculator.assess(rows)
    message = str(refused.value)
    assert "column posts holds values of more than one kind" in message
    assert "astype(str)" in message
    assert "x.com" not in message and "many" not in message


def test_a_column_named_twice_is_refused():
    rows = pd.DataFrame([["2025-03-01T00:00:00Z", 1, 2]], columns=["timestamp", "posts", "posts"])
    with pytest.raises(InvalidInput, match="names the column posts more than once"):
        calculator.assess(rows)


def test_a_table_takes_no_other_format():
    with pytest.raises(InvalidArgument, match="format: the DataFrame is read as the table it is"):
        calculator.assess(frame(), format="csv")


@pytest.mark.parametrize("source, words", [
    (123, "not int"),
    (None, "not NoneType"),
    ({"timestamp": "2025-03-01T00:00:00Z"}, "not dict"),
    (io.StringIO("timestamp,posts\n"), "open it in binary mode"),
])
def test_what_is_not_a_log_is_refused_in_words(source, words):
    with pytest.raises(InvalidArgument, match=words):
        calculator.assess(source)


def test_a_logs_content_given_as_text_is_told_to_come_as_bytes():
    with pytest.raises(InvalidInput, match="a str names a file: give a log's content as bytes"):
        calculator.assess("timestamp,posts\n2025-03-01T00:00:00Z,5\n")


def test_no_copy_of_a_table_is_left_on_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    calculator.assess(frame())
    mixed = frame().astype({"posts": object})
    mixed.loc[0, "posts"] = "x"
    with pytest.raises(InvalidInput):
        calculator.assess(mixed)
    without_time = frame().drop(columns="timestamp")
    with pytest.raises(InvalidInput, match="time"):
        calculator.assess(without_time)
    assert os.listdir(tmp_path) == []


def test_a_table_is_assessed_here_not_on_a_cluster():
    with pytest.raises(InvalidArgument, match="not standard input, bytes, open files or tables"):
        calculator.assess(frame(), engine="dask")


def test_a_stream_that_fails_as_it_is_read_is_refused_in_words():
    rows = pa.Table.from_pandas(frame())

    def batches():
        yield from rows.to_batches(max_chunksize=100)[:2]
        raise pa.ArrowInvalid("the source went away: https://x.com/a/status/1")

    reader = pa.RecordBatchReader.from_batches(rows.schema, batches())
    with pytest.raises(InvalidInput) as refused:
        calculator.assess(reader)
    assert str(refused.value) == "the pyarrow RecordBatchReader cannot be read as an Arrow table"
