"""Hostile and malformed bodies get a 4xx problem that says what is wrong, never a 500.

Each row of the table is a body that once crashed a worker or was misread (issue: hostile
and malformed input), with the status, problem type and words its answer must carry. Every
answer is also checked for what it must never carry: the content of the log.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

TS = "2025-03-01T00:00:00Z"
CSV = "text/csv"
JSON = "application/json"
JSONL = "application/x-ndjson"
INVALID = "/problems/invalid-input"
ARGUMENT = "/problems/validation-error"

PROFILE = {
    "platform": "x", "region": "rest-of-world",
    "period": {"start": "2024-10-01", "end": "2025-02-01"},
    "channel": "scraping", "volume": {"posts_per_day": 2000},
    "purposes": ["ai_training"], "data_categories": ["public_posts"],
    "user_regions": ["rest-of-world"], "opted_out_users_excluded": False, "retention": "P2Y",
}


def typed_parquet(*instants: str) -> bytes:
    """A Parquet log whose timestamps are typed (seconds since the epoch, UTC), as a data
    team's are, not text: any 64-bit count of seconds can be stored."""
    seconds = [int(np.datetime64(i, "s").astype(np.int64)) for i in instants]
    sink = io.BytesIO()
    pq.write_table(pa.table({"timestamp": pa.array(seconds).cast(pa.timestamp("s", tz="UTC"))}),
                   sink)
    return sink.getvalue()


def profile(**changes: object) -> bytes:
    return json.dumps({**PROFILE, **changes}).encode()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# (intent, path, body, content type, status, problem type, words the detail must carry)
