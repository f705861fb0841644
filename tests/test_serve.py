"""The service as deployed: the Dockerfile's command under gunicorn, and refusal on broken rules."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from tests.running_servers import BIN, Server, create_key, free_port, serving

ROOT = Path(__file__).resolve().parents[1]


def dockerfile_command() -> list[str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    return json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))


def health(server: Server) -> dict:
    status, headers, body = server.call("GET", "/health")
    assert status == 200
    return {"body": json.loads(body), "headers": dict(headers)}


def test_the_dockerfile_runs_as_a_non_root_user_with_a_health_check():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^USER calculator$", text, re.M)
    assert "HEALTHCHECK" in text and "/health" in text
    assert dockerfile_command() == ["calculator", "serve"]


def test_the_dockerfile_command_serves_the_api_under_gunicorn(server_env, tmp_path):
    port = free_port()
    env = dict(server_env, CALCULATOR_HOST="127.0.0.1", CALCULATOR_PORT=str(port))
    log = tmp_path / "serve.log"
    with serving(tmp_path, command=dockerfile_command(), env=env, port=port, log=log) as server:
        found = health(server)
        assert found["body"]["status"] == "ok"
        assert found["headers"]["X-Ruleset-Revision"] == found["body"]["ruleset_revision"]
        url = (f"http://127.0.0.1:{port}/v1/clauses/x.terms-of-service.liquidated-damages"
               "?at=2025-01-01")
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert json.load(answer)["version"] == "2024-11-15"
    assert "gunicorn" in log.read_text().lower()


def test_gunicorn_serves_wsgi_app_from_the_project_root(tmp_path):
    command = [str(BIN / "gunicorn"), "--bind", "127.0.0.1:{port}", "wsgi:app"]
    with serving(tmp_path, command=command, cwd=ROOT, log=tmp_path / "wsgi.log") as server:
        assert health(server)["body"]["status"] == "ok"


def test_broken_rules_stop_the_start_with_a_message_naming_file_and_field(server_env,
                                                                          rules_copy):
    tos = rules_copy / "x" / "terms-of-service.yaml"
    tos.write_text(tos.read_text(encoding="utf-8").replace("per_posts: 1000000",
                                                           "per_posts: a million", 1),
                   encoding="utf-8")
    env = dict(server_env, CALCULATOR_RULES_DIR=str(rules_copy), CALCULATOR_PORT=str(free_port()))
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
        server_env, tmp_path):
    port = free_port()
    env = dict(server_env, CALCULATOR_HOST="127.0.0.1", CALCULATOR_PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    log = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"
    csv = {"Content-Type": "text/csv"}
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with serving(tmp_path, command=dockerfile_command(), env=env, port=port, log=first_log):
        # No setup: the SQLite database was created in the instance folder on first start.
        assert (tmp_path / "instance" / "calculator.sqlite3").exists()
        status, _, anonymous = _call("POST", f"{base}/v1/assessments", log, csv)
        assert status == 201
        key = create_key(env, "ci")
        bearer = {**csv, "Authorization": f"Bearer {key}"}
        assert _call("POST", f"{base}/v1/assessments", log, csv)[0] == 401
        assert _call("POST", f"{base}/v1/assessments", log,
                     {**csv, "Authorization": f"Bearer {key}x"})[0] == 401
        status, headers, document = _call("POST", f"{base}/v1/assessments?reference=T-1", log,
                                          {**bearer, "Idempotency-Key": "restart-1"})
        assert status == 201
    with serving(tmp_path, command=dockerfile_command(), env=env, port=port, log=second_log):
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
