"""An option that takes one value, given twice on the command line, is a usage error that
names it: click would keep the last value and drop the others without a word (decision
0159)."""

from __future__ import annotations

import pytest

from calculator.cli import main

LOG = "timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-01T19:00:00Z,600000\n"


@pytest.mark.parametrize("args, named", [
    (["assess", "LOG", "--region", "eu-efta-uk", "--region", "rest-of-world"], "--region"),
    (["assess", "LOG", "--tz=UTC", "--tz", "Europe/Berlin"], "--tz"),
    (["clause", "x.terms-of-service.liquidated-damages", "--at", "2025-01-01",
      "--at=2020-01-01"], "--at"),
    # In a group of commands, before anything is sent to a service.
    (["budget", "create", "fleet", "--platform", "x", "--region", "eu-efta-uk",
      "--region", "rest-of-world", "--url", "http://127.0.0.1:9"], "--region"),
])
def test_an_option_given_twice_is_a_usage_error_naming_it(runner, tmp_path, args, named):
    log = tmp_path / "crawl.csv"
    log.write_text(LOG)
    result = runner.invoke(main, [str(log) if a == "LOG" else a for a in args])
    assert result.exit_code == 2
    # One line, as every problem of the command line is.
    assert result.output.startswith(f"calculator: {named} is given 2 times; give it once")
    assert result.output.count("\n") == 1


def test_flags_and_options_of_several_values_may_repeat(runner, tmp_path):
    log = tmp_path / "crawl.csv"
    log.write_text(LOG)
    result = runner.invoke(main, ["assess", str(log), "--json", "--json", "-q", "-q"])
    assert result.exit_code == 0, result.output