CASES = [
    ("a bare carriage return inside the CSV header is refused, not a crash",
     "/v1/assessments", f"timestamp,po\rsts\n{TS},1\n".encode(), CSV, 422, INVALID,
     "carriage return at character 12"),
    ("a CSV header field over 128 KiB is refused as an absurd column name",
     "/v1/assessments", ("timestamp," + "a" * 140_000 + f"\n{TS},1\n").encode(), CSV, 422,
     INVALID, "a column name may have at most 256"),
    ("a CSV header of more than 10,000 columns is refused at once",
     "/v1/assessments", ("timestamp" + ",c" * 10_000 + f"\n{TS}" + ",1" * 10_000 + "\n")
     .encode(), CSV, 422, INVALID, "more than 10,000 columns"),
    ("a CSV header over 1 MiB is refused at once, before it is parsed",
     "/v1/assessments", ("timestamp," + "abcdefg," * 1_000_000 + f"\n{TS}\n").encode(), CSV,
     422, INVALID, "longer than 1,048,576 bytes"),
    ("JSON posts of 1e30 is a row error, not an overflow",
     "/v1/assessments", f'[{{"timestamp": "{TS}", "posts": 1e30}}]'.encode(), JSON, 422,
     INVALID, "row 1, posts: is not a whole number of posts from 0 to 1,000,000,000,000"),
    ("JSON posts of 2^63 is a row error, not an overflow",
     "/v1/assessments", f'{{"timestamp": "{TS}", "posts": {2**63}}}\n'.encode(), JSONL, 422,
     INVALID, "row 1, posts: is not a whole number"),
    ("JSON posts with ten thousand digits is a row error",
     "/v1/assessments", f'{{"timestamp": "{TS}", "posts": {"9" * 10_000}}}\n'.encode(), JSONL,
     422, INVALID, "line 1: not valid JSON"),
    ("a JSON array log nested 1,000 deep (a 2 kB body) is refused",
     "/v1/assessments", f'[{{"timestamp": "{TS}", "x": {nested(1000)}}}]'.encode(), JSON, 422,
     INVALID, "element 1: arrays or objects are nested too deeply"),
    ("a JSON body that is only arrays nested 1,000 deep is refused",
     "/v1/assessments", nested(1000).encode(), JSON, 422, INVALID, "nested too deeply"),
    ("a JSON Lines log nested 100,000 deep is refused",
     "/v1/assessments", f'{{"timestamp": "{TS}", "x": {nested(100_000)}}}\n'.encode(), JSONL,
     422, INVALID, "line 1: arrays or objects are nested too deeply"),
    ("a review body nested 1,000 deep is refused",
     "/v1/reviews", nested(1000).encode(), JSON, 422, INVALID, "nested too deeply"),
    ("a review body nested 100,000 deep is refused",
     "/v1/reviews", ('{"a":' * 100_000 + "1" + "}" * 100_000).encode(), JSON, 422, INVALID,
     "nested too deeply"),
    ("a review period in 2262 says the supported years",
     "/v1/reviews", profile(period={"start": "2262-01-01", "end": "2262-06-01"}), JSON, 422,
     INVALID, "period.start: '2262-01-01' is outside the years 1678 to 2261"),
    ("a review period ending after 2261 says the supported years",
     "/v1/reviews", profile(period={"start": "2255-01-01", "end": "2263-01-01"}), JSON, 422,
     INVALID, "period.end: '2263-01-01' is outside the years 1678 to 2261"),
    ("a review date in year 0 says the supported years, not 'not a real date'",
     "/v1/reviews", profile(period={"start": "0000-01-01", "end": "2025-01-01"}), JSON, 422,
     INVALID, "outside the years 1678 to 2261"),
    ("a key given twice in a review is refused with its path, not silently last-wins",
     "/v1/reviews", profile()[:-1] + b', "platform": "reddit"}', JSON, 422, INVALID,
     "platform: the key 'platform' is given twice"),
    ("a key given twice deep in a review names the whole path",
     "/v1/reviews", profile(period={"start": "2024-10-01", "end": "2025-02-01"}).replace(
         b'"end": "2025-02-01"', b'"end": "2025-02-01", "end": "2026-02-01"'), JSON, 422,
     INVALID, "period.end: the key 'end' is given twice"),
    ("a key given twice in a JSON log record is refused with its row and key",
     "/v1/assessments", f'{{"timestamp": "{TS}", "posts": 1, "posts": 9}}\n'.encode(), JSONL,
     422, INVALID, "line 1: the key 'posts' is given twice in one object (at posts)"),
    ("a key given twice in a JSON array log is refused with its element",
     "/v1/assessments", f'[{{"timestamp": "{TS}"}}, {{"timestamp": "{TS}", "timestamp": '
     f'"{TS}"}}]'.encode(), JSON, 422, INVALID, "element 2: the key 'timestamp' is given twice"),
    ("a huge bad profile value is echoed only as a short prefix",
     "/v1/reviews", profile(retention="Q" * 900_000), JSON, 422, INVALID,
     "got 'QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ… (900,002 characters)"),
    ("a log timestamp after 2261 says the supported years",
     "/v1/assessments", b"timestamp\n2300-01-01T00:00:00Z\n", CSV, 422, INVALID,
     "row 1, timestamp: is outside the years 1678 to 2261"),
    ("a budget's usage nested 100,000 deep is refused in words, not a 500",
     "/v1/budgets/b1/usage", nested(100_000).encode(), JSON, 422, INVALID, "nested too deeply"),
    ("a subscription nested 5,000 deep is refused in words, not a 500",
     "/v1/subscriptions", f'{{"url": {nested(5000)}}}'.encode(), JSON, 422, INVALID,
     "nested too deeply"),
    ("a document to render nested 5,000 deep is refused in words, not a 500",
     "/render", f'{{"document": {nested(5000)}}}'.encode(), JSON, 422, INVALID,
     "nested too deeply"),
    ("a view to render that is not a name is refused, not a 500",
     "/render", b'{"document": {}, "view": ["results"]}', JSON, 422,
     "/problems/invalid-argument", "view: one of results"),
    ("a view to render that is empty is refused, not read as the results",
     "/render", b'{"document": {}, "view": ""}', JSON, 422, "/problems/invalid-argument",
     "view: one of results"),
    ("a budget body of megabytes is refused before it is parsed",
     "/v1/budgets/b1/usage", b"[" + b"{}," * 700_000 + b"{}]", JSON, 413,
     "/problems/payload-too-large", "a JSON request body here is a few hundred bytes"),
    ("a key given twice in a budget body is refused, not read as the last",
     "/v1/budgets/b1/usage", b'{"posts": 5, "posts": 6}', JSON, 422, INVALID,
     "the key 'posts' is given twice"),
    ("an unknown query parameter of 20,000 characters is named by its first characters",
     "/v1/assessments?" + "Q" * 20_000 + "=1", f"timestamp\n{TS}\n".encode(), CSV, 422,
     "/problems/invalid-argument", "Q" * 80 + "…: unknown key"),
    ("a subscription's unknown key of 300,000 characters is named by its first characters",
     "/v1/subscriptions", f'{{"url": "https://example.com/hook", "{"K" * 300_000}": 1}}'
     .encode(), JSON, 422, ARGUMENT, "K" * 80 + "…: unknown key"),
    ("a content type of 20,000 characters is named by its first characters",
     "/v1/assessments", f"timestamp\n{TS}\n".encode(), "text/" + "c" * 20_000, 415,
     "/problems/unsupported-media-type", "c" * 75 + "… is not a log type"),
    ("a log whose charset is not UTF-8 is refused by its charset, not called binary data",
     "/v1/assessments", f"timestamp\n{TS}\n".encode("utf-16le"),
     "text/csv; charset=utf-16le", 415, "/problems/unsupported-media-type",
     "charset utf-16le is not read"),
    ("an unknown format option is named as the option it is",
     "/v1/assessments?format=ZQXECHO", f"timestamp\n{TS}\n".encode(), CSV, 422,
     "/problems/invalid-argument", "format: unknown format 'ZQXECHO'"),
    ("a log timestamp in 2262, which nanoseconds can still count, says the supported years",
     "/v1/assessments", f"timestamp\n{TS}\n2262-01-05T00:00:00Z\n".encode(), CSV, 422, INVALID,
     "row 2, timestamp: is outside the years 1678 to 2261"),
    ("a typed Parquet timestamp in 2600 says the supported years, not Arrow's cast error",
     "/v1/assessments", typed_parquet(TS[:-1], "2600-01-01T00:00:00"),
     "application/vnd.apache.parquet", 422, INVALID,
     "row 2, timestamp: is outside the years 1678 to 2261"),
    ("epoch seconds beyond 2261 say the supported years",
     "/v1/assessments", b"timestamp\n99999999999\n", CSV, 422, INVALID,
     "row 1, timestamp: is outside the years 1678 to 2261"),
    ("a JSON post id escaping half a UTF-16 pair is refused by its row, not a crash",
     "/v1/assessments", f'{{"timestamp": "{TS}", "post_id": "7"}}\n{{"timestamp": "{TS}", '
     f'"post_id": "\\ud800"}}\n'.encode(), JSONL, 422, INVALID,
     "row 2, post_id: holds an escape of half a UTF-16 pair"),
    ("a JSON array platform escaping half a UTF-16 pair is refused by its row",
     "/v1/assessments", f'[{{"timestamp": "{TS}", "platform": "\\udfffx"}}]'.encode(), JSON,
     422, INVALID, "row 1, platform: holds an escape of half a UTF-16 pair"),
    ("a JSON key escaping half a UTF-16 pair is refused, not printed",
     "/v1/assessments", f'{{"timestamp": "{TS}", "\\ud800": 1}}\n'.encode(), JSONL, 422,
     INVALID, "row 1: a key holds an escape of half a UTF-16 pair"),
    ("a bzip2 log is named as such, not as binary data",
     "/v1/assessments", bz2.compress(f"timestamp\n{TS}\n".encode()), CSV, 422, INVALID,
     "compressed with bzip2, which is not read; send it uncompressed or compressed with gzip"),
    ("a UTF-16 log is named as such, not as binary data",
     "/v1/assessments", f"timestamp\n{TS}\n".encode("utf-16"), CSV, 422, INVALID,
     "UTF-16 text (little-endian), which is not read; save the log as UTF-8"),
    ("a CSV whose first column is named BZh... is still a CSV",
     "/v1/assessments", f"BZh9 rows,timestamp,posts\nx,{TS},-1\n".encode(), CSV, 422, INVALID,
     "row 1, posts"),
    ("a CSV row with a field too many says so once",
     "/v1/assessments", f"timestamp,posts\n{TS},1,2\n".encode(), CSV, 422, INVALID,
     "row 1: expected 2 fields as in the header, found 3"),
]


