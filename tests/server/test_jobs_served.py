"""`calculator serve` runs a job worker beside its web workers: a big upload sent to the real
server completes as a job, a job worker that dies is started again, and the job workers stop
with the server."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"


def job_workers_of(server_pid: int) -> list[int]:
    """Processes running `calculator worker` for the server with this process id: as `ps`
    shows them (a forked worker's title, or a started one's arguments)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if re.search(rb"\bworker --exit-with %d\b" % server_pid, command):
            found.append(int(entry.name))
    return found


def test_a_job_sent_to_the_server_is_assessed_by_its_own_worker(start_server, tmp_path):
    with start_server(tmp_path) as server:
        status, headers, body = server.call(
            "POST", "/v1/assessments?reference=T-1", LOG,
            {"Content-Type": "text/csv", "Prefer": "respond-async"})
        assert status == 202, body
        location = headers["Location"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status, _headers, body = server.call("GET", location)
            job = json.loads(body)
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert job["state"] == "done", job
        status, _headers, body = server.call("GET", job["assessment"])
        assessment = json.loads(body)
        assert assessment["headline"]["amount"] == "18000.00"
        assert assessment["reference"] == "T-1"
        workers = job_workers_of(server.process.pid)
        assert len(workers) == 1
        # A job worker that dies is started again while the server runs.
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
                again := [p for p in job_workers_of(server.process.pid) if p not in workers]):
            time.sleep(0.2)
        assert len(again) == 1
        workers += again
    # The server stopped: its job worker with it.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() and
                                              _alive(p) for p in workers):
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except OSError:
        return False
    return state != "Z"


def test_serve_without_job_workers_runs_none(start_server, tmp_path):
    with start_server(tmp_path, "--job-workers", "0") as server:
        assert job_workers_of(server.process.pid) == []
        status, _headers, _body = server.call(
            "POST", "/v1/assessments", LOG, {"Content-Type": "text/csv",
                                             "Prefer": "respond-async"})
        assert status == 202  # kept for a `calculator worker` elsewhere


def test_a_chunked_upload_past_the_size_becomes_a_job_on_the_real_server(start_server,
                                                                         server_env, tmp_path):
    """gunicorn decodes the chunks and ends the stream; the app measures the body as it
    arrives: within the size, answered in the request; past it, a job without asking."""
    import http.client

    big = LOG + b"".join(b"2025-03-02T%02d:00:00Z,1\n" % hour for hour in range(7, 24))
    server_env["CALCULATOR_ASYNC_ABOVE"] = str(len(LOG))

    def send_chunked(server, body: bytes) -> tuple[int, http.client.HTTPMessage, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            pieces = (body[i:i + 40] for i in range(0, len(body), 40))
            connection.request("POST", "/v1/assessments", body=pieces, encode_chunked=True,
                               headers={"Content-Type": "text/csv"})
            answer = connection.getresponse()
            return answer.status, answer.headers, json.loads(answer.read())
        finally:
            connection.close()

    with start_server(tmp_path, env=server_env) as server:
        status, _headers, small = send_chunked(server, LOG)
        assert status == 201, small
        assert small["headline"]["amount"] == "18000.00"
        status, headers, job = send_chunked(server, big)
        assert status == 202, job
        assert job["progress"]["bytes_total"] == len(big)
        deadline = time.monotonic() + 120
        while job["state"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = json.loads(server.call("GET", headers["Location"])[2])
        assert job["state"] == "done", job
        assessment = json.loads(server.call("GET", job["assessment"])[2])
        assert assessment["input"]["rows"] == 19
        assert assessment["input"]["bytes"] == len(big)
