"""What gunicorn itself answers, under `calculator serve`: problem details, never HTML; no
credentials in the access log; no shared control socket; no open service by accident."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from calculator.api.worker import ProblemWorker
from tests.running_servers import create_key

PROBLEM = "application/problem+json"
HERE = Path(__file__).resolve().parent


def problem_of(status: int, headers, body: bytes) -> dict:
    assert headers.get_content_type() == PROBLEM, body[:200]
    document = json.loads(body)
    assert document["status"] == status
    return document


def test_a_request_line_over_gunicorns_limit_is_a_414_problem(server):
    status, headers, body = server.call("GET", "/v1/platforms?q=" + "a" * 5000)
    assert status == 414
    document = problem_of(414, headers, body)
    assert document["type"] == "/problems/uri-too-long"
    assert "aaaa" not in body.decode()  # nothing the client sent is echoed
    assert server.health_seconds() < 2


def test_too_many_or_too_large_header_fields_are_a_431_problem(server):
    many = [(f"X-Filler-{n}", "1") for n in range(120)]
    status, headers, body = server.call("GET", "/v1/platforms", headers=many)
    assert status == 431
    assert problem_of(431, headers, body)["type"] == "/problems/header-fields-too-large"
    status, headers, body = server.call("GET", "/v1/platforms", headers={"X-Big": "b" * 9000})
    assert status == 431
    assert "bbbb" not in body.decode()
    problem_of(431, headers, body)


def test_a_request_past_the_worker_timeout_is_a_500_problem_that_says_so(start_server,
                                                                           tmp_path):
    command = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "--timeout",
               "1", "--no-control-socket", "--chdir", str(HERE), "--worker-class",
               f"{ProblemWorker.__module__}.{ProblemWorker.__name__}", "slow_app:app"]
    with start_server(tmp_path, command=command) as slow:
        status, headers, body = slow.call("GET", "/slow", timeout=60)
        assert status == 500
        document = problem_of(500, headers, body)
        assert document["type"] == "/problems/internal-error"
        assert "longer than the 1 s" in document["detail"]
        slow.wait_until_up()  # a new worker took its place


def test_an_api_key_sent_as_basic_is_refused_and_never_logged(start_server, tmp_path):
    with start_server(tmp_path) as served:
        key = create_key(served.env, "ci")
        for credentials in (f"{key}:", f"user:{key}"):
            basic = base64.b64encode(credentials.encode()).decode()
            status, headers, body = served.call("GET", "/v1/assessments",
                                                headers={"Authorization": f"Basic {basic}"})
            assert status == 401
            assert "Bearer" in problem_of(401, headers, body)["detail"]
    logged = served.log.read_text()
    assert '"GET /v1/assessments' in logged  # the access log is there ...
    assert key not in logged  # ... and the key is not in it


def test_each_server_has_no_shared_control_socket(start_server, server_env, tmp_path):
    """Two servers side by side on one machine: one on the defaults opens no control socket
    (in the home folder or anywhere: none that another server could share, checked while
    it runs), and one given --control-socket opens it where it was told."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**server_env, "HOME": str(home), "XDG_RUNTIME_DIR": str(home)}
    own = tmp_path / "own.ctl"
    with start_server(tmp_path, env=env, wait=False) as first, \
            start_server(tmp_path, "--control-socket", str(own), env=env, wait=False) as second:
        first.wait_until_up()
        second.wait_until_up()
        assert first.health_seconds() < 5 and second.health_seconds() < 5
        assert own.is_socket()
        assert [p for p in tmp_path.rglob("*.ctl") if p != own] == []
    assert not list(home.rglob("*.ctl"))



def test_threaded_workers_answer_gunicorns_errors_as_problems_too(start_server, tmp_path):
    """`calculator serve --threads N` (gunicorn's threaded workers, for a fleet's
    reservations) keeps the same error answers."""
    with start_server(tmp_path, "--threads", "3") as served:
        status, headers, body = served.call("GET", "/v1/platforms",
                                            headers={"X-Big": "b" * 9000})
        assert status == 431
        problem_of(431, headers, body)
        assert served.call("GET", "/health")[0] == 200
    assert "ThreadedProblemWorker" in served.log.read_text()
