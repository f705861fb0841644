"""A big JSON Lines upload over HTTP completes as a job, with progress and bounded memory.

Writes a JSON Lines log of --size bytes (default 1 GB: timestamp, posts, post_id, url and
status on each line, 30 days of accesses), starts `calculator serve` (gunicorn, its
embedded job worker, SQLite in a throwaway instance folder), streams the file to
POST /v1/assessments, follows GET /v1/jobs/{id} (phase, bytes, rows) until done, and
samples the resident memory of every server process (the gunicorn arbiter, its web workers
and the job worker) throughout. Beside it, in the same run: the same file assessed by
`calculator.assess` in a fresh process (the local engine, no HTTP), its time and peak. The
two answers must be the same document.

With --upload-only it measures the upload alone, its speed through gunicorn beside a
baseline in the same run: the same gunicorn (sync worker) serving a bare WSGI app that only
reads the body, the same client, the same file, sent with its Content-Length and chunked
(no length said: past the size for an answer in the request it becomes a job without
asking); the bare app once only reading, once also writing the body to a file in the same
folder (what keeping any upload costs). The service runs no job worker then (each job is
deleted once uploaded), so the figure is the upload's; the web worker's peak memory is
reported. Then, in this process without HTTP, the keeping of the upload alone: the
service's writer thread beside reading, hashing and writing in one thread.

    python bench/job_upload.py                 # 1 GB
    python bench/job_upload.py --size 200MB
    python bench/job_upload.py --upload-only
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readers import _slices, measure  # the readers bench's log and its timed child

BIN = Path(sys.executable).parent
LINE_BYTES = 125  # about, for the wide lines below
SEND_BLOCK = 1 << 20  # the client's send size (http.client's default is 8 KiB)


def bare_upload_app(environ: dict, start_response) -> list[bytes]:
    """The baseline server app: reads the body to its end in 1 MiB blocks; on /keep it also
    writes them to a file (what keeping any upload costs: the disk), deleted at once."""
    stream, size = environ["wsgi.input"], 0
    with tempfile.TemporaryFile(dir=os.environ.get("BARE_UPLOAD_DIR")) as kept:
        while block := stream.read(SEND_BLOCK):
            size += len(block)
            if environ["PATH_INFO"] == "/keep":
                kept.write(block)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(size).encode()]


def write_wide_jsonl(path: Path, size: int) -> int:
    rows = max(1, size // LINE_BYTES)
    with path.open("wb") as out:
        for times, posts, ids in _slices(rows, 7, "s"):
            text_ids = pa.array(ids).cast(pa.string())
            parts = ['{"timestamp":"',
                     pa.array(np.datetime_as_string(times, unit="s")), 'Z","posts":',
                     pa.array(posts).cast(pa.string()), ',"post_id":"', text_ids,
                     '","url":"https://x.com/someone/status/', text_ids, '","status":',
                     pa.array(np.where(ids % 17 == 0, "404", "200")), "}\n"]
            lines = pc.binary_join_element_wise(*parts, "")
            out.write("".join(lines.to_pylist()).encode())
    return rows


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(") ", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def memory(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return 0


class Sampler(threading.Thread):
    """The server's processes' resident memory, every 0.2 s: the largest total seen, and
    each process's own peak (VmHWM) as last read."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak_total, self.peaks = root, 0, {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            pids = descendants(self.root)
            self.peak_total = max(self.peak_total, sum(memory(p, "VmRSS") for p in pids))
            for pid in pids:
                self.peaks[pid] = max(self.peaks.get(pid, 0), memory(pid, "VmHWM"))


def command_of(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    text = b" ".join(argv).decode(errors="replace")
    if "worker" in text and "--exit-with" in text:
        return "job worker"
    return "gunicorn arbiter" if pid == 0 else "gunicorn process"


def wait_for(port: int, path: str = "/health") -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not answer")


def send(port: int, log: Path, path: str, headers: dict[str, str], chunked: bool
         ) -> tuple[int, dict, float, http.client.HTTPResponse]:
    """POST the file; (status, answer, seconds, response)."""
    total = log.stat().st_size
    began = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600,
                                            blocksize=SEND_BLOCK)
    with log.open("rb") as body:
        if chunked:
            def blocks():
                while block := body.read(SEND_BLOCK):
                    yield block
            connection.request("POST", path, body=blocks(), headers=headers,
                               encode_chunked=True)
        else:
            connection.request("POST", path, body=body,
                               headers={**headers, "Content-Length": str(total)})
        answer = connection.getresponse()
        text = answer.read()
    seconds = time.perf_counter() - began
    is_json = "json" in (answer.getheader("Content-Type") or "")
    document = json.loads(text) if is_json else {"text": text.decode(errors="replace")}
    connection.close()
    return answer.status, document, seconds, answer


