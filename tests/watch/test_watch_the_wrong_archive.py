"""A watch pointed at a repository that is not the archive the rules cite (an empty one,
or a folder inside another project) said "0 new observations" and exited 0: a reader took
that as the terms being unchanged."""

from __future__ import annotations

from calculator.cli import main
from tests.watch.conftest import git


def test_a_watch_of_an_archive_holding_none_of_the_tracked_documents_is_refused(
        runner, tmp_path, rules_copy, checked_through):
    checked_through(rules_copy, "2026-07-01")
    other = tmp_path / "not-the-archive"
    other.mkdir()
    git("init", "--quiet", cwd=other)
    (other / "README.md").write_text("another project\n")
    git("add", "README.md", cwd=other)
    git("commit", "--quiet", "-m", "start", cwd=other, when="2026-09-02T00:00:00+00:00")
    result = runner.invoke(main, [
        "--rules", str(rules_copy), "watch", "--archive",
        f"OpenTermsArchive/pga-versions={other}",
        "--database-url", f"sqlite:///{tmp_path / 'watch.sqlite'}"])
    assert result.exit_code == 2, result.output
    assert "none of the documents the rules track has a capture" in result.stderr
    assert "0 new observation" not in result.output
