"""Reservations over HTTP: latency and throughput of POST /v1/budgets/{name}/reservations.

    python bench/reservations.py                         # SQLite only
    python bench/reservations.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/reservations.py --clients 16 --workers 4 --threads 1 --duration 15
    python bench/reservations.py --database-url ... --skip-sqlite --rate 2000

For each database (SQLite in a temporary instance folder, and PostgreSQL in a fresh schema
when ``--database-url`` names a server), starts a real ``calculator serve`` on a
free loopback port (reaching a PostgreSQL server that runs on this machine over its Unix
socket, as a service on its database's host is told to: decision 0131; ``--tcp`` for the
URL as given), creates an API key and a budget on X's damages clause, then runs
``--clients`` concurrent clients for ``--duration`` seconds twice: first the baseline
``GET /health`` (the same server, key check and no database), then reservations of 1 to
``--max-posts`` posts. Before the clients start, the budget is given ``--history`` seconds
of recorded usage (default a whole day, 1 to 9 posts in each second), as a fleet that has
run all day would have: the trailing window a reservation checks is full of seconds. It
prints, side by side,
requests/s, p50, p95 and p99 latency and statuses, and checks that the posts the budget
recorded are exactly the posts granted.

The server runs as a fleet's reservation service is documented to run (``--server granian
--workers 2``, one thread per worker: decision 0148; ``--server gunicorn`` for gunicorn's
threaded workers, 4 threads each unless ``--threads 1``, its sync workers). Each client
keeps its connection alive, as a crawler's HTTP session does (``--close``: a new connection per
request, the server's worst case), and sends its next request once its answer is in. All
16 are driven by one thread through epoll, so the load generator takes as little as it can
of the cores it shares with the server; req/s and latency are still the whole system's on
this machine. The CPU columns (the service's processes, PostgreSQL's when it runs here, and
the load generator's, per request) hold better on a busy machine.

The headline is that closed loop: 16 clients, each sending its next reservation once its
answer is in, so that the mean latency is 16 / throughput. ``--rate R`` adds, after it, a
separate row labelled ``POST at R/s (fixed)``: reservations due at R per second, evenly
spaced, on at most ``--clients`` connections, each latency counted from the instant it was
due (a server falling behind shows as latency, not as a slower load: no coordinated
omission). It says what latency a fleet asking R reservations a second sees; it never
replaces the closed-loop figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_clients import Phase, http_request, raw_request, run_fixed_rate, run_phase
from load import (  # the benches' one harness
    create_key,
    database,
    free_port,
    percentile,
    service,
    service_env,
    service_url,
)


def cpu_seconds(pids: set[int]) -> float:
    """CPU (user + system) the processes ``pids`` have spent so far, from /proc."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        total += int(fields[11]) + int(fields[12])
    return total / tick


