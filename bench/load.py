"""Load: gunicorn with several workers on loopback, concurrent assessments and lookups.

    python bench/load.py                                  # SQLite in a temporary instance folder
    python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/load.py --port 8123                      # serve on a port of your choice

Starts ``calculator serve`` on a free loopback port (PostgreSQL: in a fresh schema of its
own, dropped afterwards), creates an API key, and runs ``--clients`` concurrent clients for
``--duration`` seconds. Each client mixes:

- ``create``: POST /v1/assessments of a small generated log, with a new Idempotency-Key;
- ``retry``: the same request again with the same key (a workflow system's retry), which
  must return the first assessment's id;
- ``race``: a new request sent twice at the same moment with one key, both of which must
  return one id;
- ``lookup``: a rule lookup, a stored assessment by id, or a page of the list.

Then it prints requests per second, latency percentiles per kind and errors by status,
and checks that every 201 is stored and readable (with the digest of the log sent), that
the list holds exactly the distinct assessments created (none lost, none duplicated),
and that every retry returned the first id. Exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
CLAUSE = "/v1/clauses/x.terms-of-service.liquidated-damages?at=2025-01-01"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def generated_log(rng: random.Random) -> bytes:
    """A small crawl log: 20 to 200 rows over two days, some of them over the threshold."""
    start = 1_740_787_200 + rng.randrange(0, 86_400 * 30)
    rows = ["timestamp,posts"]
    for _ in range(rng.randrange(20, 201)):
        rows.append(f"{start + rng.randrange(0, 2 * 86_400)},{rng.randrange(1, 40_000)}")
    return ("\n".join(rows) + "\n").encode()


@dataclass
class Request:
    body: bytes
    query: str
    key: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    created: dict[str, Request] = field(default_factory=dict)  # id -> the request that made it
    by_key: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> first id
    retry_mismatches: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def record(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] += 1

    def created_id(self, request: Request, assessment_id: str) -> None:
        with self.lock:
            first = self.by_key.setdefault(request.key, assessment_id)
            if first != assessment_id:
                self.retry_mismatches.append((request.key, first, assessment_id))
            self.created.setdefault(assessment_id, request)


class Client:
    def __init__(self, port: int, key: str) -> None:
        self.port = port
        self.auth = {"Authorization": f"Bearer {key}"}

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict, float]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        began = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers={**self.auth, **(headers or {})})
            answer = connection.getresponse()
            data = answer.read()
            elapsed = time.perf_counter() - began
            document = json.loads(data) if data else {}
            return answer.status, document, elapsed
        finally:
            connection.close()

    def post(self, request: Request) -> tuple[int, dict, float]:
        return self.call("POST", f"/v1/assessments{request.query}", request.body,
                         {"Content-Type": "text/csv", "Idempotency-Key": request.key})


def client_loop(client: Client, results: Results, stop: float, seed: int,
                mix: dict[str, float]) -> None:
    rng = random.Random(seed)
    mine: list[Request] = []
    kinds, weights = zip(*mix.items(), strict=True)

    def create(kind: str, request: Request) -> None:
        try:
            status, document, seconds = client.post(request)
        except OSError as exc:
            results.record(kind, 0, 0.0)
            results.errors.append(f"{kind}: {exc}")
            return
        results.record(kind, status, seconds)
        if status == 201:
            results.created_id(request, document["id"])
        else:
            results.errors.append(f"{kind}: {status} {document.get('detail')}")

    while time.monotonic() < stop:
        kind = rng.choices(kinds, weights)[0]
        if kind == "retry" and not mine:
            kind = "create"
        if kind == "create":
            request = Request(generated_log(rng), f"?reference=T-{rng.randrange(10)}",
                              str(uuid.uuid4()))
            mine.append(request)
            create(kind, request)
        elif kind == "retry":
            create(kind, rng.choice(mine))
        elif kind == "race":
            request = Request(generated_log(rng), "", str(uuid.uuid4()))
            mine.append(request)
            twins = [threading.Thread(target=create, args=("race", request)) for _ in range(2)]
            for twin in twins:
                twin.start()
            for twin in twins:
                twin.join()
        else:
            with results.lock:
                known = list(results.created)[-200:]
            choice = rng.random()
            if choice < 0.4 or not known:
                path, name = CLAUSE, "lookup_rule"
            elif choice < 0.8:
                path, name = f"/v1/assessments/{rng.choice(known)}", "lookup_assessment"
            else:
                path, name = "/v1/assessments?page_size=5", "lookup_list"
            try:
                status, _, seconds = client.call("GET", path)
            except OSError as exc:
                results.record(name, 0, 0.0)
                results.errors.append(f"{name}: {exc}")
                continue
            results.record(name, status, seconds)
            if status != 200:
                results.errors.append(f"{name}: {status}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index] * 1000


@contextmanager
def database(url: str | None, workdir: Path):
    """The URL the service uses: SQLite in ``workdir``, or a new schema on the server."""
    if url is None:
        yield None, "SQLite (instance folder)"
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sqlalchemy import text

    from calculator.storage.engine import describe_url, make_engine, normalize_url

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = normalize_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False), f"{describe_url(url)} (schema {schema})"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def service_env(tmp: Path, url: str | None) -> dict[str, str]:
    """The environment of a service on ``url`` (None: SQLite in ``tmp``'s instance folder)."""
    env = dict(os.environ, CALCULATOR_INSTANCE_PATH=str(tmp / "instance"),
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in ("CALCULATOR_DATABASE_URL", "DATABASE_URL"):
        env.pop(name, None)
    if url:
        env["CALCULATOR_DATABASE_URL"] = url
    return env


def service_url(env: dict[str, str]) -> str:
    """The database URL the service of ``env`` opens (its instance folder's SQLite file
    unless the environment names one)."""
    from calculator.storage import database_url

    return database_url(None, env["CALCULATOR_INSTANCE_PATH"], environ=env)


def create_key(env: dict[str, str], name: str) -> str:
    """A new API key of ``name`` for the service of ``env``, made as `calculator keys
    create` makes it (the database is migrated first), in this process: a new interpreter
    would import the calculator again before the service starts."""
    from calculator.storage import Store

    store = Store.open(service_url(env))
    try:
        return store.keys.create(name)[1]
    finally:
        store.dispose()


@contextmanager
def service(env: dict[str, str], port: int, workers: int, log: Path, threads: int = 1,
            server: str = "gunicorn"):
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(BIN / "calculator"), "serve", "--port", str(port), "--workers", str(workers),
             "--threads", str(threads), "--server", server],
            env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the service exited; see {log}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the service did not answer /health within 60 s")
            time.sleep(0.2)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            # A server stopped while its workers still boot may never exit on SIGTERM
            # (granian, decision 0123): kill the whole group rather than leave it running.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def verify(client: Client, results: Results) -> dict[str, int]:
    """Every 201 readable; the list holds exactly the distinct assessments made."""
    unreadable = wrong = 0
    for assessment_id, request in results.created.items():
        status, document, _ = client.call("GET", f"/v1/assessments/{assessment_id}")
        if status != 200:
            unreadable += 1
        elif document["input"]["sha256"] != request.sha256:
            wrong += 1
    listed: list[str] = []
    status, page, _ = client.call("GET", "/v1/assessments?page_size=100")
    total = page["total"]
    while True:
        listed += [item["id"] for item in page["items"]]
        if not page["links"]["next"]:
            break
        status, page, _ = client.call("GET", page["links"]["next"])
    created = set(results.created)
    return {
        "created (distinct ids from 201s)": len(created),
        "listed (total of the list endpoint)": total,
        "lost (created, not readable or not listed)": unreadable + len(created - set(listed)),
        "duplicated (listed more than once or never created)": (
            len(listed) - len(set(listed)) + len(set(listed) - created)
            + max(0, total - len(created))),
        "wrong content (digest differs from the log sent)": wrong,
        "retries that did not return the first id": len(results.retry_mismatches),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server to use (a fresh schema is made and dropped); "
                             "default: SQLite in a temporary instance folder")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (30)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=None,
                        help="loopback port to serve on (default: a free one)")
    args = parser.parse_args()
    mix = {"create": 0.40, "retry": 0.08, "race": 0.02, "lookup": 0.50}

    with tempfile.TemporaryDirectory(prefix="calculator-load-") as tmp, \
            database(args.database_url, Path(tmp)) as (url, described):
        env = service_env(Path(tmp), url)
        key = create_key(env, "load")
        port = args.port or free_port()
        log = Path(tmp) / "serve.log"
        with service(env, port, args.workers, log):
            client = Client(port, key)
            results = Results()
            began = time.monotonic()
            stop = began + args.duration
            threads = [threading.Thread(target=client_loop,
                                        args=(client, results, stop, args.seed + n, mix))
                       for n in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
            checks = verify(client, results)
        if key in log.read_text():
            checks["API key found in the service's log"] = 1

    requests = sum(len(v) for v in results.latencies.values())
    print(f"database: {described}")
    print(f"service: calculator serve, {args.workers} gunicorn workers on 127.0.0.1; "
          f"{args.clients} clients for {elapsed:.1f} s")
    print(f"requests: {requests} in {elapsed:.1f} s = {requests / elapsed:.1f} requests/s")
    print(f"{'kind':<20}{'count':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    for kind in sorted(results.latencies):
        values = results.latencies[kind]
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(results.statuses[kind].items()))
        print(f"{kind:<20}{len(values):>7}{len(values) / elapsed:>8.1f}"
              f"{percentile(values, 50):>9.1f}{percentile(values, 95):>9.1f}"
              f"{percentile(values, 99):>9.1f}  {statuses}")
    errors = Counter(e.split(":")[0] + ": " + e.split(":", 1)[1].strip().split(" ")[0]
                     for e in results.errors)
    print(f"errors: {sum(errors.values())}" + (f" ({dict(errors)})" if errors else ""))
    for name, value in checks.items():
        print(f"{name}: {value}")
    failed = bool(results.errors) or any(
        value for name, value in checks.items() if not name.startswith(("created", "listed")))
    print("result: " + ("FAILED" if failed else "ok: no request lost or duplicated"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
