"""The twelve platforms encoded from the PGA archive pass the archive check: every quote and
context is in the capture cited, and every date is the capture's (first holding the words,
last without them). The bundle is cloned into a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from calculator.archive import ArchiveRepository, check_archives
from calculator.rules import bundled_rules_dir, load_ruleset

BUNDLE = (Path(__file__).resolve().parents[3] / "shared" / "reference" / "terms-archive"
          / "pga-versions.bundle")
PLATFORMS = ("bluesky", "line", "pinterest", "snapchat", "spotify", "telegram", "tiktok",
             "tumblr", "twitch", "wechat", "whatsapp", "youtube")


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    repository = ArchiveRepository.open("OpenTermsArchive/pga-versions", BUNDLE,
                                        cache_dir=tmp_path_factory.mktemp("archives"))
    yield repository
    repository.close()


@pytest.fixture(scope="module")
def report(ruleset, archive):
    return check_archives(ruleset, {"OpenTermsArchive/pga-versions": archive})


def test_every_quote_and_date_of_the_archived_platforms_is_found_in_its_capture(report):
    ours = [f for f in report.failures if f.document.split(".")[0] in PLATFORMS]
    assert ours == [], "\n".join(str(f) for f in ours)


def test_every_version_of_the_archived_platforms_was_checked_not_skipped(report):
    skipped = [n for n in report.not_checkable if n.document.split(".")[0] in PLATFORMS]
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
