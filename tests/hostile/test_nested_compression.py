"""Every layer of decompression counts against the one limit of decompressed bytes.

A 1.8 kB HAR body, gzip inside gzip, once became 629 MB in a worker and was stored: the
outer gzip was counted, the inner one (undone by the reader) was not. Now every layer, in
every reader, charges the same budget: nesting is read under the limit, or refused with a
413 that states the limit, and nothing is stored.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import zlib

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from calculator.app import create_app
from calculator.damages.assessment import assess
from calculator.errors import InputTooLarge, InvalidInput

LIMIT = 1 << 20
STATED = "larger than the limit of 1,048,576 bytes (1 MiB) once decompressed"

H3 = ("2024-11-20T10:00:01.500Z   200      15829 https://x.com/jack/status/20 L "
      "https://x.com/jack text/html #014 20241120100001100+300 sha1:ABC - 3t\n")
ACCESS = ('10.0.0.1 - - [20/Nov/2024:10:00:00 +0000] "GET /jack/status/20 HTTP/1.1" 200 512 '
          '"-" "Mozilla/5.0"\n')
ROW = "2024-11-20T10:00:00Z,2\n"
JSONL = '{"timestamp": "2024-11-20T10:00:00Z", "posts": 2}\n'


def har(padding: int) -> str:
    entry = {"startedDateTime": "2024-11-20T10:00:00.000Z",
             "request": {"method": "GET", "url": "https://x.com/jack/status/20"},
             "response": {"status": 200, "content": {"size": 0}}}
    return ('{"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": ['
            + json.dumps(entry) + "]" + " " * padding + "}}")


def gzip_of_repeats(unit: bytes, copies: int) -> bytes:
    """gzip of ``unit`` repeated ``copies`` times, without making or compressing the whole:
    ``unit`` deflated once by a fresh compressor and flushed to a byte boundary refers to
    nothing before it, so the same bytes ``copies`` times over are the deflate of the whole
    (what gzip.compress would spend seconds a gigabyte finding)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    run = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    check = 0
    for _ in range(copies):
        check = zlib.crc32(unit, check)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + run * copies + last
            + struct.pack("<II", check, len(unit) * copies & 0xFFFFFFFF))


def test_the_repeated_gzip_is_the_gzip_of_the_whole():
    unit = H3.encode() * 7
    assert gzip.decompress(gzip_of_repeats(unit, 5)) == unit * 5


