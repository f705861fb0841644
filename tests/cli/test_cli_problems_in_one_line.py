"""Problems of the command line found by feeding it odd input: each is one line on stderr
and exit code 2, never a traceback, and nothing the caller gave is written over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from calculator.cli import main

PROFILE = {"platform": "x", "period": {"start": "2024-12-01", "end": "2024-12-02"},
           "channel": "scraping", "volume": {"total": 1000}, "purposes": ["research"],
           "data_categories": ["public_posts"]}


def one_problem(result, words: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"calculator: {words}"), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_profile_past_a_mebibyte_is_refused_before_it_is_read_whole(runner, tmp_path):
    """``review /dev/zero`` read until memory ran out (a MemoryError traceback)."""
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (1024 * 1024 + 1))
    one_problem(runner.invoke(main, ["review", str(big)]), f"{big} holds more than 1 MiB")
    one_problem(runner.invoke(main, ["review", "-"], input=b"y\n" * 600_000),
                "standard input holds more than 1 MiB")


def test_the_equivalent_log_never_replaces_the_profile_nor_becomes_a_file_named_dash(
        runner, tmp_path, monkeypatch):
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(PROFILE))
    one_problem(runner.invoke(main, ["review", str(profile), "--equivalent-log",
                                     str(profile)]), "--equivalent-log: that is the profile's")
    assert json.loads(profile.read_text()) == PROFILE
    monkeypatch.chdir(tmp_path)
    one_problem(runner.invoke(main, ["review", str(profile), "--equivalent-log", "-"]),
                "--equivalent-log: give a file path")
    assert not (tmp_path / "-").exists()
    one_problem(runner.invoke(main, ["review", str(profile), "--equivalent-log",
                                     str(tmp_path / "no" / "log.csv")]),
                "cannot write the equivalent log")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_an_answer_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path):
    """Standard output on a full disk: an OSError traceback at the interpreter's exit."""
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(PROFILE))
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "calculator", "review", str(profile)],
                              stdout=full, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.getcwd()}, timeout=120)
    assert done.returncode == 2
    assert done.stderr == "calculator: cannot write the answer: No space left on device\n"