@pytest.mark.parametrize("intent, path, body, content_type, status, kind, words",
                         CASES, ids=[c[0] for c in CASES])
def test_hostile_body_gets_a_4xx_problem(client, intent, path, body, content_type, status,
                                         kind, words):
    response = client.post(path, data=body, content_type=content_type)
    problem = response.get_json()
    assert (response.status_code, problem["type"]) == (status, kind), problem
    assert response.content_type == "application/problem+json"
    assert words in problem["detail"]
    assert len(response.get_data()) < 4096  # nothing sent is echoed back whole


def test_a_budgets_unknown_key_of_any_length_is_named_by_its_first_characters(client):
    """A key of a JSON body is the caller's: one of 300,000 characters came back whole in
    the detail and again in errors[] (600 kB for a 300 kB body)."""
    response = client.put("/v1/budgets/b1", json={"platform": "x", "K" * 300_000: 1})
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["detail"].startswith("K" * 80 + "…: unknown key")
    assert problem["errors"][0]["field"] == "K" * 80 + "…"
    assert len(response.get_data()) < 1024


@pytest.mark.parametrize("value", ["NaN", "N/A", "null", "", "nan", "#N/A"])
def test_a_csv_posts_value_that_is_present_but_not_a_number_is_a_row_error(client, value):
    body = f"timestamp,posts\n{TS},3\n2025-03-01T00:00:01Z,{value}\n".encode()
    response = client.post("/v1/assessments", data=body, content_type=CSV)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{
        "message": "is empty or not a number (NaN, N/A, null); give a whole number of posts, "
                   "or leave out the posts column to count one post per row",
        "field": "posts", "row": 2}]