def processes(group: int | None = None, parent: int | None = None) -> set[int]:
    """The processes of a process group, or ``parent`` and its children (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if (group is not None and int(fields[2]) == group) or (
                parent is not None and (int(entry.name) == parent or int(fields[1]) == parent)):
            found.add(int(entry.name))
    return found


def database_server(url: str | None) -> int | None:
    """The PostgreSQL server's main process when it runs on this machine (its data folder
    readable), else None: its CPU is then not counted."""
    if not url:
        return None
    from sqlalchemy import text

    from calculator.storage.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            folder = connection.execute(text("SHOW data_directory")).scalar_one()
        return int(Path(folder, "postmaster.pid").read_text().split()[0])
    except Exception:  # not a local server, or not ours to read: CPU not counted
        return None
    finally:
        engine.dispose()


def over_socket(url: str) -> str | None:
    """``url`` over the Unix-domain socket of the same server, when it runs on this machine
    and answers there (decision 0131: a service on the database's host connects so), else
    None."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from calculator.storage.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            folders = connection.execute(text("SHOW unix_socket_directories")).scalar_one()
            port = connection.execute(text("SHOW port")).scalar_one()
    finally:
        engine.dispose()
    # The first folder on disk ('@name' is Linux's abstract namespace, not a folder).
    folder = next((f.strip() for f in folders.split(",") if f.strip().startswith("/")), None)
    if folder is None or not Path(folder, f".s.PGSQL.{port}").exists():
        return None
    socket = make_url(url).set(host=None, port=None).update_query_dict(
        {"host": folder, "port": str(port)}).render_as_string(hide_password=False)
    probe = make_engine(socket)
    try:
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # e.g. peer authentication on the socket for another user
        return None
    finally:
        probe.dispose()
    return socket


def measured(phase: Phase, service_group: int, server: int | None, run: Any) -> None:
    """Run ``run()`` and count the CPU the service and the database spent meanwhile."""
    service = processes(group=service_group)
    database = processes(parent=server) if server else set()
    began = cpu_seconds(service), cpu_seconds(database)
    run()
    phase.service_cpu = cpu_seconds(service | processes(group=service_group)) - began[0]
    if server:
        phase.database_cpu = cpu_seconds(database | processes(parent=server)) - began[1]


def give_history(env: dict[str, str], budget: str, seconds: int) -> int:
    """Record ``seconds`` seconds of usage before now in the budget, as the service records
    it (a row per second, the budget's running total from its first second); the second
    after the last."""
    import random

    from sqlalchemy import func, select, update

    from calculator.storage import Store
    from calculator.storage.budget_schema import budget_usage, budgets

    store = Store.open(service_url(env), migrate=False)
    rng, now = random.Random(15), int(time.time())
    with store.engine.begin() as connection:
        budget_id = connection.execute(select(budgets.c.id).where(
            budgets.c.name == budget)).scalar_one()
        rows = [{"budget_id": budget_id, "second": s, "posts": rng.randint(1, 9)}
                for s in range(now - seconds, now)]
        connection.execute(budget_usage.insert(), rows)
        total = connection.execute(select(func.sum(budget_usage.c.posts)).where(
            budget_usage.c.budget_id == budget_id)).scalar_one()
        connection.execute(update(budgets).where(budgets.c.id == budget_id).values(
            total_from=0, window_total=total, last_second=now - 1))
    store.dispose()
    return now


def recorded_since(env: dict[str, str], budget: str, second: int) -> int:
    """The posts the budget recorded from ``second`` on."""
    from sqlalchemy import func, select

    from calculator.storage import Store
    from calculator.storage.budget_schema import budget_usage, budgets

    store = Store.open(service_url(env), migrate=False)
    with store.engine.connect() as connection:
        total = connection.execute(
            select(func.coalesce(func.sum(budget_usage.c.posts), 0))
            .join(budgets, budgets.c.id == budget_usage.c.budget_id)
            .where(budgets.c.name == budget, budget_usage.c.second >= second)).scalar_one()
    store.dispose()
    return int(total)


def bench_database(url: str | None, described: str, tmp: Path, args: argparse.Namespace
                   ) -> tuple[str, str, list[Phase], dict[str, bool]]:
    server = database_server(url)
    label = "SQLite" if url is None else "PostgreSQL, TCP"
    if url and server and not args.tcp:
        # The database runs on the service's host: the service reaches it as a fleet's
        # co-located service is told to (decision 0131), over its Unix socket.
        socket = over_socket(url)
        if socket:
            url, label = socket, "PostgreSQL, Unix socket"
            described = f"{described}, over its Unix socket (--tcp: over its URL)"
    env = service_env(tmp, url)
    key = create_key(env, "bench")
    port = free_port()
    budget = f"/v1/budgets/{args.budget}"
    with service(env, port, args.workers, tmp / "serve.log", args.threads,
                 args.server) as process:
        status, body = raw_request(port, http_request(
            "PUT", budget, key, json.dumps({"platform": "x", "region": "US"}).encode()))
        if status != 201:
            raise SystemExit(f"creating the budget answered {status}: {body[:300]!r}")
        began = give_history(env, args.budget, args.history) if args.history \
            else int(time.time())
        health = Phase("GET /health (baseline)")
        kept = not args.close
        measured(health, process.pid, server, lambda: run_phase(
            health, port, [(http_request("GET", "/health", key, keep_alive=kept), 0)],
            args.clients, args.duration, kept))
        reserve = Phase("POST reservations")
        bodies = [(http_request("POST", f"{budget}/reservations", key,
                                json.dumps({"posts": n}).encode(), kept), n)
                  for n in range(1, args.max_posts + 1)]
        measured(reserve, process.pid, server, lambda: run_phase(
            reserve, port, bodies, args.clients, args.duration, kept))
        phases = [health, reserve]
        if args.rate:
            fixed = Phase(f"POST at {args.rate:g}/s (fixed)")
            measured(fixed, process.pid, server, lambda: run_fixed_rate(
                fixed, port, bodies, args.clients, args.duration, args.rate, kept))
            phases.append(fixed)
        recorded = recorded_since(env, args.budget, began)
    checks = {
        "no error status": all(set(phase.statuses) <= {201, 429} for phase in phases[1:])
        and set(health.statuses) == {200},
        "posts recorded equal posts granted":
            recorded == sum(phase.granted_posts for phase in phases[1:]),
        # A server that answers some kept-alive connections and leaves the others waiting
        # (granian's --backpressure below the client count does) looks fast in every
        # percentile: each client it leaves waiting adds a single slow answer.
        "every client answered all along (fewest answers at least a quarter of the mean)":
            all(4 * phase.fewest_per_client * args.clients >= len(phase.latencies)
                for phase in (health, reserve)),
    }
    return described, label, phases, checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None,
                        help="also bench PostgreSQL on this server (a fresh schema is made "
                             "and dropped)")
    parser.add_argument("--skip-sqlite", action="store_true", help="bench PostgreSQL only")
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="granian",
                        help="calculator serve --server: granian, as a fleet's reservation "
                             "service is documented to run (decision 0123), or gunicorn")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes (2: one per core, as a fleet's service runs)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per worker (default as a fleet's service runs: 1 "
                             "under granian, decision 0148; 4 under gunicorn, whose sync "
                             "workers are --threads 1)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--duration", type=float, default=15.0,
                        help="seconds of each phase (15)")
    parser.add_argument("--max-posts", type=int, default=5,
                        help="each reservation asks for 1 to this many posts (5)")
    parser.add_argument("--history", type=int, default=86_400,
                        help="seconds of usage recorded before the clients start (86400)")
    parser.add_argument("--close", action="store_true",
                        help="a new connection for every request (the server's worst case) "
                             "instead of one kept alive per client")
    parser.add_argument("--rate", type=float, default=0,
                        help="after the closed loop, also send reservations at this fixed "
                             "rate per second (e.g. 2000) on at most --clients connections, "
                             "latency counted from when each was due: a separate figure, "
                             "labelled 'fixed' (0: not run)")
    parser.add_argument("--tcp", action="store_true",
                        help="reach a PostgreSQL server running on this machine over TCP "
                             "(its URL as given) instead of its Unix socket")
    parser.add_argument("--budget", default="fleet")
    args = parser.parse_args()
    if args.threads is None:
        args.threads = 1 if args.server == "granian" else 4

    runs = []
    targets = ([] if args.skip_sqlite else [None]) + (
        [args.database_url] if args.database_url else [])
    for target in targets:
        with tempfile.TemporaryDirectory(prefix="calculator-reservations-") as tmp, \
                database(target, Path(tmp)) as (url, described):
            runs.append(bench_database(url, described, Path(tmp), args))

    connections = ("a new connection per request" if args.close
                   else "each on a connection kept alive")
    print(f"calculator serve --server {args.server}: {args.workers} workers x {args.threads} "
          "threads on "
          f"127.0.0.1; {args.clients} clients per phase ({connections}), "
          f"{args.duration:.0f} s each; {os.cpu_count()} cores, shared with the clients")
    print("CPU ms/req: CPU the service's processes, the PostgreSQL server's (when it runs "
          "here) and the load generator's spent per request in the phase; unlike req/s, it "
          "holds on a busy machine")
    print(f"{'database':<34}{'phase':<24}{'count':>7}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
          f"{'p99 ms':>8}{'svc CPU':>9}{'db CPU':>8}{'clients':>9}  statuses")
    failed = False
    for described, label, phases, checks in runs:
        print(f"{label}: {described}")
        for phase in phases:
            values = phase.latencies
            statuses = ", ".join(f"{s}: {n}" for s, n in sorted(phase.statuses.items()))
            if phase.most_per_client:
                statuses += (f"; answers per client {phase.fewest_per_client}"
                             f"-{phase.most_per_client}")
            if phase.unsent:
                statuses += f"; never sent, the rate outran the server: {phase.unsent}"
            count = max(1, len(values))
            database_cpu = ("-" if phase.database_cpu is None
                            else f"{phase.database_cpu / count * 1000:.2f}")
            print(f"{label[:33]:<34}{phase.name:<24}{len(values):>7}"
                  f"{len(values) / phase.elapsed:>8.0f}{percentile(values, 50):>8.2f}"
                  f"{percentile(values, 95):>8.2f}{percentile(values, 99):>8.2f}"
                  f"{phase.service_cpu / count * 1000:>9.2f}{database_cpu:>8}"
                  f"{phase.client_cpu / count * 1000:>9.2f}  {statuses}")
        for name, ok in checks.items():
            print(f"{'':<34}{name}: {'yes' if ok else 'NO'}")
            failed |= not ok
    print("result: " + ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
