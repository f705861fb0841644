"""Rule lookups under load: lookups/s and p50/p99 latency at 16 connections, beside /health.

    python bench/lookups.py                      # default `calculator serve`, 2 workers
    python bench/lookups.py --duration 30 --connections 64 --port 8123

Starts the default ``calculator serve`` (2 gunicorn workers, SQLite in a temporary instance
folder) on loopback and loads it with wrk (Debian's ``wrk`` package), one run after the
other, each for ``--duration`` seconds at ``--connections`` connections:

- ``/health``: the baseline, the service answering with no work;
- the same clause lookup again and again, without ``If-None-Match`` (a full 200 answer);
- the same lookup with the ETag of its answer in ``If-None-Match`` (304, no body);
- distinct lookups: a different ``at`` instant each time, a minute of 2025 (the path that
  nothing kept can answer).

Goal (issue 13): at least 2,000 lookups/s with p99 under 10 ms at 16 connections on a
2-core machine. Exit status 1 if a run had errors or non-2xx/3xx answers.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import free_port, service  # the benches' one way to start the service

CLAUSE = "/v1/clauses/x.terms-of-service.liquidated-damages?at=2025-01-01"

# A different `at` per request: a minute of 2025 (525,600 of them), when the clause is in force.
DISTINCT_LUA = """
math.randomseed(13)
request = function()
  local at = os.date("!%Y-%m-%dT%H:%M:00Z", 1735689600 + math.random(0, 525599) * 60)
  return wrk.format("GET", "/v1/clauses/x.terms-of-service.liquidated-damages?at=" .. at)
end
"""


def etag_of(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.headers.get("ETag") or ""


def to_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, connections: int, duration: int, threads: int,
        headers: list[str] | None = None, script: Path | None = None) -> dict[str, float]:
    argv = ["wrk", "--latency", f"-t{threads}", f"-c{connections}", f"-d{duration}s"]
    for header in headers or []:
        argv += ["-H", header]
    if script:
        argv += ["-s", str(script)]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": to_ms(latency["50"]), "p99": to_ms(latency["99"]),
            "bad": int(failed.group(1)) if failed else 0,
            "errors": sum(map(int, errors.groups())) if errors else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2, the "
                        "default of calculator serve)")
    parser.add_argument("--port", type=int, default=None,
                        help="port to serve on (default: a free one)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/lookups.py needs wrk: apt-get install wrk")

    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="calculator-lookups-") as tmp:
        env = dict(os.environ, CALCULATOR_INSTANCE_PATH=str(Path(tmp) / "instance"))
        for name in ("CALCULATOR_DATABASE_URL", "DATABASE_URL", "CALCULATOR_HOST"):
            env.pop(name, None)
        script = Path(tmp) / "distinct.lua"
        script.write_text(DISTINCT_LUA, encoding="utf-8")
        with service(env, port, args.workers, Path(tmp) / "serve.log"):
            etag = etag_of(base + CLAUSE)
            # wrk's own threads take CPU from the service on the same machine: keep them few.
            threads = min(2, args.connections)
            runs = {
                "baseline: GET /health": wrk(f"{base}/health", args.connections,
                                             args.duration, threads),
                "lookup, same request (200)": wrk(base + CLAUSE, args.connections,
                                                  args.duration, threads),
                "lookup, If-None-Match (304)": wrk(base + CLAUSE, args.connections,
                                                   args.duration, threads,
                                                   headers=[f"If-None-Match: {etag}"]),
                "lookup, distinct instants (200)": wrk(base + CLAUSE, args.connections,
                                                       args.duration, threads, script=script),
            }

    cores = os.cpu_count()
    print(f"service: calculator serve, {args.workers} gunicorn workers on 127.0.0.1; wrk with "
          f"{args.connections} connections, {args.duration} s per run; {cores} cores "
          "(shared with whatever else runs on this machine)")
    print(f"{'run':<34}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}  errors")
    for name, run in runs.items():
        print(f"{name:<34}{run['rps']:>10.0f}{run['p50']:>9.2f}{run['p99']:>9.2f}  "
              f"{run['errors'] + run['bad']}")
    goal = runs["lookup, same request (200)"]
    met = goal["rps"] >= 2000 and goal["p99"] < 10
    print(f"goal (>= 2,000 lookups/s, p99 < 10 ms at 16 connections): "
          f"{'met' if met else 'not met'} by the repeated lookup")
    return 1 if any(run["errors"] or run["bad"] for run in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
