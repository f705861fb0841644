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


def wait_for_health(port: int, process: subprocess.Popen, seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("the server exited before answering")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                return {"body": json.load(answer), "headers": dict(answer.headers)}
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError("the server did not answer /health in time")


@pytest.fixture
def environment(tmp_path):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("CALCULATOR_RULES_DIR", None)
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