def test_only_a_missing_posts_column_counts_one_post_per_row(client):
    body = f"timestamp\n{TS}\n2025-03-01T00:00:01Z\n".encode()
    response = client.post("/v1/assessments", data=body, content_type=CSV)
    assert response.status_code == 201
    assert response.get_json()["input"]["rows"] == 2


@pytest.mark.parametrize("query", [
    "at=0001-01-01T00:00:00%2B14:00", "at=9999-12-31T23:59:59-14:00", "at=0001-01-01",
    "at=2262-04-12T00:00:00Z",
])
def test_a_date_query_outside_the_supported_years_is_422_saying_the_range(client, query):
    response = client.get(f"/v1/clauses/x.terms-of-service.liquidated-damages?{query}")
    assert response.status_code == 422
    assert "outside the years 1678 to 2261" in response.get_json()["detail"]


def test_a_date_query_with_an_extreme_offset_on_lists_is_422(client):
    response = client.get("/v1/assessments?created_from=0001-01-01T00:00:00%2B14:00")
    assert response.status_code == 422
    assert "outside the years 1678 to 2261" in response.get_json()["detail"]


@pytest.mark.parametrize("body, content_type, where", [
    (f"timestamp,posts\n{TS},1\n{TS},1\n2025-03-01T00:00:0\xff,2\n".encode("latin-1"), CSV,
     "line 4: not UTF-8 text"),
    (("timestamp,posts\n" + f"{TS},1\n" * 5000 + "2025-03-01T00:00:0\xff,2\n")
     .encode("latin-1"), CSV, "row 5001: not UTF-8 text"),
    (f'{{"timestamp": "{TS}"}}\n{{"timestamp": "{TS}"}}\n{{"timestamp": "\xff"}}\n'
     .encode("latin-1"), JSONL, "line 3: not UTF-8 text"),
    (f'[{{"timestamp": "{TS}"}},\n{{"timestamp": "{TS}"}},\n{{"timestamp": "\xff"}}]'
     .encode("latin-1"), JSON, "line 3: not UTF-8 text"),
])
def test_invalid_utf8_is_reported_by_its_row_or_line(client, body, content_type, where):
    response = client.post("/v1/assessments", data=body, content_type=content_type)
    assert response.status_code == 422
    assert where in response.get_json()["detail"]


