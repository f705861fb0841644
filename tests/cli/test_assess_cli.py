"""``calculator assess``: the same document as HTTP and Python, and exit codes to gate on."""

from __future__ import annotations

import json

import pytest

import calculator
from calculator.cli import main

LOG = (b"timestamp,posts\n2024-11-14T10:00:00Z,5\n2024-11-15T10:00:00Z,600000\n"
       b"2024-11-15T20:00:00Z,500000\n")


def test_the_cli_http_and_python_give_the_same_document(runner, client, tmp_path):
    path = tmp_path / "crawl.csv"
    path.write_bytes(LOG)
    cli = runner.invoke(main, ["assess", str(path), "--region", "eu-efta-uk", "--tz",
                               "Europe/Dublin", "--json"])
    assert cli.exit_code == 0, cli.output
    http = client.post("/v1/assessments?region=eu-efta-uk&tz=Europe/Dublin", data=LOG,
                       content_type="text/csv")
    python = calculator.assess(str(path), region="eu-efta-uk", tz="Europe/Dublin")
    stored = http.get_json()
    assert {stored.pop(k) for k in ("id", "created_at")} and stored.pop("reference") is None
    assert json.loads(cli.stdout) == stored == python.to_document()
    assert http.get_json()["headline"]["amount"] == "16500.00"
    assert http.get_json()["currency"] == "EUR"


def test_standard_input_is_read_with_a_dash(runner):
    result = runner.invoke(main, ["assess", "-", "--json"], input=LOG)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["counted"] == {"posts": 1_100_000, "accesses": 2}


def test_the_summary_names_the_headline_range_and_assumptions(runner, tmp_path):
    path = tmp_path / "crawl.csv"
    path.write_bytes(LOG)
    result = runner.invoke(main, ["assess", str(path)])
    assert ("headline (worst-case 24-hour periods, pro rata, all posts): USD 16,500.00"
            in result.stdout)
    assert "range: USD 0.00 to USD 30,000.00" in result.stdout
    assert "1 row before 2024-11-15T00:00:00Z" in result.stdout


def test_fail_above_exits_3_when_the_headline_is_over_the_limit(runner, tmp_path):
    path = tmp_path / "crawl.csv"
    path.write_bytes(LOG)
    over = runner.invoke(main, ["assess", str(path), "--fail-above", "16499.99"])
    assert over.exit_code == 3
    assert "above --fail-above USD 16499.99" in over.stderr
    at = runner.invoke(main, ["assess", str(path), "--fail-above", "16500.00"])
    assert at.exit_code == 0


@pytest.mark.parametrize("limit, code", [
    ("16499.99USD", 3), ("USD 16499.99", 3), ("16499.99 usd", 3), ("16500USD", 0),
    ("16499.99", 3)])
def test_fail_above_takes_the_clauses_currency_written_with_the_amount(runner, tmp_path,
                                                                       limit, code):
    path = tmp_path / "crawl.csv"
    path.write_bytes(LOG)
    assert runner.invoke(main, ["assess", str(path), "--fail-above", limit]).exit_code == code


def test_fail_above_in_another_currency_than_the_clauses_is_refused_before_reading(
        runner, tmp_path):
    never_read = tmp_path / "absent.csv"  # refused before the log is opened
    result = runner.invoke(main, ["assess", str(never_read), "--fail-above", "50000EUR"])
    assert result.exit_code == 2
    assert "EUR 50000 is not in the clause's currency" in result.stderr
    assert "prices in USD (rest-of-world part)" in result.stderr
    path = tmp_path / "crawl.csv"
    path.write_bytes(LOG)
    eu = runner.invoke(main, ["assess", str(path), "--region", "eu-efta-uk",
                              "--fail-above", "16499.99EUR"])
    assert eu.exit_code == 3 and "above --fail-above EUR 16499.99" in eu.stderr
    assert runner.invoke(main, ["assess", str(path), "--region", "eu-efta-uk",
                                "--fail-above", "50000USD"]).exit_code == 2


@pytest.mark.parametrize("limit", ["lots", "50,000", "USD50000EUR", "-5", "1e9"])
def test_a_fail_above_that_is_not_an_amount_exits_2_saying_what_is(runner, tmp_path, limit):
    path = tmp_path / "crawl.csv"
    path.write_bytes(LOG)
    result = runner.invoke(main, ["assess", str(path), "--fail-above", limit])
    assert result.exit_code == 2
    assert "15000.00USD" in result.stderr


def test_bad_input_exits_2_with_one_line_naming_row_and_field(runner):
    result = runner.invoke(main, ["assess", "-"], input=b"timestamp,posts\n2024-11-15T10:00Z,-4\n")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "calculator: row 1, posts: is not a whole number of posts from 0 to 1,000,000,000,000"]
    ragged = runner.invoke(main, ["assess", "-"], input=b"timestamp,posts\n2024-11-15T10:00Z,1,2\n")
    assert ragged.stderr.strip().splitlines() == [
        "calculator: row 1: expected 2 fields as in the header, found 3"]  # said once


def test_bad_options_exit_2(runner, tmp_path):
    path = tmp_path / "crawl.csv"
    path.write_bytes(LOG)
    assert runner.invoke(main, ["assess", str(path), "--fail-above", "lots"]).exit_code == 2
    zone = runner.invoke(main, ["assess", str(path), "--tz", "Nowhere/City"])
    assert zone.exit_code == 2 and "tz: 'Nowhere/City'" in zone.stderr
    missing = runner.invoke(main, ["assess", str(tmp_path / "absent.csv")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


def test_the_python_api_gives_a_table_for_notebooks():
    frame = calculator.assess(LOG).to_frame()
    assert len(frame) == 18
    assert set(frame.columns) == {"window", "rate", "basis", "amount", "windows_owing"}


def test_the_format_option_names_every_format_the_readers_read():
    # The help is written out (the readers are not imported to show it); it must list
    # them all, in order.
    from calculator.cli.assess import assess_command
    from calculator.ingest.formats import FORMATS

    option = next(p for p in assess_command.params if p.name == "fmt")
    assert f"({', '.join(FORMATS)})" in option.help


@pytest.mark.parametrize("limit", ["١٦٠٠٠", "16000XYZ1", "16,000"])
def test_fail_above_takes_only_ascii_digits(runner, tmp_path, limit):
    """Digits of other scripts (١٦٠٠٠, Arabic-Indic) were read as 16000."""
    path = tmp_path / "log.csv"
    path.write_text("timestamp,posts\n2025-03-01T00:00:00Z,1\n")
    refused = runner.invoke(main, ["assess", str(path), "--fail-above", limit])
    assert refused.exit_code == 2
    assert "is not an amount such as 15000.00" in refused.stderr
