"""A clone of the real PGA archive with one test capture, and rule copies checked through
a date: what the watch's tests share."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ARCHIVE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "terms-archive"
TERMS = "X/Terms of Service.md"
OLD_AMOUNT, NEW_AMOUNT = "$15,000 USD per 1,000,000 posts", "$25,000 USD per 1,000,000 posts"


def git(*args: str, cwd: Path, when: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com"}
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def archive(tmp_path) -> tuple[Path, str]:
    """A clone of the PGA bundle with one more capture: X's US damages amount raised."""
    clone = tmp_path / "pga-versions"
    git("clone", "--quiet", str(ARCHIVE / "pga-versions.bundle"), str(clone), cwd=tmp_path)
    terms = clone / TERMS
    text = terms.read_text(encoding="utf-8")
    assert text.count(OLD_AMOUNT) == 1
    terms.write_text(text.replace(OLD_AMOUNT, NEW_AMOUNT), encoding="utf-8")
    git("commit", "--quiet", "-am", "Record new changes of X Terms of Service", cwd=clone,
        when="2026-09-02T00:30:00+00:00")
    return clone, git("rev-parse", "HEAD", cwd=clone)


def set_checked_through(rules: Path, day: str) -> None:
    path = rules / "x" / "terms-of-service.yaml"
    text = path.read_text(encoding="utf-8")
    if re.search(r"^checked_through:", text, re.M):
        text = re.sub(r"^checked_through:.*$", f"checked_through: {day}", text, flags=re.M)
    else:
        text = text.replace("\nversions:\n", f"\nchecked_through: {day}\n\nversions:\n", 1)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def checked_through():
    """``checked_through(rules_dir, "YYYY-MM-DD")`` sets X's Terms' checked_through."""
    return set_checked_through
