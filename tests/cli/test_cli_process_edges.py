"""The command in a pipeline's hands: closed standard streams, a path that is not UTF-8, a
timeout's SIGTERM and a full temporary folder each get one line and a documented exit code,
never a traceback, and leave nothing of the log behind."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq

CALCULATOR = [sys.executable, "-m", "calculator"]
LOG = b"timestamp,posts\n2025-03-01T00:00:00Z,600000\n2025-03-01T01:00:00Z,600000\n"


def run_in_shell(command: str, cwd, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_a_closed_standard_output_is_said_in_one_line(tmp_path):
    (tmp_path / "log.csv").write_bytes(LOG)
    done = run_in_shell(f"{' '.join(CALCULATOR)} assess log.csv --json >&-", tmp_path)
    assert done.returncode == 2
    assert done.stderr == b"calculator: cannot write the answer: standard output is closed\n"


def test_a_closed_standard_input_is_said_in_one_line(tmp_path):
    done = run_in_shell(f"{' '.join(CALCULATOR)} assess - <&-", tmp_path)
    assert done.returncode == 2
    assert done.stderr == b"calculator: standard input is closed: there is no log to read\n"


def test_a_path_that_is_not_utf8_gives_a_json_problem_that_is_utf8(tmp_path):
    """The path's byte was written raw into the JSON (no reader takes it), or, with a
    strict UTF-8 output, the write failed with a traceback."""
    for encoding in ({}, {"PYTHONIOENCODING": "utf-8"}):
        done = subprocess.run([*CALCULATOR, "assess", os.fsdecode(b"no\xffsuch.csv"), "--json"],
                              cwd=tmp_path, capture_output=True, timeout=120,
                              env={**os.environ, **encoding})
        assert done.returncode == 2, done.stderr
        problem = json.loads(done.stdout.decode("utf-8"))
        assert problem["detail"] == "cannot read no\udcffsuch.csv: No such file or directory"


def test_a_timeout_stops_a_read_of_standard_input_leaving_no_copy_of_the_log(tmp_path):
    """SIGTERM left the copy of a column file read from standard input in the temporary
    folder (Ctrl-C did not)."""
    sink = io.BytesIO()
    pq.write_table(pa.table({"timestamp": ["2025-03-01T00:00:00Z"] * 200_000,
                             "posts": list(range(200_000))}), sink, compression="none")
    spools = tmp_path / "spools"
    spools.mkdir()
    with subprocess.Popen([*CALCULATOR, "assess", "-"], stdin=subprocess.PIPE,
                          stderr=subprocess.PIPE,
                          env={**os.environ, "TMPDIR": str(spools)}) as reading:
        try:
            reading.stdin.write(sink.getvalue())  # and more is to come: the pipe stays open
            reading.stdin.flush()
            began = time.monotonic()
            while not any(spools.iterdir()) and time.monotonic() - began < 60:
                time.sleep(0.1)  # until the copy is being written
            assert any(spools.iterdir())
            reading.send_signal(signal.SIGTERM)
            assert reading.wait(timeout=60) == 143
            assert b"Traceback" not in reading.stderr.read()
        finally:
            reading.kill()
    assert list(spools.iterdir()) == []


def test_a_temporary_folder_without_room_is_the_services_storage_not_the_answers(tmp_path):
    """A full disk under TMPDIR was "cannot write the answer", and --json printed no
    problem. A limit on the size of files written (``ulimit -f``) fails the copy's writes as
    a full disk does (Python ignores SIGXFSZ, so the write fails with EFBIG)."""
    sink = io.BytesIO()
    pq.write_table(pa.table({"timestamp": [f"2025-03-01T00:00:{k % 60:02d}Z"
                                           for k in range(20_000)],
                             "posts": list(range(20_000))}), sink, compression="none")
    assert len(sink.getvalue()) > 64 << 10
    (tmp_path / "log.parquet").write_bytes(sink.getvalue())
    done = run_in_shell(f"ulimit -f 32; {' '.join(CALCULATOR)} assess - --json < log.parquet",
                        tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(b"calculator: the log could not be held in the temporary "
                                  b"folder: File too large; free space there")
    assert json.loads(done.stdout)["type"] == "/problems/storage-unavailable"
