"""Servers the tests start: `calculator serve` (or another command) in a folder of its own,
until the test's block ends, and what a test needs to reach and configure it."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running server: where to reach it, its environment and its log."""

    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | list[tuple[str, str]] | None = None,
             timeout: float = 60) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request on a new connection: status, headers and body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            pairs = headers.items() if isinstance(headers, dict) else headers or []
            names = set()
            for name, value in pairs:
                connection.putheader(name, value)
                names.add(name.lower())
            if body is not None and "content-length" not in names:
                connection.putheader("Content-Length", str(len(body)))
            # The server may answer (and close) before reading the whole body: read its answer.
            with suppress(BrokenPipeError, ConnectionResetError):
                connection.endheaders(body)
            answer = connection.getresponse()
            return answer.status, answer.headers, answer.read()
        finally:
            connection.close()

    def health_seconds(self) -> float:
        """Seconds /health takes to answer 200 (it must answer within 30)."""
        began = time.monotonic()
        with urllib.request.urlopen(f"{self.base}/health", timeout=30) as answer:
            assert answer.status == 200
        return time.monotonic() - began

    def wait_until_up(self, seconds: float = 180) -> None:
        # An upper bound, not a wait: a server up in a second is used after a second. It is
        # wide because a gunicorn start (imports, rules, migrations, workers) on a machine
        # that other suites load took over 60 s, and a slow start is not what is tested.
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("the server exited: " + self.log.read_text()[-2000:])
            try:
                self.health_seconds()
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise AssertionError("the server did not answer /health in time")


def server_environment(folder: Path) -> dict[str, str]:
    """The environment of a server with the bundled rules and SQLite in ``folder``."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               CALCULATOR_INSTANCE_PATH=str(folder / "instance"))
    for name in ("CALCULATOR_RULES_DIR", "CALCULATOR_DATABASE_URL", "DATABASE_URL",
                 "CALCULATOR_HOST", "CALCULATOR_PORT", "CALCULATOR_ALLOW_ANONYMOUS"):
        env.pop(name, None)
    return env


def create_key(env: dict[str, str], name: str) -> str:
    """`calculator keys create NAME` for the service whose environment is ``env``, run in
    this process: the same command and database, without a new interpreter importing the
    calculator again (seconds of CPU each time)."""
    from calculator.cli import main

    unset = {variable: None for variable in os.environ if variable not in env}
    created = CliRunner().invoke(main, ["keys", "create", name], env={**env, **unset})
    assert created.exit_code == 0, created.output
    return created.stdout.strip()


@contextmanager
def serving(folder: Path, *options: str, command: list[str] | None = None,
            env: dict[str, str] | None = None, port: int | None = None,
            cwd: Path | None = None, log: Path | None = None,
            wait: bool = True) -> Iterator[Server]:
    """``calculator serve OPTIONS`` (or ``command``, given ``{port}``) until the block ends.
    ``port`` (else a free one), ``cwd`` (else ``folder``) and ``log`` (else one per port in
    ``folder``) for a command that takes its port from the environment or a restart.
    ``wait=False`` yields as soon as it is started, for servers that start side by side
    (each then ``wait_until_up()``)."""
    port = port or free_port()
    env = env or server_environment(folder)
    argv = [a.format(port=port) for a in command] if command else [
        str(BIN / "calculator"), "serve", "--port", str(port), *options]
    log = log or folder / f"server-{port}.log"
    with log.open("w") as output, subprocess.Popen(argv, cwd=cwd or folder, env=env,
                                                   stdout=output,
                                                   stderr=subprocess.STDOUT) as process:
        server = Server(port, env, log, process)
        try:
            if wait:
                server.wait_until_up()
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()  # never left running after the test, whatever it found
                process.wait()
                raise
