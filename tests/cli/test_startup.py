"""The command line starts fast: a pipeline calls it often (issue 14). Speed itself is measured
by bench/cli_startup.py; these check what makes it fast: nothing heavy imported before a
command needs it, and the rules read once and kept until they change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from calculator.rules import load_ruleset
from calculator.rules.cache import load_ruleset_cached
from calculator.rules.loader import bundled_rules_dir

HEAVY = ("pandas", "numpy", "pyarrow", "sqlalchemy", "flask", "alembic")
# What --version and --help need not even check rules or serialize documents.
NOT_FOR_HELP = ("calculator.rules", "marshmallow")
PROBE = ("import sys\nfrom calculator.cli import main\ntry:\n    main(sys.argv[1:])\n"
         "except SystemExit:\n    pass\n"
         f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")


@pytest.mark.parametrize("args", [
    ["--version"], ["--help"], ["assess", "--help"],
    ["clause", "x.terms-of-service.liquidated-damages", "--at", "2025-01-01"],
    ["changes", "x.terms-of-service", "--from", "2024-01-01", "--to", "2026-05-01", "--json"],
])
def test_version_help_and_rule_lookups_import_no_data_or_web_library(args, tmp_path):
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          env={**os.environ, "CALCULATOR_CACHE_DIR": str(tmp_path)}, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_neither_load_rules_nor_documents(args):
    probe = PROBE.replace(repr(HEAVY), repr(NOT_FOR_HELP))
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True,
                          check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr


def test_every_command_is_listed_in_help(runner):
    from calculator.cli import main

    listed = runner.invoke(main, ["--help"]).stdout
    for name in ("assess", "changes", "clause", "document", "documents", "history", "keys",
                 "migrate", "platforms", "review", "rules", "serve"):
        assert f"  {name} " in listed


def test_a_kept_ruleset_is_the_ruleset_the_files_give(tmp_path, monkeypatch):
    monkeypatch.setenv("CALCULATOR_CACHE_DIR", str(tmp_path / "cache"))
    first = load_ruleset_cached()
    kept = load_ruleset_cached()
    assert list((tmp_path / "cache").glob("ruleset-*.pickle"))
    assert first == kept == load_ruleset()


def test_an_edited_rule_file_is_read_again_not_taken_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CALCULATOR_CACHE_DIR", str(tmp_path / "cache"))
    rules = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), rules)
    before = load_ruleset_cached(rules)
    platform = rules / "x" / "platform.yaml"
    text = platform.read_text()
    platform.write_text(text.replace("name: X (formerly Twitter)", "name: X Corp.", 1))
    after = load_ruleset_cached(rules)
    assert after.revision != before.revision
    assert after.platforms["x"].name == "X Corp."


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("CALCULATOR_CACHE_DIR", str(blocked / "cache"))
    assert load_ruleset_cached() == load_ruleset()
