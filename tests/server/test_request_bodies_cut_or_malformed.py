"""A request body that ends before its Content-Length, or whose chunked encoding is
malformed, is a 400 problem under gunicorn: nothing assessed or stored from half a log, and
never a 500 (decision 0164)."""

from __future__ import annotations

import json
import socket

import pytest

ROWS = "".join(f"2024-11-20T10:{n // 60:02d}:{n % 60:02d}Z,1500\n" for n in range(2000))
LOG = ("timestamp,posts\n" + ROWS).encode()


def raw_exchange(port: int, head: str, body: bytes) -> tuple[int, dict]:
    """Send ``head`` and ``body``, stop sending (the client's half close), read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(head.encode() + body)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, content = rest.partition(b"\r\n\r\n")
    assert b"application/problem+json" in headers.lower(), answer[:300]
    return int(status_line.split()[1]), json.loads(content)


def stored_assessments(server) -> int:
    status, _, body = server.call("GET", "/v1/assessments")
    assert status == 200
    return len(json.loads(body)["items"])


@pytest.mark.parametrize("prefer", ["", "Prefer: respond-async\r\n"])
def test_a_log_cut_short_of_its_content_length_is_refused_not_priced_as_the_whole(server,
                                                                                 prefer):
    """A client that stopped after half of its Content-Length had the half assessed and
    stored (1,002 of 2,000 rows), or queued as a job that stored it."""
    before = stored_assessments(server)
    half = LOG[: LOG.index(b"\n", len(LOG) // 2) + 1]
    status, problem = raw_exchange(server.port, (
        "POST /v1/assessments HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\n"
        f"{prefer}Content-Length: {len(LOG)}\r\nConnection: close\r\n\r\n"), half)
    assert status == 400
    assert problem["detail"].startswith(
        f"the request body ended after {len(half):,} of the {len(LOG):,} bytes its "
        "Content-Length says: the upload was cut short")
    assert stored_assessments(server) == before
    status, _, body = server.call("GET", "/v1/jobs")
    assert status == 200 and json.loads(body)["items"] == []


@pytest.mark.parametrize("content_type", ["text/csv", "multipart/form-data; boundary=b"])
def test_a_chunked_body_with_a_chunk_size_that_is_not_hexadecimal_is_a_400(server,
                                                                          content_type):
    """gunicorn's InvalidChunkSize reached the app and was answered as a 500."""
    status, problem = raw_exchange(server.port, (
        f"POST /v1/assessments HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}"
        "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"),
        b"10\r\ntimestamp,posts\n\r\nzz\r\nSECRETROW\r\n0\r\n\r\n")
    assert status == 400
    assert problem["detail"].startswith("the request body could not be read")
    assert "chunk sizes must be hexadecimal" in problem["detail"]
    assert "zz" not in json.dumps(problem) and "SECRETROW" not in json.dumps(problem)
    assert server.health_seconds() < 5