@pytest.mark.parametrize(("args", "words"), [
    (["assess", "LOG", "--fail-above", "bogus"], "Invalid value for --fail-above"),
    (["assess", "LOG", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler is the Dask"),
    (["assess"], "Missing argument"),
    (["nosuchcommand"], "No such command 'nosuchcommand'"),
])
def test_a_usage_error_is_one_line_with_exit_code_2(runner, tmp_path, args, words):
    """click printed a block of usage and error lines, with its own exit codes (1 for some,
    which ``budget`` gives to a fleet over its limit)."""
    log = tmp_path / "crawl.csv"
    log.write_text("timestamp,posts\n2025-03-01T00:00:00Z,3\n")
    one_problem(runner.invoke(main, [str(log) if a == "LOG" else a for a in args]), words)


@pytest.mark.parametrize("args", [
    ["worker", "--once", "--keep-jobs", "nan"], ["worker", "--poll", "inf"],
    ["worker", "--poll", "nan"], ["webhooks", "run", "--poll", "nan"],
    ["budget", "reserve", "fleet", "1", "--wait", "--max-wait", "nan"],
])
def test_a_number_of_seconds_or_days_that_is_not_finite_is_refused(runner, args):
    """``nan`` and ``inf`` passed click's ranges: tracebacks (``int(nan)``, ``sleep(inf)``),
    a worker polling without a pause, and a wait past its own limit."""
    one_problem(runner.invoke(main, args), f"Invalid value for '{args[-2]}'")


@pytest.mark.parametrize(("args", "words"), [
    (["--rules", "/nowhere", "--rules", "RULES", "platforms"],
     "--rules is given 2 times; give it once"),
    (["--bogus", "platforms"], "No such option '--bogus'"),
    (["keys", "create", "ci", "--claim-unowned", "--leave-unowned"],
     "--claim-unowned and --leave-unowned are one choice; give one of them"),
    (["budget", "reserve", "fleet", "1", "--max-wait", "100"],
     "--max-wait is the limit of --wait; give both"),
])
def test_options_that_conflict_or_repeat_are_refused_not_resolved_in_silence(runner, args,
                                                                            words):
    """The last --rules was used, the last of a flag pair won, and --max-wait without
    --wait was ignored, each without a word (decision 0159)."""
    from calculator.rules import bundled_rules_dir

    args = [str(bundled_rules_dir()) if a == "RULES" else a for a in args]
    one_problem(runner.invoke(main, args), words)


@pytest.mark.parametrize("args", [
    ["changes", "nosuchdoc", "--from", "2024-01-01", "--to", "2026-05-01", "--json"],
    ["compare", "--clause", "scraping", "--at", "bogus", "--json"],
    ["history", "x.nope", "--json"], ["document", "x.nope", "--json"],
    ["assess", "LOG", "--json", "--fail-above", "bogus"],
])
def test_a_command_asked_for_json_answers_its_problem_in_json_too(runner, tmp_path, args):
    """Commands that failed before their first line printed no problem document under
    --json, and usage errors never did."""
    log = tmp_path / "crawl.csv"
    log.write_text("timestamp,posts\n2025-03-01T00:00:00Z,3\n")
    result = runner.invoke(main, [str(log) if a == "LOG" else a for a in args])
    assert result.exit_code == 2
    problem = json.loads(result.stdout)
    assert problem["type"].startswith("/problems/") and problem["detail"]


@pytest.mark.parametrize(("args", "words"), [
    (["assess", "LOG", "--assume-tz", "Nowhere/Zone"], "--assume-tz: 'Nowhere/Zone' is not"),
    (["assess", "LOG", "--tz=Nowhere/Zone"], "--tz: 'Nowhere/Zone' is not"),
    (["assess", "LOG", "--time-column", "when"], "--time-column: no column named 'when'"),
    (["changes", "x.terms-of-service", "--from", "2025-01-01", "--to", "2024-01-01"],
     "--to: must not be before from"),
])
def test_a_problem_names_the_option_as_the_caller_typed_it(runner, tmp_path, args, words):
    """The core speaks the API's field names: "assume_tz:" answered --assume-tz."""
    log = tmp_path / "crawl.csv"
    log.write_text("timestamp,posts\n2025-03-01T00:00:00Z,3\n")
    one_problem(runner.invoke(main, [str(log) if a == "LOG" else a for a in args]), words)


def test_a_mistyped_database_path_is_refused_not_made_into_an_empty_database(runner,
                                                                           tmp_path):
    """``keys list`` on a path that was never a database made one (and its folders), then
    said that the service was open."""
    typo = tmp_path / "typo" / "db.sqlite"
    one_problem(runner.invoke(main, ["keys", "list", "--database-url", f"sqlite:///{typo}"]),
                "there is no database at")
    assert not typo.parent.exists()


def test_rules_check_of_a_folder_that_does_not_exist_is_a_usage_error(runner, tmp_path):
    """Exit code 1 means the rules have problems; a folder that is not there is a usage
    error (2), as --rules naming one is."""
    one_problem(runner.invoke(main, ["rules", "check", str(tmp_path / "nowhere")]),
                "Invalid value for '[DIRECTORY]'")


def test_standard_input_among_files_is_refused_as_such_not_as_a_file_named_dash(runner,
                                                                               tmp_path):
    log = tmp_path / "crawl.csv"
    log.write_text("timestamp,posts\n2025-03-01T00:00:00Z,3\n")
    one_problem(runner.invoke(main, ["assess", "-", str(log)], input=log.read_text()),
                "- (standard input) is a log on its own")


def test_a_path_holding_a_line_break_keeps_its_problem_on_one_line(runner, tmp_path):
    one_problem(runner.invoke(main, ["assess", str(tmp_path / "no\nsuch.csv")]),
                f"cannot read {tmp_path}/no\\nsuch.csv")
