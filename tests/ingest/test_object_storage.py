"""Logs in object storage beyond S3, each on a real server on loopback: https with a
certificate from a private authority (trusted through SSL_CERT_FILE, the usual
environment), Azure Blob Storage (azurite) and Google Cloud Storage (an emulator of its
JSON API). A partitioned log there reads as the same log on the local disk; a server that
cannot be trusted or reached is named as such, not as "no files"."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import calculator
from calculator.errors import InvalidInput

# One crawl, split by day into files of three forms (written in every store alike).
PARTS = {
    "day=1/part-0.csv": b"timestamp,posts,post_id\n2025-03-01T10:00:00Z,600000,1\n"
                        b"2025-03-01T20:00:00Z,300000,2\n",
    "day=2/part-0.jsonl": b'{"timestamp": "2025-03-02T06:00:00Z", "posts": 400000, '
                          b'"post_id": "1"}\n',
    "day=2/part-1.json": b'[{"timestamp": "2025-03-02T07:00:00Z", "posts": 5, "post_id": "3"}]',
}
# The emulator speaks the JSON API only: gcsfs's probe of a bucket's layout over Google's
# gRPC control API (on by default, read when gcsfs is imported) would retry for a minute.
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
               "KBHBeksoGMGw==")  # azurite's published development account key


def on_disk(tmp_path: Path) -> Path:
    for name, data in PARTS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    return tmp_path


def same_as_on_disk(url: str, tmp_path: Path) -> None:
    """The store's log and the same files on disk give one document, to the cent."""
    local = calculator.assess(str(on_disk(tmp_path)))
    remote = calculator.assess(url)
    assert remote.headline.amount == local.headline.amount > 0
    assert [(r.exact, r.windows) for r in remote.readings] == \
        [(r.exact, r.windows) for r in local.readings]
    assert remote.counts == local.counts
    assert remote.input.sha256 == local.input.sha256  # the digest names the files' bytes
    assert remote.input.rows == 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(command: list[str], port: int, cwd: Path | None = None) -> Iterator[None]:
    """A storage server started for one test, answering on ``port``, stopped after."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"{Path(command[0]).name} stopped at start")
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def fresh_stores() -> Iterator[None]:
    """Each test's own server and environment (fsspec keeps file systems by their
    arguments, so a store from another test is never reused)."""
    import fsspec

    fsspec.AbstractFileSystem.clear_instance_cache()
    yield
    fsspec.AbstractFileSystem.clear_instance_cache()


# -- https with a private certificate authority ---------------------------------------------

@pytest.fixture
def https_site(tmp_path, fresh_stores) -> Iterator[tuple[str, Path]]:
    """Files served over TLS by a certificate of a private authority; the authority's
    certificate file is returned for the client to trust."""
    import trustme

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    site = on_disk(tmp_path / "site" / "crawl").parent
    handler = functools.partial(_QuietFiles, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    authority.cert_pem.write_to_path(str(tmp_path / "authority.pem"))
    try:
        yield f"https://127.0.0.1:{httpd.server_port}", tmp_path / "authority.pem"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_log_over_https_from_a_private_authority_reads_once_it_is_trusted(
        https_site, tmp_path):
    url, authority = https_site
    # The command line, in a process of its own: TLS libraries read SSL_CERT_FILE when
    # they start, as a crawler team's shell would set it.
    env = {**os.environ, "SSL_CERT_FILE": str(authority)}
    program = Path(sys.executable).with_name("calculator")
    # The directory's listing page names the day folders; their files are found through it.
    done = subprocess.run([str(program), "assess", f"{url}/crawl/", "--json", "--quiet"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    remote = json.loads(done.stdout)
    local = calculator.assess(str(on_disk(tmp_path / "local")))
    assert remote["input"]["sha256"] == local.input.sha256
    assert remote["input"]["rows"] == 4
    assert remote["headline"]["amount"] == f"{local.headline.amount:.2f}"


def test_a_certificate_not_trusted_is_named_with_the_variable_that_trusts_it(https_site):
    url, _ = https_site
    with pytest.raises(InvalidInput, match="TLS certificate is not trusted") as caught:
        calculator.assess(f"{url}/crawl/day=1/part-0.csv")
    assert "SSL_CERT_FILE" in str(caught.value)
    assert "no files found" not in str(caught.value)


def test_a_server_that_does_not_answer_is_named_as_unreachable(fresh_stores):
    with pytest.raises(InvalidInput, match=r"could not be reached|Cannot connect") as caught:
        calculator.assess(f"https://127.0.0.1:{free_port()}/crawl/part-0.csv")
    assert "no files found" not in str(caught.value)


# -- Azure Blob Storage (azurite) ----------------------------------------------------------

def _azurite() -> str | None:
    found = shutil.which("azurite-blob")
    local = Path(__file__).resolve().parents[2] / ".ci" / "azurite" / "node_modules" / ".bin"
    return found or (str(local / "azurite-blob") if (local / "azurite-blob").exists() else None)


@pytest.fixture
def azure_store(tmp_path, monkeypatch, fresh_stores) -> Iterator[str]:
    program = _azurite()
    if program is None:
        pytest.skip("Azure tests need azurite (npm); .ci/run installs it")
    port = free_port()
    with serving([program, "--blobHost", "127.0.0.1", "--blobPort", str(port),
                  "--inMemoryPersistence", "--skipApiVersionCheck", "--silent"], port, tmp_path):
        # The usual environment of Azure's libraries: a connection string.
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", (
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"))
        import fsspec

        store = fsspec.filesystem("az")
        store.mkdir("crawls")
        store.pipe({f"crawls/crawl/{name}": data for name, data in PARTS.items()})
        yield "az://crawls/crawl/"


def test_a_partitioned_log_in_azure_blob_storage_is_read_as_one_log(azure_store, tmp_path):
    same_as_on_disk(azure_store, tmp_path)
    by_glob = calculator.assess(azure_store + "day=*/*")
    assert by_glob.input.rows == 4


# -- Google Cloud Storage (an emulator of its JSON API) ------------------------------------

@pytest.fixture
def gcs_store(monkeypatch, fresh_stores) -> Iterator[str]:
    port = free_port()
    emulator = Path(sys.executable).with_name("gcp-storage-emulator")
    with serving([str(emulator), "start", "--host", "127.0.0.1", "--port", str(port),
                  "--in-memory", "--default-bucket", "crawls", "--quiet"], port):
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
        import fsspec

        store = fsspec.filesystem("gs", token="anon")
        store.pipe({f"crawls/crawl/{name}": data for name, data in PARTS.items()})
        yield "gs://crawls/crawl/"


def test_a_partitioned_log_in_google_cloud_storage_is_read_as_one_log(gcs_store, tmp_path):
    same_as_on_disk(gcs_store, tmp_path)
    assert os.environ["STORAGE_EMULATOR_HOST"].startswith("http://127.0.0.1:")
