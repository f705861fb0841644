"""Parquet text decoded with 64-bit offsets (decision 0171) comes back as the table stored,
to the type, whatever the writer's options; a file whose columns would come out otherwise,
or that another writer made, is read as stored."""

from __future__ import annotations

import io
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import calculator
from calculator.ingest import columnar, parquet_text


@pytest.fixture(autouse=True, scope="module")
def small_files_read_wide():
    """The files here are small: they are read wide from their first row."""
    with mock.patch.object(parquet_text, "WIDE_FROM_ROWS", 0):
        yield


texts = st.lists(st.one_of(st.none(), st.text(max_size=12),
                           st.sampled_from(["2025-03-01T00:00:00Z", "1857234567890123456"])),
                 min_size=1, max_size=300)
writer_options = st.fixed_dictionaries({
    "store_schema": st.booleans(),
    "use_dictionary": st.booleans(),
    "compression": st.sampled_from(["snappy", "zstd", "none"]),
    "data_page_version": st.sampled_from(["1.0", "2.0"]),
    "version": st.sampled_from(["1.0", "2.4", "2.6"]),
    # Groups of a few rows, so that most logs hold several (read two at once, a group
    # missed or read twice shows).
    "row_group_size": st.integers(1, 40),
})


def written(table: pa.Table, path, **options) -> pq.ParquetFile:
    pq.write_table(table, path, **options)
    return pq.ParquetFile(path, memory_map=True)


def read(path, parquet: pq.ParquetFile, needed: list[str], whole_groups: bool) -> pa.Table:
    """The needed columns as the read hands them on, row groups read two at once or in
    batches."""
    lowered = {"_GROUP_ROWS_FROM": 1, "_BATCH_ROWS": 400} if whole_groups \
        else {"_GROUP_ROWS_FROM": columnar._GROUP_ROWS_FROM}
    with mock.patch.multiple(columnar, **lowered):
        return pa.concat_tables(columnar._parquet_tables(str(path), parquet, needed))


@settings(deadline=None, max_examples=60)
@given(texts, st.lists(st.binary(max_size=6), min_size=300, max_size=300), writer_options,
       st.booleans())
@example(["2025-03-01T00:00:00Z"] * 50, [b"1"] * 300,  # eight groups, two read at once
         {"store_schema": True, "use_dictionary": True, "compression": "snappy",
          "data_page_version": "1.0", "version": "2.6", "row_group_size": 7}, True)
def test_text_decoded_wide_is_handed_on_as_the_stored_table(tmp_path_factory, values, raw,
                                                           options, whole_groups):
    path = tmp_path_factory.mktemp("wide") / "log.parquet"
    rows = len(values)
    table = pa.table({"timestamp": pa.array(values, pa.string()),
                      "posts": pa.array(np.arange(rows)),
                      "post_id": pa.array(raw[:rows], pa.binary())})
    parquet = written(table, path, **options)
    needed = ["timestamp", "posts", "post_id"]
    # Arrow wrote the file, so its text is always decoded wide: the test is of that way.
    assert parquet_text.wide_text_metadata(str(path), parquet, needed) is not None
    found = read(path, parquet, needed, whole_groups)
    assert found.schema == table.schema
    assert found.equals(pq.read_table(path, columns=needed))


def test_a_zone_or_a_dictionary_the_stored_schema_keeps_reads_the_file_as_stored(tmp_path):
    # Without the stored schema, a zone would come out as UTC and a dictionary as plain
    # text: the values alike, the types not, so the file is read as stored.
    table = pa.table({
        "timestamp": pa.array([1, 2, 3], pa.timestamp("ms", tz="Europe/Paris")),
        "platform": pa.array(["x", "y", "x"]).dictionary_encode(),
        "post_id": pa.array(["1", "2", "3"]),
    })
    path = tmp_path / "log.parquet"
    parquet = written(table, path)
    for needed in (["timestamp", "post_id"], ["platform", "post_id"]):
        assert parquet_text.wide_text_metadata(str(path), parquet, needed) is None
        assert read(path, parquet, needed, False).equals(pq.read_table(path, columns=needed))
    assert parquet_text.wide_text_metadata(str(path), parquet, ["post_id"]) is not None