def test_a_huge_option_value_is_echoed_only_as_a_short_prefix(client):
    response = client.post("/v1/assessments", content_type="multipart/form-data", data={
        "log": (io.BytesIO(f"timestamp\n{TS}\n".encode()), "log.csv"),
        "assume_tz": "Z" * 200_000})
    assert response.status_code == 422
    assert "'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ…' is not a known IANA time zone" in \
        response.get_json()["detail"]
    assert len(response.get_data()) < 4096


LOG = f"timestamp,posts\n{TS},600000\n".encode()


@pytest.mark.parametrize("path", ["/v1/assessments", "/v1/curves"])
def test_an_option_in_both_the_query_and_the_form_is_refused_not_one_dropped(client, path):
    response = client.post(f"{path}?region=US&tz=Asia/Tokyo", content_type="multipart/form-data",
                           data={"log": (io.BytesIO(LOG), "a.csv"), "tz": "UTC"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "tz", "message": "given in both the query and the form; give it once"}]


def test_an_option_sent_as_a_file_part_is_refused_not_read_past(client):
    response = client.post("/v1/assessments", content_type="multipart/form-data", data={
        "log": (io.BytesIO(LOG), "a.csv"), "tz": (io.BytesIO(b"Europe/Berlin"), "tz.txt")})
    assert response.status_code == 422
    assert response.get_json()["detail"].startswith("tz: a file part; the log is the file "
                                                    "field `log`")


def test_a_compressed_multipart_body_is_refused_not_read_as_a_form_without_a_log(client):
    form = (b'--zzz\r\nContent-Disposition: form-data; name="log"; filename="a.csv"\r\n\r\n' +
            LOG + b"\r\n--zzz--\r\n")
    response = client.post("/v1/assessments", data=gzip.compress(form),
                           content_type="multipart/form-data; boundary=zzz",
                           headers={"Content-Encoding": "gzip"})
    assert response.status_code == 415
    assert "not read on a multipart body" in response.get_json()["detail"]


@pytest.mark.parametrize("path", ["/v1/assessments", "/v1/curves"])
def test_an_unknown_platform_option_is_a_422_naming_the_option_not_a_404(client, path):
    """A 404 for POST /v1/assessments read as if the route were missing, and the OpenAPI
    document listed none."""
    response = client.post(f"{path}?platform=twiter", data=LOG, content_type="text/csv")
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["errors"][0]["field"] == "platform"
    assert problem["detail"].startswith("platform: no platform 'twiter' in the rules")


def test_a_body_over_its_limit_carries_the_title_of_its_problem_type(client):
    """One problem type, one title, whichever layer found the body too large."""
    response = client.post("/v1/budgets/b1/usage", data=b"[" + b"{}," * 700_000 + b"{}]",
                           content_type=JSON)
    assert (response.status_code, response.get_json()["title"]) == (413,
                                                                    "The input is too large")


@pytest.mark.parametrize("boundary, cut", [("yyy", None), ("zzz", 40)])
def test_a_multipart_body_with_no_readable_part_says_so(client, boundary, cut):
    """A wrong boundary or a body cut short was answered as a form without its log field."""
    form = (b'--zzz\r\nContent-Disposition: form-data; name="log"; filename="a.csv"\r\n\r\n' +
            LOG + b"\r\n--zzz--\r\n")
    response = client.post("/v1/assessments", data=form[:cut],
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422
    assert response.get_json()["detail"].startswith("the multipart body holds no part that "
                                                    "could be read")
