"""Opening the service to the network without API keys is a deliberate choice."""

from __future__ import annotations

import subprocess

import pytest

from calculator.cli.serve import is_loopback
from tests.running_servers import create_key


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"])
def test_loopback_addresses_are_recognized(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "192.0.2.10"])
def test_network_addresses_are_not_loopback(host):
    assert not is_loopback(host)


def test_serving_on_all_addresses_without_a_key_is_refused_with_how_to_make_one(server_env):
    finished = subprocess.run(["calculator", "serve", "--host", "0.0.0.0", "--port", "1"],
                              env=server_env, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 2
    assert "calculator keys create NAME" in finished.stderr
    assert "--allow-anonymous" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_the_setting_opens_it_on_purpose(start_server, server_env, tmp_path):
    env = {**server_env, "CALCULATOR_ALLOW_ANONYMOUS": "1"}
    with start_server(tmp_path, "--host", "0.0.0.0", env=env) as served:
        assert served.health_seconds() < 5


def test_once_a_key_exists_it_may_serve_on_all_addresses(start_server, server_env, tmp_path):
    create_key(server_env, "ops")
    with start_server(tmp_path, "--host", "0.0.0.0", env=server_env) as served:
        assert served.health_seconds() < 5
