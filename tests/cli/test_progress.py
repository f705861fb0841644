"""A big log on a terminal shows how reading goes (bytes of the total, rows, rate, time left);
a pipeline, or --quiet, sees nothing of it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import threading

import pytest

import calculator
from calculator.cli import main
from calculator.ingest.progress import watching


class Recorder:
    def __init__(self) -> None:
        self.bytes = 0
        self.rows = 0
        self.lock = threading.Lock()

    def advance(self, bytes_read: int = 0, rows: int = 0) -> None:
        with self.lock:
            self.bytes += bytes_read
            self.rows += rows


def csv_log(rows: int) -> bytes:
    return ("timestamp,posts\n" + "".join(
        f"2025-03-01T{h % 24:02d}:{m % 60:02d}:00Z,{1 + (h + m) % 9}\n"
        for h, m in ((i // 60, i) for i in range(rows)))).encode()


def access_log(lines: int) -> bytes:
    return "".join(
        f'203.0.113.7 - - [01/Mar/2025:10:{i // 60 % 60:02d}:{i % 60:02d} +0000] '
        f'"GET https://x.com/someone/status/{10**15 + i} HTTP/1.1" 200 5120 "-" "bot"\n'
        for i in range(lines)).encode()


@pytest.mark.parametrize("content, rows", [(csv_log(30_000), 30_000),
                                           (access_log(20_000), 20_000)])
def test_reading_reports_every_byte_of_the_file_and_every_row(tmp_path, content, rows):
    path = tmp_path / "log"
    path.write_bytes(content)
    seen = Recorder()
    with watching(seen):
        calculator.assess(str(path))
    assert (seen.bytes, seen.rows) == (len(content), rows)


def test_nothing_is_reported_when_nobody_watches(tmp_path):
    path = tmp_path / "log.csv"
    path.write_bytes(csv_log(100))
    seen = Recorder()
    calculator.assess(str(path))
    assert (seen.bytes, seen.rows) == (0, 0)


def test_a_pipeline_sees_no_progress(runner, tmp_path):
    path = tmp_path / "crawl.csv"
    path.write_bytes(csv_log(5_000))
    result = runner.invoke(main, ["assess", str(path), "--json"])
    assert result.exit_code == 0 and result.stderr == ""


def on_a_terminal(args: list[str]) -> str:
    """Run the command with standard error on a pseudo-terminal; what the terminal showed."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-c", "from calculator.cli import main; main()",
                                *args], stdout=subprocess.DEVNULL, stderr=terminal,
                               env={**os.environ, "COLUMNS": "160"})
    os.close(terminal)
    shown = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed when the command ended
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=120)
    os.close(controller)
    assert process.returncode == 0, shown
    return shown.decode(errors="replace")


def test_on_a_terminal_a_big_log_shows_bytes_rows_rate_and_time_left(tmp_path):
    path = tmp_path / "crawl.csv"
    path.write_bytes(csv_log(300_000))
    shown = on_a_terminal(["assess", str(path)])
    assert "reading crawl.csv" in shown
    assert " rows" in shown and "/s" in shown and "MB" in shown


def test_quiet_hides_the_progress_on_a_terminal(tmp_path):
    path = tmp_path / "crawl.csv"
    path.write_bytes(csv_log(3_000))
    assert "reading crawl.csv" not in on_a_terminal(["assess", str(path), "--quiet"])
