"""bench/budget_fleet_day.py, briefly, on both databases: eight processes sharing one budget
for a simulated day never put any window over the limit, by the assessment engine's peak."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_eight_processes_reserving_for_a_day_never_overrun_the_limit(bench_database):
    extra, env = bench_database
    args = [sys.executable, str(ROOT / "bench" / "budget_fleet_day.py"), "--processes", "8",
            "--reservations", "400", "--pressure", "4", *extra]
    finished = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    out = finished.stdout
    assert finished.returncode == 0, out + finished.stderr
    limit = int(re.search(r"limit: (\d+) posts", out)[1])
    peak = int(re.search(r"peak window by the assessment engine: (\d+) posts", out)[1])
    granted, recorded = map(int, re.search(
        r"posts granted: (\d+); posts recorded: (\d+)", out).groups())
    refused = int(re.search(r"(\d+) refused", out)[1])
    assert peak <= limit  # no 24-hour window over the limit, by the engine's own count
    assert peak > limit * 0.9  # and the fleet did use nearly all of it
    assert refused > 0  # it asked for more than the limit allowed
    assert recorded == granted  # every grant recorded once, none lost to a race
    assert "owed under every reading: USD 0.00\n" in out
