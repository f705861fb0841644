"""The twelve platforms encoded from the PGA archive pass the archive check: every quote and
context is in the capture cited, and every date is the capture's (first holding the words,
last without them). The archives are cloned once per session (tests/conftest.py)."""

from __future__ import annotations

import shutil

import pytest

from calculator.archive import check_archives, normalize
from calculator.rules import bundled_rules_dir, load_ruleset

PLATFORMS = ("bluesky", "line", "pinterest", "snapchat", "spotify", "telegram", "tiktok",
             "tumblr", "twitch", "wechat", "whatsapp", "youtube")
# Peers encoded before, whose histories were completed from the same archive.
COMPLETED = ("facebook.terms-of-service-eu", "instagram.terms-of-use", "threads.terms-of-use",
             "reddit.user-agreement")


def ours(document: str) -> bool:
    return document.split(".")[0] in PLATFORMS or document in COMPLETED


@pytest.fixture
def archive(archives):
    return archives["OpenTermsArchive/pga-versions"]


@pytest.fixture
def report(archive_report):
    """The check of the bundled rules against every archive: these platforms' texts are all
    in the PGA archive, so their failures and skips are those of a check against it alone."""
    return archive_report


def test_every_quote_and_date_of_the_archived_platforms_is_found_in_its_capture(report):
    failures = [f for f in report.failures if ours(f.document)]
    assert failures == [], "\n".join(str(f) for f in failures)


def test_every_version_of_the_archived_platforms_was_checked_not_skipped(report):
    skipped = [n for n in report.not_checkable if ours(n.document)]
    assert skipped == []


def test_an_altered_pinterest_quote_fails_the_check_naming_file_version_and_clause(
        archive, tmp_path):
    rules = tmp_path / "rules"
    (rules / "pinterest").mkdir(parents=True)
    shutil.copy(bundled_rules_dir() / "regions.yaml", rules / "regions.yaml")
    shutil.copy(bundled_rules_dir() / "pinterest" / "platform.yaml", rules / "pinterest")
    text = (bundled_rules_dir() / "pinterest" / "terms-of-service.yaml").read_text()
    altered = text.replace("such as by using automated means (without our express prior "
                           "permission), or access", "such as by using automated means "
                           "(without our prior permission), or access", 1)
    assert altered != text
    (rules / "pinterest" / "terms-of-service.yaml").write_text(altered)
    report = check_archives(load_ruleset(rules), {"OpenTermsArchive/pga-versions": archive})
    assert [(f.file, f.version.isoformat(), f.clause, f.check) for f in report.failures] == [
        ("pinterest/terms-of-service.yaml", "2023-08-02",
         "pinterest.terms-of-service.scraping-prohibition", "quote")]
    assert "express prior permission" in report.failures[0].closest


def _rows(raw: str) -> list[dict[str, str]]:
    """The rows of X's data processing summary in one capture: purpose, data, basis."""
    table = raw[raw.index("Processing purpose"):raw.index("We do not collect X for Web")]
    rows = []
    for block in table.split("\nProcessing purpose\n")[1:]:
        purpose, _, rest = block.partition("\nData\n")
        data, _, basis = rest.partition(
            "Primary legal basis/bases for processing personal data from the EU, EFTA States, "
            "and UK")
        rows.append({"purpose": normalize(purpose), "data": normalize(data),
                     "basis": normalize(basis)})
    return rows


def test_every_row_of_x_processing_table_is_that_row_in_every_capture_in_force(ruleset, archive):
    """The archive check proves quotes; this proves the table's parameters: each encoded row's
    heading, data categories and legal-basis words are in one and the same row of the text."""
    document = ruleset.documents["x.data-processing"]
    (version,) = ruleset.clauses["x.data-processing.processing-purposes"].versions
    captures = [v.source for v in document.versions if v.date >= version.date]
    assert len(captures) == 4
    for source in captures:
        rows = _rows(archive.text(source.commit, source.path))
        for entry in version.parameters["purposes"]:
            heading = normalize(entry["purpose"])
            matching = [r for r in rows if r["purpose"].startswith(heading)]
            assert matching, (source.commit, entry["key"])
            row = matching[0] if len(matching) == 1 else next(
                r for r in matching if all(normalize(i) in r["purpose"]
                                           for i in entry["includes"]))
            for words in entry["includes"]:
                assert normalize(words) in row["purpose"], (source.commit, entry["key"], words)
            for category in entry["data"]:
                assert normalize(category) in row["data"], (source.commit, entry["key"], category)
            for words in entry["legal_basis_words"]:
                assert normalize(words) in row["basis"], (source.commit, entry["key"], words)
