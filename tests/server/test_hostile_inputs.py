"""Hostile input against the service as deployed (`calculator serve`, gunicorn, 2 workers):
each request of the table gets its status and problem type within its time, as
problem+json, and /health answers at once afterwards."""

from __future__ import annotations

import base64
import gzip
import json
import time
from dataclasses import dataclass, field

import pytest

from calculator.api.reviews.routes import EXAMPLE

PROBLEM = "application/problem+json"
TS = "2025-03-01T00:00:00Z"
LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n"
CSV = [("Content-Type", "text/csv")]
JSON = [("Content-Type", "application/json")]
JSONL = [("Content-Type", "application/x-ndjson")]


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def wide_csv(header_bytes: int) -> bytes:
    """A CSV whose header has as many 8-byte columns as fill ``header_bytes``."""
    return b"timestamp" + b",column7" * (header_bytes // 8) + f"\n{TS}\n".encode()


def profile(**changes: object) -> bytes:
    return json.dumps({**EXAMPLE, **changes}).encode()


@dataclass(frozen=True)
class Hostile:
    name: str
    method: str
    path: str
    status: int
    problem: str
    body: bytes | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 5.0


def _multipart_without_boundary() -> Hostile:
    return Hostile("multipart without a boundary", "POST", "/v1/assessments", 400,
                   "bad-request", LOG, [("Content-Type", "multipart/form-data")])


TABLE = [
    Hostile("page far past the last", "GET", "/v1/assessments?page=99999999999999999999",
            422, "validation-error"),
    Hostile("page of 2^63 on reviews", "GET", f"/v1/reviews?page={2**63}", 422,
            "validation-error"),
    Hostile("review of 1.2 MB of empty objects", "POST", "/v1/reviews", 413,
            "payload-too-large", b"[" + b"{}," * 400_000 + b"{}]",
            [("Content-Type", "application/json")]),
    Hostile("gzip-encoded review", "POST", "/v1/reviews", 415, "unsupported-media-type",
            gzip.compress(json.dumps(EXAMPLE).encode()),
            [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]),
    _multipart_without_boundary(),
    Hostile("a method the path does not take", "PUT", "/v1/assessments", 405,
            "method-not-allowed", b""),
    Hostile("an API key as HTTP Basic", "GET", "/v1/assessments", 401, "unauthorized",
            headers=[("Authorization",
                      "Basic " + base64.b64encode(b"calc_notakey:").decode())]),
    Hostile("a 5 kB request line", "GET", "/v1/platforms?" + "q=1&" * 1250, 414,
            "uri-too-long"),
    Hostile("120 header fields", "GET", "/v1/platforms", 431, "header-fields-too-large",
            headers=[(f"X-Filler-{n}", "1") for n in range(120)]),
    Hostile("a 9 kB header field", "GET", "/v1/platforms", 431, "header-fields-too-large",
            headers=[("X-Big", "b" * 9000)]),
    # Over the limit of a job too (4 GiB; 300 MB would be taken as a job): refused unread.
    Hostile("a declared 5 GiB body, not sent", "POST", "/v1/assessments", 413,
            "payload-too-large", LOG,
            [("Content-Type", "text/csv"), ("Content-Length", str(5 * 1024 ** 3))]),
    Hostile("a log of an unknown content type", "POST", "/v1/assessments", 415,
            "unsupported-media-type", LOG, [("Content-Type", "image/png")]),
    # The readers' findings, against the server: each once took minutes, a worker or a 500.
    Hostile("a 199 KB CSV header", "POST", "/v1/assessments", 422, "invalid-input",
            wide_csv(199_000), CSV),
    Hostile("a 689 KB CSV header (177 s before)", "POST", "/v1/assessments", 422,
            "invalid-input", wide_csv(689_000), CSV),
    Hostile("a 7.9 MB CSV header (the worker timed out before)", "POST", "/v1/assessments",
            422, "invalid-input", wide_csv(7_900_000), CSV, seconds=10.0),
    Hostile("a bare CR in the CSV header", "POST", "/v1/assessments", 422, "invalid-input",
            f"timestamp,po\rsts\n{TS},1\n".encode(), CSV),
    Hostile("a 140 KB CSV header field", "POST", "/v1/assessments", 422, "invalid-input",
            b"timestamp," + b"a" * 140_000 + f"\n{TS},1\n".encode(), CSV),
    Hostile("JSON posts of 1e30", "POST", "/v1/assessments", 422, "invalid-input",
            f'[{{"timestamp": "{TS}", "posts": 1e30}}]'.encode(), JSON),
    Hostile("JSON posts of 2^63", "POST", "/v1/assessments", 422, "invalid-input",
            f'{{"timestamp": "{TS}", "posts": {2**63}}}\n'.encode(), JSONL),
    Hostile("a JSON log nested 1,000 deep (2 kB)", "POST", "/v1/assessments", 422,
            "invalid-input", nested(1000), JSON),
    Hostile("a JSON Lines log nested 100,000 deep", "POST", "/v1/assessments", 422,
            "invalid-input", f'{{"timestamp": "{TS}", "x": '.encode() + nested(100_000)
            + b"}\n", JSONL),
    Hostile("a review nested 100,000 deep", "POST", "/v1/reviews", 422, "invalid-input",
            b'{"a":' * 100_000 + b"1" + b"}" * 100_000, JSON),
    Hostile("a review period in 2262", "POST", "/v1/reviews", 422, "invalid-input",
            profile(period={"start": "2262-01-01", "end": "2262-06-01"}), JSON),
    Hostile("a review with a key given twice", "POST", "/v1/reviews", 422, "invalid-input",
            profile()[:-1] + b', "platform": "reddit"}', JSON),
    Hostile("a review with a 6 MiB value", "POST", "/v1/reviews", 413, "payload-too-large",
            profile(retention="Q" * (6 << 20)), JSON),
    Hostile("an instant with an extreme offset, no key needed", "GET",
            "/v1/clauses/x.terms-of-service.liquidated-damages?at=0001-01-01T00:00:00%2B14:00",
            422, "validation-error"),
]


@pytest.mark.parametrize("case", TABLE, ids=[case.name for case in TABLE])
def test_a_hostile_request_gets_its_problem_in_time_and_the_service_stays_up(server, case):
    began = time.monotonic()
    status, headers, body = server.call(case.method, case.path, case.body, case.headers)
    took = time.monotonic() - began
    assert (status, headers.get_content_type()) == (case.status, PROBLEM), body[:300]
    document = json.loads(body)
    assert document["type"] == f"/problems/{case.problem}"
    assert document["status"] == case.status and document["detail"]
    assert took < case.seconds, f"{case.name} took {took:.1f} s"
    assert len(body) < 4096  # nothing sent is echoed back whole
    if case.status == 405:
        assert "POST" in headers["Allow"]
    assert server.health_seconds() < 1.0
