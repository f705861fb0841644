"""Parquet, Arrow IPC and ORC logs: told apart by their content, read for the needed columns, and
assessed exactly as the same rows written as CSV, through Python, the CLI and HTTP."""

from __future__ import annotations

import gzip
import io
import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest

import calculator
from calculator.cli import main
from calculator.errors import InvalidInput
from calculator.ingest import columnar

START = np.datetime64("2025-03-01T00:00:00", "ms").astype(np.int64)


def table(rows: int = 3000, seed: int = 3) -> pa.Table:
    """Millisecond times over three days, posts, post ids, platforms, URLs, statuses."""
    rng = np.random.default_rng(seed)
    millis = np.sort(rng.integers(0, 3 * 86_400_000, rows)) + START
    stamps = np.char.add(np.datetime_as_string(millis.astype("datetime64[ms]"), unit="ms"), "Z")
    return pa.table({
        "timestamp": pa.array(stamps),
        "posts": pa.array(rng.integers(0, 2_000, rows)),
        "post_id": pa.array(rng.integers(1, 500, rows).astype(str)),
        "platform": pa.array(rng.choice(["x", "X", "reddit", ""], rows)),
        "url": pa.array([f"https://x.com/a/status/{i}" for i in range(rows)]),
        "status": pa.array(rng.choice([200, 404], rows)),
    })


