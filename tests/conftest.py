"""Shared fixtures: the bundled rules, the app, its test client and the CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from calculator.app import create_app
from calculator.rules import RuleLookup, bundled_rules_dir, load_ruleset

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


@pytest.fixture(scope="session")
def ruleset():
    return load_ruleset()


@pytest.fixture(scope="session")
def lookup(ruleset):
    return RuleLookup(ruleset)


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def rules_copy(tmp_path) -> Path:
    """A private copy of the bundled rules, for tests that break them on purpose."""
    target = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), target)
    return target
