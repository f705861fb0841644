"""How long the command line takes to start, against the interpreter's own start.

A pipeline calls ``calculator`` often (``--version`` in a health check, a rule lookup per
row of a report), so the time before the command answers matters more than its work. Each
command is run as a fresh process (the installed ``calculator`` script, warm file cache) and
timed from spawn to exit; the baseline is ``python -c pass`` with the same interpreter, run
interleaved with the commands so that both see the same machine load.

    python bench/cli_startup.py               # 7 runs of each, prints min and median
    python bench/cli_startup.py --runs 15
Goal (issue 14): ``--version``, ``--help`` and rule lookups answer in under 0.5 s.
Also prints the modules each command imports that a lookup should never need.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_SECONDS = 0.5
SCRIPT = Path(sys.executable).with_name("calculator")
COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "calculator --version": [str(SCRIPT), "--version"],
    "calculator --help": [str(SCRIPT), "--help"],
    "calculator clause ... --at 2025-01-01": [
        str(SCRIPT), "clause", "x.terms-of-service.liquidated-damages", "--at", "2025-01-01"],
    "calculator clause ... --json": [
        str(SCRIPT), "clause", "x.terms-of-service.liquidated-damages", "--at", "2025-01-01",
        "--json"],
    "calculator changes x.terms-of-service": [
        str(SCRIPT), "changes", "x.terms-of-service", "--from", "2024-01-01", "--to",
        "2026-05-01"],
}
HEAVY = ("pandas", "numpy", "pyarrow", "sqlalchemy", "flask")
PROBE = ("import sys; from calculator.cli import main\n"
         "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
         "print(' '.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)")


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall seconds from spawn to exit, and the CPU seconds (user + system) the process used:
    on a shared machine the wall time waits for other work, the CPU time much less."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_imports(argv: list[str]) -> str:
    if argv[0] != str(SCRIPT):
        return ""
    probe = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv[1:]],
                           capture_output=True, text=True, check=True)
    return probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not SCRIPT.exists():
        sys.exit(f"{SCRIPT} is missing: install the project (pip install -e .) first")
    for argv in COMMANDS.values():
        run_once(argv)  # warm the file cache and the .pyc files
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):  # interleaved: each round sees the same load
        for name, argv in COMMANDS.items():
            wall, used = run_once(argv)
            times[name].append(wall)
            cpu[name].append(used)
    baseline = min(times["python -c pass (baseline)"])
    print(f"{'command':<40}{'min s':>7}{'median s':>9}{'cpu s':>7}{'over baseline':>15}"
          "  goal  heavy modules imported")
    for name, argv in COMMANDS.items():
        best, median = min(times[name]), statistics.median(times[name])
        goal = "" if name.startswith("python") else (
            "ok" if best < GOAL_SECONDS else "OVER")
        print(f"{name:<40}{best:>7.3f}{median:>9.3f}{min(cpu[name]):>7.3f}"
              f"{best - baseline:>+15.3f}  {goal:<4}  {heavy_imports(argv) or '-'}")


if __name__ == "__main__":
    main()