def test_a_file_another_writer_made_with_an_arrow_schema_keeps_its_own_metadata(tmp_path):
    """Arrow reads another writer's file around that writer's known faults, by its name: the
    metadata an empty file of Arrow's own would give it is not used."""
    path = tmp_path / "log.parquet"
    parquet = written(pa.table({"timestamp": ["2025-03-01T00:00:00Z"]}), path)
    elsewhere = SimpleNamespace(schema_arrow=parquet.schema_arrow, metadata=SimpleNamespace(
        metadata=parquet.metadata.metadata, created_by="parquet-mr version 1.2.8",
        format_version="1.0", num_rows=1))
    # Refused by the writer's name, before any metadata is made (whose making would fail on
    # the stand-in above for reasons of its own).
    with mock.patch.object(parquet_text.pq, "ParquetWriter",
                           side_effect=AssertionError("metadata made")):
        assert parquet_text.wide_text_metadata(str(path), elsewhere, ["timestamp"]) is None


def test_a_file_without_a_stored_schema_is_opened_with_its_own_metadata(tmp_path):
    path = tmp_path / "log.parquet"
    parquet = written(pa.table({"timestamp": ["2025-03-01T00:00:00Z"]}), path,
                      store_schema=False)
    assert parquet_text.wide_text_metadata(str(path), parquet, ["timestamp"]) \
        is parquet.metadata


def test_a_file_without_text_among_the_needed_columns_is_read_as_stored(tmp_path):
    path = tmp_path / "log.parquet"
    parquet = written(pa.table({"timestamp": pa.array([1, 2], pa.timestamp("s")),
                                "posts": [1, 2], "url": ["a", "b"]}), path)
    assert parquet_text.wide_text_metadata(str(path), parquet, ["timestamp", "posts"]) is None


def test_a_small_file_is_read_as_stored(tmp_path):
    """Opening a file wide costs more than a few thousand rows decoded wide save."""
    path = tmp_path / "log.parquet"
    with mock.patch.object(parquet_text, "WIDE_FROM_ROWS", 100):
        parquet = written(pa.table({"post_id": np.arange(99).astype(str)}), path)
        assert parquet_text.wide_text_metadata(str(path), parquet, ["post_id"]) is None
        parquet = written(pa.table({"post_id": np.arange(100).astype(str)}), path)
        assert parquet_text.wide_text_metadata(str(path), parquet, ["post_id"]) is not None


@pytest.mark.parametrize("stored, wide", [(pa.string(), pa.large_string()),
                                          (pa.binary(), pa.large_binary())])
def test_text_past_two_gib_in_one_batch_stays_wide(stored, wide):
    """Narrowed, its offsets would wrap; read as stored, Arrow would have split the column.
    The text's bytes are never touched (address space only)."""
    past = 2**31 + 5
    offsets = pa.py_buffer(np.array([0, 3, past], dtype=np.int64).tobytes())
    column = pa.Array.from_buffers(wide, 2, [None, offsets, pa.allocate_buffer(past)])
    kept = parquet_text.as_stored(pa.table({"t": column, "n": [1, 2]}),
                                  pa.schema([("t", stored), ("n", pa.int64())]))
    assert kept.column("t").type == wide
    small = pa.array([b"ab", b"c"], wide)
    assert parquet_text.as_stored(pa.table({"t": small}), pa.schema([("t", stored)])) \
        .column("t").type == stored


@pytest.mark.parametrize("count", ["requested", "distinct"])
def test_a_log_read_wide_is_assessed_as_the_same_rows_in_csv(tmp_path, count):
    """A sorted log as crawlers write it: reading its text wide changes nothing the
    document says."""
    stamps = np.char.add(np.datetime_as_string(
        np.datetime64("2025-03-01T00:00:00", "s") + np.arange(0, 5_000 * 17, 17), unit="s"),
        "Z")
    table = pa.table({"timestamp": stamps, "posts": np.full(5_000, 400),
                      "post_id": (np.arange(5_000) % 1_300).astype(str)})
    path = tmp_path / "log.parquet"
    pq.write_table(table, path, row_group_size=1_000)
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    with mock.patch.object(parquet_text, "opened", wraps=parquet_text.opened) as spied:
        document = calculator.assess(str(path), count=count).to_document()
    assert spied.called
    expected = calculator.assess(sink.getvalue(), count=count).to_document()
    assert {k: v for k, v in document.items() if k != "input"} == \
        {k: v for k, v in expected.items() if k != "input"}
