"""No reader ever echoes a log's content: corrupt records are reported by line and reason.

Each log below holds good records and corrupt ones carrying a marker in every field (the
URL, its query, the time, the status, the record type, the scheme). Whatever the reader
makes of them, the marker must not reach the answer (HTTP or the command line's JSON),
a stored document, or the database file (decision 0020: never URLs, post ids or rows).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from calculator.app import create_app
from calculator.cli import main

M = "zqxmarker"  # lower case: hosts and names are lowered on the way

H3 = ("2024-11-20T10:00:01.500Z   200      15829 https://x.com/jack/status/20 L "
      "https://x.com/jack text/html #014 20241120100001100+300 sha1:ABC - 3t\n")
ACCESS = ('10.0.0.1 - - [20/Nov/2024:10:00:00 +0000] "GET /jack/status/20 HTTP/1.1" 200 512 '
          '"-" "Mozilla/5.0"\n')
SQUID = ("1732096801.200    12 10.0.0.1 TCP_MISS/200 2048 GET https://x.com/jack/status/20 - "
         "HIER_DIRECT/104.244.42.1 text/html\n")
SCRAPY = ("2024-11-20 10:00:00 [scrapy.utils.log] INFO: Scrapy 2.11.0 started (bot: b)\n"
          "2024-11-20 10:00:00 [scrapy.core.engine] INFO: Spider opened\n"
          + "2024-11-20 10:00:01 [scrapy.core.engine] DEBUG: Crawled (200) "
          "<GET https://x.com/jack/status/20> (referer: None)\n" * 4)
TWARC = {"id": "3", "text": "d", "__twarc": {
    "url": "https://api.twitter.com/2/tweets/search/recent?query=a", "version": "2.14.0",
    "retrieved_at": "2024-11-20T10:00:00+00:00"}}


def har() -> str:
    good = {"startedDateTime": "2024-11-20T10:00:00.000Z",
            "request": {"method": "GET", "url": "https://x.com/jack/status/20"},
            "response": {"status": 200, "content": {"size": 0}}}
    bad = [
        {"startedDateTime": M, "request": {"method": M, "url": f"https://x.com/{M}/status/1?{M}"},
         "response": {"status": M}},
        {"startedDateTime": "2024-11-20T10:00:00.000Z",
         "request": {"method": M, "url": f"{M}://{M}/{M}"}, "response": {"status": 200}},
        {"startedDateTime": f"2024-11-20T10:00:00.000{M}", "request": {"url": 5},
         "response": {"status": f"{M}"}},
        {M: M},
    ]
    return json.dumps({"log": {"version": "1.2", "creator": {"name": M, "version": M},
                               "entries": [good] * 6 + bad}})


def warc() -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)

    def record(kind: str, uri: str, date: str) -> None:
        headers = StatusAndHeaders("200 OK", [("Content-Length", "2")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            uri, kind, payload=io.BytesIO(b"{}"), length=2, http_headers=headers,
            warc_headers_dict={"WARC-Date": date}))

    for _ in range(4):
        record("response", "https://x.com/jack/status/20", "2024-11-20T10:00:00Z")
    record("response", f"https://x.com/{M}/status/1?{M}", M)
    record("response", f"{M}://{M}/{M}", "2024-11-20T10:00:00Z")
    record(M, f"https://x.com/{M}", "2024-11-20T10:00:00Z")
    # An unreadable record whose first line is its target URI, with handle and id (issue 13).
    return buffer.getvalue() + (f"WARC-Target-URI: https://x.com/{M}/status/1?u={M}\r\n"
                                f"WARC-Type: {M}\r\n\r\n{M}\r\n").encode()


def corrupt_line(good: str, *bad: str) -> str:
    return good * 6 + "".join(bad)


# (format, log): good records and corrupt ones, the marker in every field.
LOGS = {
    "heritrix": corrupt_line(
        H3, f"{M} {M} {M} https://x.com/{M}/status/1?{M} {M} {M} {M} {M} {M} {M} {M}\n",
        f"2024-11-20T10:00:01.500Z {M} 5 https://x.com/{M}\n", f"{M}\n"),
    "access-log": corrupt_line(
        ACCESS, f'{M} - {M} [{M}] "GET /{M}?{M} HTTP/1.1" 200 5 "{M}" "{M}"\n',
        f'10.0.0.1 - - [20/{M}/2024:10:00:00 +0000] "GET /{M} HTTP/1.1" 200 5 "-" "-"\n',
        f"{M} {M}\n"),
    "squid": corrupt_line(
        SQUID, f"{M} {M} {M} {M}/{M} {M} GET https://x.com/{M} - {M}/{M} {M}\n",
        f"1732096802.300 0 10.0.0.1 {M.upper()}/200 2048 GET https://x.com/{M}/status/1 - "
        "HIER_NONE/- text/html\n"),
    "scrapy-log": SCRAPY + (
        f"2024-13-45 99:00:01 [scrapy.core.engine] DEBUG: Crawled (200) <GET https://x.com/{M}>"
        f" (referer: {M})\n"
        f"2024-11-20 10:00:02 [scrapy.core.engine] DEBUG: Crawled ({M}) <{M} {M}> ({M})\n"
        f"2024-11-20 10:00:03 [scrapy.statscollectors] INFO: Dumping Scrapy stats:\n{{'{M}': "
        f"{M}(\n"),
    "twarc2": "".join(json.dumps(TWARC) + "\n" for _ in range(6)) + (
        json.dumps({"id": M, "text": M, "__twarc": {"url": f"https://x.com/{M}",
                                                     "retrieved_at": M}}) + "\n"
        + f'{{"id": "{M}", "{M}": [{M}\n'),
    "har": har(),
    "csv": f"timestamp,posts,url,post_id\n2024-11-20T10:00:00Z,1,-,1\n{M},{M},{M},{M}\n",
    "jsonl": (json.dumps({"timestamp": "2024-11-20T10:00:00Z"}) + "\n"
              + json.dumps({"timestamp": M, "posts": M, "url": M}) + "\n"),
    "json": json.dumps([{"timestamp": "2024-11-20T10:00:00Z", "posts": 1},
                        {"timestamp": "2024-11-20T10:00:01Z", "posts": M, M: M}]),
}


def body_of(fmt: str) -> bytes:
    return warc() if fmt == "warc" else LOGS[fmt].encode()


FORMATS = [*LOGS, "warc"]


@pytest.fixture
def service(tmp_path):
    database = tmp_path / "a.sqlite3"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{database}",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    yield app.test_client(), database
    app.extensions["calculator.store"].dispose()


def database_bytes(database: Path) -> bytes:
    return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_marker_of_a_corrupt_record_reaches_the_answer_or_the_database(service, fmt):
    client, database = service
    response = client.post(f"/v1/assessments?format={fmt}", data=body_of(fmt),
                           content_type="application/octet-stream")
    assert response.status_code in (201, 422), response.get_json()
    answers = [response.get_data()]
    if response.status_code == 201:
        document = response.get_json()
        assert document["input"]["rows"] > 0
        answers.append(client.get(f"/v1/assessments/{document['id']}").get_data())
        answers.append(client.get("/v1/assessments").get_data())
    for answer in answers:
        assert M.encode() not in answer.lower()
    assert M.encode() not in database_bytes(database).lower()


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_marker_reaches_the_command_line(runner, tmp_path, fmt):
    path = tmp_path / "log"
    path.write_bytes(body_of(fmt))
    result = runner.invoke(main, ["assess", str(path), "--format", fmt, "--json"])
    assert result.exit_code in (0, 2), result.output
    assert M not in (result.stdout + result.stderr).lower()


def test_the_corrupt_records_were_reported_by_line(service):
    client, _ = service
    document = client.post("/v1/assessments?format=heritrix", data=body_of("heritrix"),
                           content_type="application/octet-stream").get_json()
    examples = document["input"]["details"]["unparsed_examples"]
    assert [e["line"] for e in examples] == [7, 8, 9]
    assert all(e["why"] for e in examples)
