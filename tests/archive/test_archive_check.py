"""The archive check against the real archives: the bundled rules pass; an altered quote, date or
commit fails naming the file, version, clause and the closest passage."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from calculator.archive import check_archives
from calculator.cli import main
from calculator.rules import bundled_rules_dir, load_ruleset
from tests.conftest import ARCHIVE_DIR, BUNDLES


@pytest.fixture
def report(archive_report):
    return archive_report


def test_every_archived_quote_and_date_of_the_bundled_rules_is_in_the_archive(report):
    assert [str(f) for f in report.failures] == []
    assert report.ok
    assert report.versions_checked >= 55
    assert report.quotes_checked >= 300
    assert report.dates_checked >= 100


def test_texts_no_archive_here_holds_are_named_as_not_checkable(report):
    unchecked = {(n.document, str(n.version)): n.held_by for n in report.not_checkable}
    assert "tosdr/tosdr-versions" in unchecked[("medium.terms-of-service", "2020-09-01")]
    assert "OpenTermsArchive/contrib-versions" in unchecked[
        ("stackoverflow.terms-of-service", "2025-11-13")]


def _small_rules(tmp_path: Path) -> Path:
    """A copy of two platforms' rules, to alter on purpose (the check stays fast)."""
    source = bundled_rules_dir()
    target = tmp_path / "rules"
    target.mkdir()
    shutil.copy(source / "regions.yaml", target / "regions.yaml")
    for platform in ("linkedin", "reddit"):
        shutil.copytree(source / platform, target / platform)
    return target


def _alter(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_altered_quote_date_or_commit_fails_naming_the_place(tmp_path, archives):
    rules = _small_rules(tmp_path)
    # A quote with one word changed.
    _alter(rules / "linkedin" / "privacy-policy.yaml",
           "develop and train artificial intelligence (AI) models",
           "develop and train machine learning models")
    # A first-seen date one day late.
    _alter(rules / "linkedin" / "privacy-policy.yaml",
           "    observed: 2025-11-04\n", "    observed: 2025-11-05\n")
    # A commit that is not in the archive.
    _alter(rules / "linkedin" / "user-agreement.yaml",
           "commit: 413ce7a46635ef23acca5cb96de3eb4824415cda",
           "commit: 413ce7a46635ef23acca5cb96de3eb4824415cdb")
    report = check_archives(load_ruleset(rules), archives)
    assert not report.ok
    by_check = {f.check: f for f in report.failures}

    quote = by_check["quote"]
    assert (quote.file, str(quote.version), quote.clause) == (
        "linkedin/privacy-policy.yaml", "2024-09-18", "linkedin.privacy-policy.ai-training")
    assert "machine learning models" in quote.expected
    assert quote.closest is not None and "artificial intelligence (AI) models" in quote.closest
    assert "closest:" in str(quote)

    observed = by_check["observed"]
    assert (observed.file, str(observed.version), observed.expected) == (
        "linkedin/privacy-policy.yaml", "2025-11-03", "2025-11-05")
    assert "2025-11-04" in observed.message

    commit = by_check["commit"]
    assert commit.file == "linkedin/user-agreement.yaml"
    assert "413ce7a46635ef23acca5cb96de3eb4824415cdb is not in the archive" in commit.message


def test_a_printed_date_the_text_does_not_print_fails(tmp_path, archives):
    rules = _small_rules(tmp_path)
    _alter(rules / "reddit" / "user-agreement.yaml", "  - date: 2023-09-25\n",
           "  - date: 2023-09-26\n")
    report = check_archives(load_ruleset(rules), archives)
    printed = [f for f in report.failures if f.check == "printed-date"]
    assert [(f.file, str(f.version)) for f in printed] == [
        ("reddit/user-agreement.yaml", "2023-09-26")]
    assert printed[0].expected == "September 26, 2023"


def test_an_eu_quote_found_only_in_the_us_part_fails(tmp_path, archives):
    rules = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), rules, ignore=shutil.ignore_patterns(
        "linkedin", "reddit", "facebook", "instagram", "threads", "quora", "medium",
        "stackoverflow"))
    tos = rules / "x" / "terms-of-service.yaml"
    # The US part's licence words, put in the EU part's clause version.
    _alter(tos, "You agree that this license includes the right for us to (i) provide, promote, "
                "and improve the Services, including",
           "You agree that this license includes the right for us to (i) analyze text and "
           "other information you provide and to otherwise provide, promote, and improve the "
           "Services, including")
    report = check_archives(load_ruleset(rules), archives)
    failures = [f for f in report.failures if f.clause == "x.terms-of-service.content-licence"]
    assert failures and all("in the part for eu-efta-uk" in f.message for f in failures)