def server_environment(where: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CALCULATOR_") and k != "DATABASE_URL"}
    env["CALCULATOR_INSTANCE_PATH"] = str(where / f"instance-{port}")
    return env


def upload_only(log: Path, where: Path, runs: int) -> None:
    """The upload's speed through gunicorn, beside a bare app's on the same gunicorn (the
    best of ``runs`` uploads each)."""
    total = log.stat().st_size
    with log.open("rb") as warm:  # every run reads the file from the page cache
        while warm.read(1 << 24):
            pass
    rows = []
    for name, argv, path, headers in (
            *((name, [str(BIN / "gunicorn"), "--workers", "1", "--chdir",
                      str(Path(__file__).resolve().parent), "job_upload:bare_upload_app"],
               path, {}) for name, path in (("bare app, reads", "/"),
                                            ("bare app, reads + writes", "/keep"))),
            ("POST /v1/assessments (job)", [str(BIN / "calculator"), "serve",
                                            "--job-workers", "0"], "/v1/assessments",
             {"Content-Type": "application/x-ndjson"})):
        for chunked in (False, True):
            port = free_port()
            command = [*argv, "--bind" if "gunicorn" in argv[0] else "--port",
                       f"127.0.0.1:{port}" if "gunicorn" in argv[0] else str(port)]
            output = (where / f"server-{port}.log").open("w")
            env = {**server_environment(where, port), "BARE_UPLOAD_DIR": str(where)}
            server = subprocess.Popen(command, env=env,
                                      stdout=output, stderr=subprocess.STDOUT)
            try:
                wait_for(port)
                sampler = Sampler(server.pid)
                sampler.start()
                best = None
                for _ in range(runs):
                    status, document, seconds, answer = send(port, log, path, headers,
                                                              chunked)
                    if status == 202:  # the job's upload goes: each run starts with none
                        deleted = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                        deleted.request("DELETE", answer.getheader("Location"))
                        deleted.getresponse().read()
                        deleted.close()
                    best = seconds if best is None else min(best, seconds)
                seconds = best
                sampler.stop.set()
                sampler.join()
            finally:
                server.terminate()
                server.wait(60)
                output.close()
            bare = not path.startswith("/v1/")
            assert status == (200 if bare else 202), (status, document)
            if bare:
                assert int(document["text"]) == total, document
            else:
                assert document["progress"]["bytes_total"] == total, document
            web = max((peak for pid, peak in sampler.peaks.items() if pid != server.pid),
                      default=0)
            rows.append((name, "chunked" if chunked else "Content-Length", seconds, web))
    print(f"upload of {total / 1e9:.2f} GB, client sends {SEND_BLOCK >> 10} KiB blocks, "
          f"best of {runs}")
    print(f"  {'':30} {'body sent with':<15} {'seconds':>8} {'MB/s':>8} {'web worker peak':>16}")
    for name, how, seconds, web in rows:
        print(f"  {name:<30} {how:<15} {seconds:8.2f} {total / 1e6 / seconds:8.0f} "
              f"{web / 2**20:12,.0f} MiB")
    for how in ("Content-Length", "chunked"):
        reads, writes, ours = (next(r[2] for r in rows if r[0] == n and r[1] == how)
                               for n in ("bare app, reads", "bare app, reads + writes",
                                         "POST /v1/assessments (job)"))
        print(f"  ours / bare app, {how}: {ours / reads:.2f}x of reading, "
              f"{ours / writes:.2f}x of reading and writing")


def spooled_in_one_thread(stream, target: Path) -> str:
    """The baseline of the writer thread: read, hash and write a block at a time, in turn."""
    digest = hashlib.sha256()
    with target.open("wb") as out:
        while block := stream.read(SEND_BLOCK):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def fed_socket(log: Path) -> tuple[socket.socket, int]:
    """A socket whose other end a child process fills with the file, as a client would."""
    ours, theirs = socket.socketpair()
    child = os.fork()
    if child == 0:
        ours.close()
        with log.open("rb") as body:
            while block := body.read(SEND_BLOCK):
                theirs.sendall(block)
        theirs.close()
        os._exit(0)
    theirs.close()
    return ours, child


def spool_threads(log: Path, where: Path, runs: int) -> None:
    """Keeping an upload from a socket: the writer thread (Uploads.spool) beside reading,
    hashing and writing in one thread, alternating, in this process (no HTTP)."""
    from calculator.jobs.uploads import Uploads

    folder = where / "spool-ab"
    times: dict[str, list[float]] = {"one thread": [], "writer thread (ours)": []}
    for run in range(runs):
        for name in times:
            connection, child = fed_socket(log)
            with connection, connection.makefile("rb") as stream:
                began = time.perf_counter()
                if name == "one thread":
                    folder.mkdir(exist_ok=True)
                    spooled_in_one_thread(stream, folder / "one.log")
                else:
                    Uploads(folder).spool(stream, f"ours-{run}.log", None)
                times[name].append(time.perf_counter() - began)
            os.waitpid(child, 0)
            for kept in folder.iterdir():
                kept.unlink()
    total = log.stat().st_size
    print(f"keeping {total / 1e9:.2f} GB from a socket (sha256 and disk), in this process, "
          f"best of {runs}")
    for name, seconds in times.items():
        print(f"  {name:<30} {min(seconds):8.2f} s {total / 1e6 / min(seconds):8.0f} MB/s")
    print(f"  one thread / writer thread: "
          f"{min(times['one thread']) / min(times['writer thread (ours)']):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1GB", help="bytes of log (e.g. 1GB, 200MB)")
    parser.add_argument("--dir", type=Path, help="keep the generated file here")
    parser.add_argument("--upload-only", action="store_true",
                        help="measure the upload alone, beside a bare gunicorn app")
    parser.add_argument("--runs", type=int, default=2,
                        help="uploads of each kind with --upload-only (the best counts)")
    args = parser.parse_args()
    units = {"GB": 10**9, "MB": 10**6, "KB": 10**3}
    size = next((int(float(args.size[:-2]) * f) for u, f in units.items()
                 if args.size.upper().endswith(u)), None) or int(args.size)
    folder = tempfile.TemporaryDirectory()
    where = args.dir or Path(folder.name)
    where.mkdir(parents=True, exist_ok=True)
    log = where / f"wide-{size}.jsonl"
    if not log.exists():
        began = time.perf_counter()
        write_wide_jsonl(log, size)
        print(f"wrote {log.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - began:.0f} s")
    total = log.stat().st_size
    if args.upload_only:
        upload_only(log, where, args.runs)
        spool_threads(log, where, args.runs)
        return

    port = free_port()
    server_log = (where / f"server-{port}.log").open("w")
    server = subprocess.Popen([str(BIN / "calculator"), "serve", "--port", str(port)],
                              env=server_environment(where, port), stdout=server_log,
                              stderr=subprocess.STDOUT)
    try:
        wait_for(port)
        sampler = Sampler(server.pid)
        sampler.start()
        began = time.perf_counter()
        status, job, uploaded, answer = send(port, log, "/v1/assessments", {
            "Content-Type": "application/x-ndjson", "Prefer": "respond-async"}, False)
        assert status == 202, (status, job)
        location = answer.getheader("Location")
        print(f"POST /v1/assessments ({total / 1e9:.2f} GB): {status} in "
              f"{uploaded:.1f} s, Location {location}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        last = None
        while job["state"] not in ("done", "failed", "cancelled"):
            time.sleep(1)
            connection.request("GET", location)
            job = json.loads(connection.getresponse().read())
            progress = job["progress"]
            said = (f"  {time.perf_counter() - began:6.1f} s  {job['state']:<8} "
                    f"{job['phase']:<9} {progress['percent']:3d}%  "
                    f"{progress['bytes_read'] / 1e6:8,.0f} MB  {progress['rows_read']:>12,} rows")
            if said.split("s ", 1)[1] != last:
                print(said)
                last = said.split("s ", 1)[1]
        finished = time.perf_counter() - began
        assert job["state"] == "done", job
        connection.request("GET", job["assessment"])
        from_job = json.loads(connection.getresponse().read())
        sampler.stop.set()
        sampler.join()
        peaks = {pid: peak for pid, peak in sampler.peaks.items()}
        roles = {pid: ("gunicorn arbiter" if pid == server.pid else command_of(pid))
                 for pid in peaks}
    finally:
        server.terminate()
        server.wait(60)
        server_log.close()


    local = measure(log, "assess", 1)
    print()
    print(f"{'':34} {'seconds':>8} {'rows/s':>12} {'peak memory':>12}")
    print(f"  {'job over HTTP (upload + assess)':<32} {finished:8.1f} "
          f"{from_job['input']['rows'] / finished:12,.0f} "
          f"{sampler.peak_total / 2**20:9,.0f} MiB  (all server processes together)")
    print(f"  {'  of which the upload':<32} {uploaded:8.1f}")
    print(f"  {'calculator.assess, same file':<32} {local['seconds']:8.1f} "
          f"{local['rows'] / local['seconds']:12,.0f} {local['peak_bytes'] / 2**20:9,.0f} MiB"
          "  (one process, no HTTP)")
    for pid, peak in sorted(peaks.items(), key=lambda item: -item[1]):
        print(f"    peak {peak / 2**20:7,.0f} MiB  {roles[pid]} ({pid})")
    same = (from_job["headline"]["amount"] == local["headline"]
            and from_job["input"]["rows"] == local["rows"])
    print(f"  same answer: {same} (headline {from_job['headline']['amount']} "
          f"{from_job['currency']}, {from_job['input']['rows']:,} rows)")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