def as_csv(data: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(data, sink)
    return sink.getvalue()


def as_parquet(data: pa.Table, **options) -> bytes:
    sink = io.BytesIO()
    pq.write_table(data, sink, **options)
    return sink.getvalue()


def as_arrow_file(data: pa.Table) -> bytes:
    sink = io.BytesIO()
    feather.write_feather(data, sink, compression="zstd", chunksize=700)
    return sink.getvalue()


def as_arrow_stream(data: pa.Table) -> bytes:
    sink = io.BytesIO()
    with ipc.new_stream(sink, data.schema) as writer:
        writer.write_table(data, max_chunksize=900)
    return sink.getvalue()


def as_orc(data: pa.Table, **options) -> bytes:
    sink = io.BytesIO()
    orc.write_table(data, sink, **options)
    return sink.getvalue()


def answer(document: dict) -> dict:
    """The document less what describes the bytes (format, digest, size)."""
    return {k: v for k, v in document.items() if k != "input"}


@pytest.mark.parametrize("encode, fmt", [
    (lambda t: as_parquet(t, row_group_size=500), "parquet"),
    (lambda t: gzip.compress(as_parquet(t)), "parquet"),
    (as_arrow_file, "arrow"),
    (as_arrow_stream, "arrow"),
    # Stripes of a few hundred rows each (the smallest stripe ORC writes), compressed.
    (lambda t: as_orc(t, stripe_size=1 << 14, compression="zstd"), "orc"),
    (lambda t: gzip.compress(as_orc(t)), "orc"),
])
@pytest.mark.parametrize("count", ["requested", "distinct"])
def test_a_column_file_is_assessed_exactly_as_the_same_rows_in_csv(tmp_path, encode, fmt,
                                                                   count):
    rows = table()
    path = tmp_path / "log.bin"
    path.write_bytes(encode(rows))
    expected = calculator.assess(as_csv(rows), count=count).to_document()
    result = calculator.assess(str(path), count=count)
    document = result.to_document()
    assert document["input"]["format"] == fmt
    assert answer(document) == answer(expected)
    assert document["counts"]["distinct_posts"] == expected["counts"]["distinct_posts"]
    # The digest is of the bytes as they were given.
    import hashlib
    assert document["input"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_typed_columns_are_read_as_their_types(tmp_path):
    # Real timestamps (with and without a zone), integer posts and a boolean authorized.
    data = pa.table({
        "Time": pa.array(np.array([START, START + 1, START + 3_600_000], dtype="datetime64[ms]"),
                         pa.timestamp("ms", tz="UTC")),
        "Posts": pa.array([600_000, 500_000, 7], pa.int32()),
        "authorized": pa.array([False, None, True]),
    })
    result = calculator.assess(as_parquet(data))
    assert result.input.format == "parquet"
    assert result.counted == {"posts": 1_100_000, "accesses": 2}
    assert result.excluded.rows["authorized"] == 1


@pytest.mark.parametrize("encode, unit, zone", [
    *[(encode, unit, zone) for encode in (as_parquet, as_arrow_file)
      for unit, zone in (("s", "UTC"), ("ms", None), ("us", "Europe/Paris"), ("ns", "UTC"))],
    (as_orc, "ns", "UTC"),  # ORC keeps nanoseconds: instants past them cannot be written
])
@pytest.mark.parametrize("later", [False, True])
def test_a_typed_timestamp_outside_the_years_read_is_refused_by_its_row(encode, unit, zone,
                                                                         later):
    """A column file's timestamps can be any 64-bit count of their unit; one past 2262 once
    reached Arrow's cast to nanoseconds and came back as its error, with the value. In
    nanoseconds, the first and last instants they can count (in 1677 and 2262) are outside
    the years read too."""
    ticks = np.array([START // 1000 + k for k in range(4)], dtype="datetime64[s]")
    ticks = ticks.astype(f"datetime64[{unit}]").astype(np.int64)
    if unit == "ns":
        ticks[2] = np.iinfo(np.int64).max if later else np.iinfo(np.int64).min + 1
    else:
        ticks[2] = np.datetime64("2600-06-01" if later else "1600-06-01", unit).astype(np.int64)
    data = pa.table({"timestamp": pa.array(ticks).cast(pa.timestamp(unit, tz=zone)),
                     "posts": [1, 2, 3, 4]})
    with pytest.raises(InvalidInput) as refused:
        calculator.assess(encode(data))
    assert str(refused.value) == ("row 3, timestamp: is outside the years 1678 to 2261, the "
                                  "instants this service reads")


def test_typed_timestamps_at_the_edges_of_the_years_read_are_counted():
    edges = np.array(["1678-01-01T00:00:00", "2261-12-31T23:59:59.999999999"],
                     dtype="datetime64[ns]").astype(np.int64)
    data = pa.table({"timestamp": pa.array(edges).cast(pa.timestamp("ns", tz="UTC")),
                     "posts": [1, 2]})
    result = calculator.assess(as_parquet(data))
    assert result.input.rows == 2
    assert result.excluded.rows["before_in_force"] == 1  # X's terms were not yet written


def test_columns_named_by_option_are_read_from_a_column_file():
    data = pa.table({"when": ["2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z"],
                     "n": [600_000, 500_000]})
    result = calculator.assess(as_arrow_stream(data), time_column="when", posts_column="n")
    assert result.counted == {"posts": 1_100_000, "accesses": 2}
    with pytest.raises(InvalidInput, match="no time column"):
        calculator.assess(as_parquet(data))


def test_a_bad_value_is_reported_by_its_row_in_the_file():
    data = pa.table({"timestamp": ["2025-03-01T10:00:00Z"] * 5, "posts": [1, 2, 3, -4, 5]})
    with pytest.raises(InvalidInput, match=r"row 4, posts"):
        calculator.assess(as_parquet(data, row_group_size=2))


@pytest.mark.parametrize("bad_time, bad_posts, named", [
    (10, 6, "row 6, posts"), (3, 6, "row 3, timestamp"), (6, 6, "row 6, timestamp")])
def test_the_first_bad_row_is_named_while_later_batches_are_worked_out_ahead(
        monkeypatch, bad_time, bad_posts, named):
    """Batches of four rows: the instants and posts of a batch are worked out while the one
    before is counted, and the problem named is still the first in the file."""
    monkeypatch.setattr(columnar, "_BATCH_ROWS", 4)
    stamps = ["2025-03-01T10:00:00Z"] * 12
    posts = [1] * 12
    stamps[bad_time - 1] = "the tenth of March"
    posts[bad_posts - 1] = -1
    with pytest.raises(InvalidInput, match=named):
        calculator.assess(as_parquet(pa.table({"timestamp": stamps, "posts": posts})))


def test_what_reading_times_assumed_is_counted_over_every_batch(monkeypatch):
    data = pa.table({"timestamp": [f"2025-03-30 0{h}:30:00" for h in range(1, 4)] * 4,
                     "posts": list(range(12))})
    whole = calculator.assess(as_arrow_file(data), assume_tz="Europe/Berlin")
    monkeypatch.setattr(columnar, "_BATCH_ROWS", 4)
    parts = calculator.assess(as_parquet(data), assume_tz="Europe/Berlin")
    assert parts.notes == whole.notes
    assert any("12 timestamps had no offset" in n for n in parts.notes)
    assert any("4 local times fell in the hour" in n for n in parts.notes)


def test_a_damaged_column_file_is_refused_in_words():
    whole = as_parquet(table(50))
    with pytest.raises(InvalidInput, match="Parquet file cannot be read"):
        calculator.assess(whole[: len(whole) // 2])
    with pytest.raises(InvalidInput, match="Feather version 1"):
        calculator.assess(b"FEA1" + bytes(100))
    whole = as_orc(table(50))
    with pytest.raises(InvalidInput, match="ORC file cannot be read: it is damaged"):
        calculator.assess(whole[: len(whole) // 2])


@pytest.mark.parametrize("encode, kind", [(as_parquet, "Parquet"), (as_arrow_file, "Arrow"),
                                          (as_orc, "ORC")])
def test_a_column_file_naming_a_column_twice_is_refused_by_the_name(encode, kind):
    # Which of two "posts" columns counts is not for the reader to guess; case is no
    # difference, as in a CSV header.
    rows = table(20)
    twice = rows.append_column("Posts", rows.column("posts"))
    with pytest.raises(InvalidInput, match=rf"^the {kind} file names the column posts more "
                                           r"than once \(names are compared without regard"):
        calculator.assess(encode(twice))
    thrice = twice.append_column("URL", rows.column("url"))
    with pytest.raises(InvalidInput, match="names the columns posts, url more than once"):
        calculator.assess(encode(thrice))


def test_a_csv_whose_header_begins_with_orc_is_read_as_csv():
    # ORC's magic is three letters: only binary content after them makes an ORC file.
    result = calculator.assess(b"ORCID,timestamp,posts\n1,2025-03-01T10:00:00Z,600000\n"
                               b"2,2025-03-01T11:00:00Z,500000\n")
    assert result.input.format == "csv"
    assert result.counted == {"posts": 1_100_000, "accesses": 2}


def test_orc_timestamps_without_a_zone_are_read_in_the_zone_named():
    # ORC's timestamp type holds wall-clock times; they are read as every naive time is.
    data = pa.table({"ts": pa.array(np.array([START, START + 3_600_000], dtype="datetime64[ms]")),
                     "posts": pa.array([600_000, 500_000], pa.int32())})
    utc = calculator.assess(as_orc(data))
    berlin = calculator.assess(as_orc(data), assume_tz="Europe/Berlin")
    assert utc.input.format == "orc"
    assert utc.counted == berlin.counted == {"posts": 1_100_000, "accesses": 2}
    assert utc.peak.first_ns == START * 1_000_000
    assert berlin.peak.first_ns == (START - 3_600_000) * 1_000_000  # 01:00 in Berlin


@pytest.mark.parametrize("fmt, encode, content_type", [
    ("parquet", as_parquet, "application/vnd.apache.parquet"),
    ("arrow", as_arrow_file, "application/vnd.apache.arrow.file"),
    ("orc", as_orc, "application/octet-stream"),  # ORC has no media type: found by content
])
def test_the_cli_and_http_read_column_files(runner, client, tmp_path, fmt, encode,
                                            content_type):
    rows = table(800)
    path = tmp_path / f"crawl.{fmt}"
    path.write_bytes(encode(rows))
    cli = runner.invoke(main, ["assess", str(path), "--json"])
    assert cli.exit_code == 0, cli.output
    http = client.post("/v1/assessments", data=encode(rows), content_type=content_type)
    assert http.status_code == 201, http.get_json()
    csv = calculator.assess(as_csv(rows)).to_document()
    assert answer(json.loads(cli.stdout)) == answer(csv)
    stored = http.get_json()
    assert stored["input"]["format"] == fmt
    assert {k: v for k, v in answer(stored).items()
            if k not in ("id", "created_at", "reference")} == answer(csv)


@pytest.mark.parametrize("count", ["requested", "distinct"])
def test_post_ids_stored_as_integers_count_as_the_same_ids_written_as_text(tmp_path, count):
    rows = table()
    as_numbers = rows.set_column(2, "post_id", pa.array(
        [None if i % 97 == 0 else int(v) for i, v in enumerate(rows["post_id"].to_pylist())],
        pa.int64()))
    as_text = as_numbers.set_column(2, "post_id", as_numbers["post_id"].cast(pa.string()))
    expected = calculator.assess(as_csv(as_text), count=count).to_document()
    document = calculator.assess(as_parquet(as_numbers), count=count).to_document()
    assert answer(document) == answer(expected)
    assert document["counts"]["distinct_posts"] == expected["counts"]["distinct_posts"]


def test_x_post_ids_of_19_digits_count_alike_as_integers_and_as_text():
    """X's ids have 19 digits; unsigned 64-bit ones past 2^63 are still ids (their text)."""
    stamps = ["2025-03-01T10:00:00Z"] * 7
    ids = [1861234567890123456, 1861234567890123456, 2**63 - 1, 2**63, 2**64 - 1, 2**64 - 1,
           5]
    as_integers = pa.table({"timestamp": stamps, "post_id": pa.array(ids, pa.uint64())})
    as_text = as_integers.set_column(1, "post_id", pa.array([str(i) for i in ids]))
    for data in (as_integers, as_text):
        for log in (as_parquet(data), as_arrow_file(data), as_csv(data)):
            result = calculator.assess(log, count="distinct")
            assert result.counts["distinct_posts"] == 5
            assert result.counted["posts"] == 5


def test_negative_and_huge_integer_post_ids_are_told_apart_like_their_text():
    stamps = ["2025-03-01T10:00:00Z"] * 6
    ids = [-5, 5, 10**18, 10**18, 999_999_999_999_999_999, -5]
    data = pa.table({"timestamp": stamps, "post_id": pa.array(ids, pa.int64())})
    result = calculator.assess(as_parquet(data), count="distinct")
    assert result.counts["distinct_posts"] == 4
    assert result.counted["posts"] == 4


def in_one_row_batches(data: pa.Table, stream: bool) -> bytes:
    sink = io.BytesIO()
    with (ipc.new_stream if stream else ipc.new_file)(sink, data.schema) as writer:
        for batch in data.to_batches(max_chunksize=1):
            writer.write_batch(batch)
    return sink.getvalue()


@pytest.mark.parametrize("stream", [False, True])
def test_an_arrow_log_in_one_row_batches_counts_as_in_large_ones(monkeypatch, stream):
    """A writer may cut a file into batches of one row; they are joined before they are
    counted (one by one they took 0.4 ms each), and a bad row keeps its number."""
    rows = table(40)
    whole = answer(calculator.assess(as_csv(rows)).to_document())
    assert answer(calculator.assess(in_one_row_batches(rows, stream)).to_document()) == whole
    monkeypatch.setattr(columnar, "_BATCH_ROWS", 7)  # joined seven at a time
    assert answer(calculator.assess(in_one_row_batches(rows, stream)).to_document()) == whole
    posts = rows.column("posts").to_pylist()
    posts[18] = -1
    with pytest.raises(InvalidInput, match="row 19, posts"):
        calculator.assess(in_one_row_batches(rows.set_column(1, "posts", pa.array(posts)),
                                             stream))


@pytest.fixture
def groups_read_whole(monkeypatch):
    """Row groups of 500 rows read whole, two at once (as 1 M-row groups are), counting the
    groups read."""
    monkeypatch.setattr(columnar, "_GROUP_ROWS_FROM", 100)
    monkeypatch.setattr(columnar, "_BATCH_ROWS", 1_000)
    read: list[int] = []
    whole = pq.ParquetFile.read_row_group

    def noted(self, group, *args, **kwargs):
        read.append(group)
        return whole(self, group, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", noted)
    return read


def test_a_parquet_log_read_two_row_groups_at_once_counts_as_the_same_rows_in_csv(
        groups_read_whole):
    rows = table(3000)
    whole = answer(calculator.assess(as_csv(rows)).to_document())
    assert answer(calculator.assess(as_parquet(rows, row_group_size=500)).to_document()) == \
        whole
    assert sorted(groups_read_whole) == list(range(6))
    distinct = answer(calculator.assess(as_csv(rows), count="distinct").to_document())
    assert answer(calculator.assess(as_parquet(rows, row_group_size=500),
                                    count="distinct").to_document()) == distinct


def test_a_bad_row_in_a_later_row_group_read_ahead_is_named_by_its_row(groups_read_whole):
    rows = table(3000)
    posts = rows.column("posts").to_pylist()
    posts[2_345] = -1
    with pytest.raises(InvalidInput, match="row 2346, posts"):
        calculator.assess(as_parquet(rows.set_column(1, "posts", pa.array(posts)),
                                     row_group_size=500))
    assert groups_read_whole


def test_row_groups_of_other_sizes_are_read_in_batches(groups_read_whole):
    """Groups smaller than a batch would make many small counts, and a group larger than a
    batch would be decoded whole: both are read in batches."""
    for size in (60, 2_000):
        calculator.assess(as_parquet(table(3000), row_group_size=size))
    assert groups_read_whole == []


def test_a_damaged_row_group_read_ahead_is_refused_in_words(groups_read_whole):
    data = bytearray(as_parquet(table(3000), row_group_size=500))
    middle = len(data) // 2
    data[middle:middle + 400] = bytes(range(256)) + bytes(144)
    with pytest.raises(InvalidInput, match="the Parquet file cannot be read: it is damaged"):
        calculator.assess(bytes(data))
