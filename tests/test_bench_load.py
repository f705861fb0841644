"""bench/load.py, briefly, on both databases: no request lost or duplicated under load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_load_script_loses_and_duplicates_nothing(bench_database):
    extra, env = bench_database
    args = [sys.executable, str(ROOT / "bench" / "load.py"), "--duration", "2", "--clients",
            "6", "--workers", "3", *extra]
    finished = subprocess.run(args, env=env, capture_output=True, text=True, timeout=240)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    out = finished.stdout
    assert "errors: 0" in out
    assert "lost (created, not readable or not listed): 0" in out
    assert "duplicated (listed more than once or never created): 0" in out
    assert "retries that did not return the first id: 0" in out
    created = int(out.split("created (distinct ids from 201s): ")[1].split()[0])
    assert created > 0 and f"listed (total of the list endpoint): {created}" in out
