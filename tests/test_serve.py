"""The service as deployed: the Dockerfile's command under gunicorn, and refusal on broken rules."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dockerfile_command() -> list[str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    return json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))


@contextmanager
def running(command: list[str], *, env: dict, cwd: Path, log: Path) -> Iterator[subprocess.Popen]:
    """A server process whose output goes to ``log``; stopped however the test ends."""
    with log.open("w") as output, subprocess.Popen(command, cwd=cwd, env=env, stdout=output,
                                                   stderr=subprocess.STDOUT) as process:
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_for_health(port: int, process: subprocess.Popen, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("the server exited before answering")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                return {"body": json.load(answer), "headers": dict(answer.headers)}
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError("the server did not answer /health in time")


@pytest.fixture
def environment(tmp_path):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               CALCULATOR_INSTANCE_PATH=str(tmp_path / "instance"))
    for name in ("CALCULATOR_RULES_DIR", "CALCULATOR_DATABASE_URL", "DATABASE_URL"):
        env.pop(name, None)
    return env


def test_the_dockerfile_runs_as_a_non_root_user_with_a_health_check():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^USER calculator$", text, re.M)
    assert "HEALTHCHECK" in text and "/health" in text
    assert dockerfile_command() == ["calculator", "serve"]


def test_the_dockerfile_command_serves_the_api_under_gunicorn(environment, tmp_path):
    port = free_port()
    env = dict(environment, CALCULATOR_HOST="127.0.0.1", CALCULATOR_PORT=str(port))
    log = tmp_path / "serve.log"
    with running(dockerfile_command(), env=env, cwd=tmp_path, log=log) as process:
        health = wait_for_health(port, process)
        assert health["body"]["status"] == "ok"
        assert health["headers"]["X-Ruleset-Revision"] == health["body"]["ruleset_revision"]
        url = (f"http://127.0.0.1:{port}/v1/clauses/x.terms-of-service.liquidated-damages"
               "?at=2025-01-01")
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert json.load(answer)["version"] == "2024-11-15"
    assert "gunicorn" in log.read_text().lower()


def test_gunicorn_serves_wsgi_app_from_the_project_root(environment, tmp_path):
    port = free_port()
    command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    with running(command, env=environment, cwd=ROOT, log=tmp_path / "wsgi.log") as process:
        assert wait_for_health(port, process)["body"]["status"] == "ok"


def test_broken_rules_stop_the_start_with_a_message_naming_file_and_field(environment,
                                                                          rules_copy):
    tos = rules_copy / "x" / "terms-of-service.yaml"
    tos.write_text(tos.read_text(encoding="utf-8").replace("per_posts: 1000000",
                                                           "per_posts: a million", 1),
                   encoding="utf-8")
    env = dict(environment, CALCULATOR_RULES_DIR=str(rules_copy), CALCULATOR_PORT=str(free_port()))
    finished = subprocess.run(dockerfile_command(), env=env, capture_output=True, text=True,
                              timeout=60)
    assert finished.returncode == 2
    assert "x/terms-of-service.yaml" in finished.stderr
    assert "clauses.liquidated-damages.versions[2].parameters.per_posts" in finished.stderr
    assert "Traceback" not in finished.stderr


def _call(method: str, url: str, body: bytes | None = None, headers: dict | None = None
          ) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.load(error)


def test_the_key_never_appears_in_the_access_log_and_assessments_survive_a_restart(
        environment, tmp_path):
    port = free_port()
    env = dict(environment, CALCULATOR_HOST="127.0.0.1", CALCULATOR_PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    log = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"
    csv = {"Content-Type": "text/csv"}
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with running(dockerfile_command(), env=env, cwd=tmp_path, log=first_log) as process:
        wait_for_health(port, process)
        # No setup: the SQLite database was created in the instance folder on first start.
        assert (tmp_path / "instance" / "calculator.sqlite3").exists()
        status, _, anonymous = _call("POST", f"{base}/v1/assessments", log, csv)
        assert status == 201
        created = subprocess.run(["calculator", "keys", "create", "ci"], env=env, text=True,
                                 capture_output=True, timeout=60, check=True)
        key = created.stdout.strip()
        bearer = {**csv, "Authorization": f"Bearer {key}"}
        assert _call("POST", f"{base}/v1/assessments", log, csv)[0] == 401
        assert _call("POST", f"{base}/v1/assessments", log,
                     {**csv, "Authorization": f"Bearer {key}x"})[0] == 401
        status, headers, document = _call("POST", f"{base}/v1/assessments?reference=T-1", log,
                                          {**bearer, "Idempotency-Key": "restart-1"})
        assert status == 201
    with running(dockerfile_command(), env=env, cwd=tmp_path, log=second_log) as process:
        wait_for_health(port, process)
        status, _, fetched = _call("GET", base + headers["Location"], None, bearer)
        assert (status, fetched) == (200, document)
        retry = _call("POST", f"{base}/v1/assessments?reference=T-1", log,
                      {**bearer, "Idempotency-Key": "restart-1"})
        assert (retry[0], retry[2]["id"]) == (201, document["id"])
        assert _call("GET", f"{base}/v1/assessments/{anonymous['id']}", None, bearer)[0] == 404
        replay = _call("POST", f"{base}{headers['Location']}/replay", None, bearer)
        assert replay[2]["changes"]["changed"] == []
    logs = first_log.read_text() + second_log.read_text()
    assert '"POST /v1/assessments' in logs  # the access log is there ...
    assert key not in logs and key[5:20] not in logs  # ... and the key is not in it


def test_the_dockerfile_keeps_the_database_in_the_instance_folder():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "CALCULATOR_INSTANCE_PATH=/app/instance" in text
    assert "chown calculator /app/instance" in text
