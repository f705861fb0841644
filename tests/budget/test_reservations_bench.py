"""bench/reservations.py, briefly, on both databases: reservations over HTTP against a real
`calculator serve` with a budget that has history, in a closed loop and at a fixed rate,
every post granted recorded once."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_reservations_over_http_record_exactly_the_posts_granted(bench_database):
    extra, env = bench_database
    args = [sys.executable, str(ROOT / "bench" / "reservations.py"), "--duration", "1.5",
            "--clients", "4", "--workers", "2", "--history", "3600", "--rate", "100", *extra]
    if extra:
        args.append("--skip-sqlite")
    finished = subprocess.run(args, env=env, capture_output=True, text=True, timeout=240)
    out = finished.stdout
    assert finished.returncode == 0, out + finished.stderr
    assert "posts recorded equal posts granted: yes" in out
    if extra:  # which way the service reached PostgreSQL is said (decision 0131)
        assert re.search(r"^PostgreSQL, (Unix socket|TCP): ", out, re.MULTILINE)
    granted = re.search(r"POST reservations\s+(\d+)\s.*201: (\d+)", out)
    assert granted and int(granted[2]) > 0  # reservations were granted, none failed
    assert re.search(r"GET /health \(baseline\)\s+\d+", out)  # printed beside the baseline
    fixed = re.search(r"POST at 100/s \(fixed\)\s+(\d+)\s.*201: (\d+)", out)
    assert fixed and int(fixed[2]) > 0  # the fixed-rate figure is its own row
