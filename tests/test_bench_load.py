"""bench/load.py, briefly, on both databases: no request lost or duplicated under load."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_load_script_loses_and_duplicates_nothing(backend):
    args = [sys.executable, str(ROOT / "bench" / "load.py"), "--duration", "4", "--clients",
            "6", "--workers", "3"]
    if backend == "postgresql":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.skip("PostgreSQL tests need TEST_DATABASE_URL; .ci/run starts a server and "
                        "sets it")
        args += ["--database-url", url]
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CALCULATOR_DATABASE_URL")}
    finished = subprocess.run(args, env=env, capture_output=True, text=True, timeout=240)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    out = finished.stdout
    assert "errors: 0" in out
    assert "lost (created, not readable or not listed): 0" in out
    assert "duplicated (listed more than once or never created): 0" in out
    assert "retries that did not return the first id: 0" in out
    created = int(out.split("created (distinct ids from 201s): ")[1].split()[0])
    assert created > 0 and f"listed (total of the list endpoint): {created}" in out
