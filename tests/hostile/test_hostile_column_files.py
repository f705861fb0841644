"""Damaged column files are refused in words, never read into a crash: an Arrow file's
buffers are taken as they lie in the file, and one text offset past its data crashed the
process (SIGSEGV) in the first kernel that read it."""

from __future__ import annotations

import io
import math

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calculator
from calculator.app import create_app
from calculator.errors import InputTooLarge, InvalidInput
from calculator.ingest.arrow_messages import arrow_rows, batch_length

T0 = 1731663000
INSTANTS = pa.array([T0] * 3, pa.timestamp("s", tz="UTC"))


def text(offsets: list[int], data: bytes) -> pa.Array:
    """A text column built from raw buffers, as a damaged file holds it."""
    return pa.Array.from_buffers(pa.string(), len(offsets) - 1, [
        None, pa.py_buffer(np.array(offsets, np.int32).tobytes()), pa.py_buffer(data)])


def arrow_file(table: pa.Table, stream: bool = False, **options) -> bytes:
    sink = io.BytesIO()
    opened = ipc.new_stream if stream else ipc.new_file
    with opened(sink, table.schema, options=ipc.IpcWriteOptions(**options)) as writer:
        writer.write_table(table)
    return sink.getvalue()


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@pytest.mark.parametrize("column", ["post_id", "platform", "posts", "timestamp"])
@pytest.mark.parametrize("stream", [False, True], ids=["file", "stream"])
def test_a_text_offset_past_its_data_is_refused_not_read(column, stream):
    damaged = text([0, 3, 1 << 30, 6], b"123456")
    columns = {"timestamp": INSTANTS, column: damaged}
    with pytest.raises(InvalidInput, match=f"the Arrow file cannot be read: its column {column} "
                                           "holds values that do not match their layout"):
        calculator.assess(arrow_file(pa.table(columns), stream))


@pytest.mark.parametrize("column", ["post_id", "platform", "timestamp", "authorized"])
@pytest.mark.parametrize("encode", [parquet, arrow_file], ids=["parquet", "arrow"])
def test_text_that_is_not_utf8_is_refused_by_its_row_and_column(column, encode):
    """It was a traceback (Arrow's "Invalid UTF8 sequence"), and a 500 over HTTP."""
    columns = {"timestamp": INSTANTS, column: text([0, 3, 5, 8], b"123\xff\xfe456")}
    with pytest.raises(InvalidInput) as refused:
        calculator.assess(encode(pa.table(columns)))
    assert str(refused.value) == f"row 2, {column}: holds text that is not UTF-8"


def test_a_compressed_buffer_claiming_more_than_memory_is_refused_in_words():
    data = bytearray(arrow_file(pa.table({"timestamp": INSTANTS, "posts": [1, 2, 3]}),
                                compression="zstd"))
    # Each compressed buffer begins with its length uncompressed: claim 2**63 - 1 bytes.
    marker = (3 * 8).to_bytes(8, "little")  # the posts buffer: three int64
    at = bytes(data).index(marker)
    data[at:at + 8] = (2**63 - 1).to_bytes(8, "little")
    with pytest.raises(InvalidInput) as refused:
        calculator.assess(bytes(data))
    assert str(refused.value) == "the Arrow file cannot be read: it is damaged or not an Arrow file"


def test_an_orc_stripe_that_does_not_decompress_is_refused_in_words():
    sink = io.BytesIO()
    orc.write_table(pa.table({"timestamp": INSTANTS, "posts": [1, 2, 3]}), sink,
                    compression="zstd")
    data = bytearray(sink.getvalue())
    refusals = 0
    for at in range(3, len(data) - 3):  # each byte in turn: none may escape as Arrow's error
        damaged = bytearray(data)
        damaged[at] ^= 0xFF
        try:
            calculator.assess(bytes(damaged))
        except InvalidInput:
            refusals += 1
    assert refusals > 0


def test_an_infinite_float_of_posts_is_refused_by_its_row():
    columns = {"timestamp": INSTANTS, "posts": pa.array([1.0, math.inf, 2.0])}
    with pytest.raises(InvalidInput, match="row 2, posts: is not a whole number of posts"):
        calculator.assess(parquet(pa.table(columns)))


def _constant(rows: int) -> pa.Table:
    return pa.table({"timestamp": pa.array(np.full(rows, T0), pa.timestamp("s", tz="UTC")),
                     "posts": pa.array(np.ones(rows, np.int64))})


def _orc(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    orc.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _parquet_of(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


BOMBS = {
    # Each a few kilobytes holding 2,000,000 rows: 32 MB of the two counted columns.
    "arrow": lambda t: arrow_file(t, compression="zstd"),
    "orc": _orc,
    "parquet": _parquet_of,
}
WORDS = {"arrow": "the Arrow file", "orc": "the ORC file", "parquet": "the Parquet file"}


@pytest.mark.parametrize("fmt", BOMBS)
def test_a_column_file_decoding_past_the_limit_is_refused_as_too_large(fmt):
    """A 25 MB Arrow file of 100 million rows was assessed at 5.2 GB under a limit of 256
    MiB: only gzip was counted."""
    data = BOMBS[fmt](_constant(2_000_000))
    assert len(data) < 1 << 20
    with pytest.raises(InputTooLarge, match=f"once the columns of {WORDS[fmt]} are decoded"):
        calculator.assess(data, max_bytes=8 << 20)
    assert calculator.assess(data, max_bytes=64 << 20).counted_posts == 2_000_000


def test_over_http_a_column_file_bomb_is_413(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
                      "INSTANCE_PATH": str(tmp_path / "instance"),
                      "MAX_DECOMPRESSED_LENGTH": 8 << 20})
    client = app.test_client()
    try:
        response = client.post("/v1/assessments", data=BOMBS["orc"](_constant(2_000_000)),
                               content_type="application/octet-stream")
        assert response.status_code == 413, response.get_json()
        assert response.get_json()["type"] == "/problems/payload-too-large"
        assert client.get("/v1/assessments").get_json()["total"] == 0
    finally:
        app.extensions["calculator.store"].dispose()


def test_an_arrow_batch_past_the_limit_is_refused_before_its_body_is_decoded():
    """Its length is read from its message: a batch whose body is damaged is refused as too
    large, not as damaged, so its body was never decoded (a 25 MB file of one 100 M-row
    batch took 1.9 GB to be refused when it was counted only once decoded)."""
    data = bytearray(arrow_file(_constant(2_000_000), stream=True, compression="zstd"))
    data[-60:-8] = b"\xa5" * 52  # the end of the batch's body; the end-of-stream mark kept
    with pytest.raises(InputTooLarge, match="once the columns of the Arrow file are decoded"):
        calculator.assess(bytes(data), max_bytes=8 << 20)
    with pytest.raises(InvalidInput, match="the Arrow file cannot be read"):
        calculator.assess(bytes(data))


@settings(deadline=None, max_examples=300)
@given(st.binary(max_size=400))
def test_a_message_read_for_its_length_never_fails_on_any_bytes(metadata):
    length = batch_length(metadata)
    assert length is None or length >= 0


@settings(deadline=None, max_examples=200)
@given(st.integers(0, 10_000), st.integers(1, 255))
def test_the_rows_of_a_damaged_arrow_file_are_none_or_a_count_never_an_error(at, flip):
    data = bytearray(arrow_file(pa.table({"timestamp": INSTANTS, "posts": [1, 2, 3]}),
                                compression="zstd"))
    data[at % len(data)] ^= flip
    rows = arrow_rows(pa.py_buffer(bytes(data)))
    assert rows is None or rows >= 0