def test_the_command_exits_1_on_a_failure_and_reports_json(tmp_path, runner, archive_options,
                                                            archive_cache):
    rules = _small_rules(tmp_path)
    _alter(rules / "reddit" / "user-agreement.yaml",
           "commit: 7572415812625544154eb75b6099a88d4e44c161",
           "commit: 7572415812625544154eb75b6099a88d4e44c160")
    result = runner.invoke(main, ["--rules", str(rules), "archive", "check", *archive_options,
                                  "--cache", str(archive_cache), "--json"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.output)
    assert document["ok"] is False
    assert [(f["file"], f["version"], f["check"]) for f in document["failures"]] == [
        ("reddit/user-agreement.yaml", "2023-06-19", "commit")]


def test_the_command_passes_and_names_what_no_archive_here_holds(runner, tmp_path,
                                                                   archive_options,
                                                                   archive_cache):
    # The bundled rules pass the same check above (archive_report); the command is run on
    # three platforms' rules, one of them (medium) held by an archive that is not here.
    rules = _small_rules(tmp_path)
    shutil.copytree(bundled_rules_dir() / "medium", rules / "medium")
    result = runner.invoke(main, ["--rules", str(rules), "archive", "check", *archive_options,
                                  "--cache", str(archive_cache)])
    assert result.exit_code == 0, result.output
    assert "0 failures" in result.output
    assert "not checkable here: the text is held by the archive tosdr/tosdr-versions" \
        in result.output


def test_a_bundle_given_by_a_relative_path_is_checked_again_from_the_same_cache(
        runner, tmp_path, monkeypatch):
    # git fetches from inside the cache folder, so a relative bundle path must be resolved
    # against the user's folder first; the second run fetches into the first run's clone.
    # The rules of two platforms this archive holds: what is checked here is where the
    # bundle is found and that the clone is reused (the bundled rules pass above).
    rules = _small_rules(tmp_path)
    workdir = tmp_path / "repo"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    name = "OpenTermsArchive/pga-versions"
    relative = os.path.relpath(ARCHIVE_DIR / BUNDLES[name], workdir)
    assert not os.path.isabs(relative)
    command = ["--rules", str(rules), "archive", "check", "--archive", f"{name}={relative}",
               "--cache", "cache"]
    first = runner.invoke(main, command)
    assert first.exit_code == 0, first.output
    assert "0 failures" in first.output
    second = runner.invoke(main, command)
    assert second.exit_code == 0, second.output
    assert second.output == first.output
    assert len(list((workdir / "cache").glob("*.git"))) == 1


def test_the_command_needs_an_archive_and_says_so(runner):
    result = runner.invoke(main, ["archive", "check"])
    assert result.exit_code == 2
    assert "--archive" in result.output


def test_an_archive_that_is_not_there_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["archive", "check", "--archive",
                                  f"OpenTermsArchive/pga-versions={tmp_path / 'none.bundle'}"])
    assert result.exit_code == 2
    assert "is neither a folder, a bundle nor a git URL" in result.output


def test_a_file_that_is_no_archive_is_told_by_gits_reason_not_the_tail_of_its_hint(
        runner, tmp_path):
    """The last line of git's error was quoted: "git clone failed: and the repository
    exists."."""
    log = tmp_path / "crawl.csv"
    log.write_text("timestamp,posts\n2025-03-01T00:00:00Z,3\n")
    result = runner.invoke(main, ["archive", "check", "--cache", str(tmp_path / "cache"),
                                  "--archive", f"OpenTermsArchive/pga-versions={log}"])
    assert result.exit_code == 2
    assert "git clone failed: error:" in result.stderr or "git clone failed: fatal:" in \
        result.stderr
    assert "repository exists" not in result.stderr
