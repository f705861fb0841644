"""Locations that no storage can serve are answered in words, on one line: a store that
connects as it is opened and cannot be reached, a protocol whose package is missing, a
store that cannot be set up without credentials, a package's own message of a hundred
lines. And what a storage package logs on the way (retries, with tracebacks) reaches the
command line as one line each."""

from __future__ import annotations

import importlib
import socket
import subprocess
import sys

import pytest

import calculator
from calculator.errors import InvalidArgument, InvalidInput


def _closed_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]  # closed again when the test connects


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "calculator", "assess", *args],
                          capture_output=True, text=True, timeout=120)


def test_a_store_that_cannot_be_reached_as_it_is_opened_is_one_line_and_exit_2():
    # fsspec's FTP store connects in its constructor: a refused connection was a traceback.
    location = f"ftp://127.0.0.1:{_closed_port()}/crawl/log.csv"
    done = _cli(location)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"calculator: cannot reach {location}: Connection refused"]


def test_a_protocol_whose_package_is_missing_names_the_package_fsspec_names():
    from fsspec.registry import known_implementations

    missing = None
    for protocol, spec in sorted(known_implementations.items()):
        module = spec["class"].rsplit(".", 1)[0]
        try:
            importlib.import_module(module)
        except ImportError:
            missing = protocol, spec.get("err", "")
            break
    assert missing is not None, "every fsspec implementation is installed"
    protocol, _ = missing
    with pytest.raises(InvalidArgument, match=rf"reading {protocol}:// locations needs "):
        calculator.assess(f"{protocol}://somewhere/log.csv")


def test_azure_storage_without_an_account_says_where_credentials_are_read(monkeypatch):
    import os

    import adlfs

    for name in [n for n in os.environ if n.startswith("AZURE_STORAGE_")]:
        monkeypatch.delenv(name)
    # fsspec keeps one store per set of arguments: one opened earlier with an account from
    # the environment would be handed out again.
    adlfs.AzureBlobFileSystem.clear_instance_cache()
    with pytest.raises(InvalidInput, match=r"abfs://crawl/log.csv: the storage could not be "
                                           r"set up .*AZURE_STORAGE_CONNECTION_STRING"):
        calculator.assess("abfs://crawl/log.csv")


def test_a_storage_message_of_many_lines_is_cut_to_its_first():
    # pyarrow's HDFS store, without Java, lists every place it looked: 15,533 characters
    # on 89 lines.
    with pytest.raises((InvalidInput, InvalidArgument)) as refused:
        calculator.assess("hdfs://127.0.0.1:1/crawl/log.csv")
    assert "\n" not in refused.value.detail
    assert len(refused.value.detail) < 300


def test_a_storage_packages_log_records_reach_the_command_line_as_one_line_each():
    script = (
        "import logging\n"
        "from calculator.cli.library_logs import library_logs_in_one_line\n"
        "library_logs_in_one_line()\n"
        "try:\n"
        "    raise ConnectionError('Cannot connect to host storage.example:443')\n"
        "except ConnectionError:\n"
        "    logging.getLogger('gcsfs').exception('_request out of retries on exception:'\n"
        "                                         ' Cannot connect\\nsecond line')\n"
        "    logging.getLogger('calculator.jobs').exception('our own failure')\n"
        "logging.getLogger('gcsfs').info('not shown: below a warning')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    lines = done.stderr.splitlines()
    assert lines[0] == "calculator: gcsfs: _request out of retries on exception: Cannot connect"
    # The service's own records keep their traceback: they are ours to debug.
    assert lines[1] == "calculator: calculator.jobs: our own failure"
    assert lines[2] == "Traceback (most recent call last):"
    assert done.stderr.count("Traceback") == 1
    assert "not shown" not in done.stderr