def warc(records: int, content_encoded_body: bytes | None = None) -> bytes:
    """A WARC with gzip records; with ``content_encoded_body``, one X API answer whose body
    is sent with Content-Encoding: gzip."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for number in range(records):
        body = b"{}"
        headers = [("Content-Type", "application/json")]
        uri = f"https://x.com/jack/status/{20 + number}"
        if content_encoded_body is not None:
            body, uri = content_encoded_body, "https://api.x.com/2/tweets?ids=20"
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        record = writer.create_warc_record(
            uri, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2024-11-20T10:00:00Z"})
        writer.write_record(record)
    return buffer.getvalue()


# (format, a small valid log, the same log grown past the limit once decompressed)
LOGS = {
    "csv": ("timestamp,posts\n" + ROW * 3, "timestamp,posts\n" + ROW * 300_000),
    "jsonl": (JSONL * 3, JSONL * 100_000),
    "heritrix": (H3 * 3, H3 * 30_000),
    "access-log": (ACCESS * 3, ACCESS * 30_000),
    "har": (har(0), har(4 << 20)),
}


def twice(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return gzip.compress(gzip.compress(data, 9), 9)


@pytest.fixture
def limited(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
                      "INSTANCE_PATH": str(tmp_path / "instance"),
                      "MAX_DECOMPRESSED_LENGTH": LIMIT})
    yield app.test_client()
    app.extensions["calculator.store"].dispose()


def stored(client) -> int:
    return client.get("/v1/assessments").get_json()["total"]


@pytest.mark.parametrize("fmt", LOGS)
def test_gzip_inside_gzip_past_the_limit_is_413_stating_it_and_nothing_is_stored(limited, fmt):
    body = twice(LOGS[fmt][1])
    assert len(body) < 40_000  # kilobytes sent, megabytes once both layers are undone
    for query in (f"?format={fmt}", ""):
        response = limited.post(f"/v1/assessments{query}", data=body,
                                content_type="application/octet-stream")
        problem = response.get_json()
        assert response.status_code == 413, problem
        assert problem["type"] == "/problems/payload-too-large"
        assert STATED in problem["detail"] and problem["limit"] == LIMIT
    assert stored(limited) == 0


@pytest.mark.parametrize("fmt", LOGS)
def test_gzip_inside_gzip_under_the_limit_is_read_as_the_plain_log(limited, fmt):
    plain = limited.post("/v1/assessments", data=LOGS[fmt][0].encode(),
                         content_type="application/octet-stream").get_json()
    nested = limited.post("/v1/assessments", data=twice(LOGS[fmt][0]),
                          content_type="application/octet-stream").get_json()
    assert nested["input"]["format"] == plain["input"]["format"] == fmt
    assert nested["counts"] == plain["counts"]


def test_a_multipart_part_of_gzip_inside_gzip_counts_against_the_same_limit(limited):
    response = limited.post("/v1/assessments", content_type="multipart/form-data", data={
        "log": (io.BytesIO(twice(LOGS["heritrix"][1])), "crawl.log.gz.gz")})
    assert response.status_code == 413
    assert STATED in response.get_json()["detail"]


def test_warc_gzip_records_inside_gzip_count_every_layer(limited):
    body = gzip.compress(warc(4000), 9)
    response = limited.post("/v1/assessments?format=warc", data=body,
                            content_type="application/octet-stream")
    assert response.status_code == 413, response.get_json()
    assert STATED in response.get_json()["detail"]


def test_a_content_encoded_answer_inside_a_warc_counts_against_the_limit(limited):
    bomb = gzip.compress(b"\n" * (2 << 20))
    response = limited.post("/v1/assessments?format=warc", data=warc(1, bomb),
                            content_type="application/octet-stream")
    assert response.status_code == 413, response.get_json()
    assert STATED in response.get_json()["detail"]


def test_in_python_the_limit_is_the_same_typed_error():
    with pytest.raises(InputTooLarge) as error:
        assess(twice(LOGS["heritrix"][1]), max_bytes=LIMIT)
    assert STATED in error.value.detail


def test_gzip_nested_past_four_layers_is_refused():
    data = LOGS["csv"][0].encode()
    for _ in range(6):
        data = gzip.compress(data)
    with pytest.raises(InvalidInput, match="gzip inside gzip more than 4 times over"):
        assess(data)


def test_a_bomb_nested_in_itself_stops_within_megabytes_at_the_default_limit():
    """12 kB of gzip inside gzip holding 2 GB of crawl log: refused once its layers inflate
    more than 1,100 times the bytes received, not after reading and parsing 256 MiB."""
    lines = H3.encode() * ((1 << 20) // len(H3))  # a mebibyte of whole lines
    body = gzip.compress(gzip_of_repeats(lines, 2_000_000_000 // len(lines)), 9)
    with pytest.raises(InputTooLarge) as error:
        assess(body, max_bytes=256 << 20, format="heritrix")
    assert "more than 1,100 times the" in error.value.detail
    assert "the limit of decompressed bytes is 268,435,456 bytes (256 MiB)" in error.value.detail


def test_one_layer_of_gzip_at_its_highest_ratio_is_read_whole():
    rows = b"timestamp,posts,pad\n" + b"2025-03-03T06:00:00Z,1," + b" " * (24 << 20) + b"\n"
    body = gzip.compress(rows, 9)
    assert len(rows) > 1_000 * len(body)  # as compressed as one gzip layer gets
    assert assess(body, max_bytes=256 << 20).input.rows == 1
