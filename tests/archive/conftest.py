"""The real terms archives (git bundles of the shared reference), cloned once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from calculator.archive import ArchiveRepository

ARCHIVE_DIR = Path(__file__).resolve().parents[3] / "shared" / "reference" / "terms-archive"
BUNDLES = {
    "OpenTermsArchive/pga-versions": "pga-versions.bundle",
    "OpenTermsArchive/vlopses-us-versions": "vlopses-us-versions.bundle",
    "xdevplatform/docs": "xdevplatform-docs.bundle",
}


@pytest.fixture(scope="session")
def archive_cache(tmp_path_factory) -> Path:
    missing = [f for f in BUNDLES.values() if not (ARCHIVE_DIR / f).is_file()]
    if missing:
        pytest.fail(f"the archive check runs against the shared reference archives; missing "
                    f"{', '.join(missing)} in {ARCHIVE_DIR}")
    return tmp_path_factory.mktemp("archives")


@pytest.fixture(scope="session")
def archive_options(archive_cache) -> list[str]:
    """``--archive`` options naming each bundle (cloned into the session's cache)."""
    return [f"--archive={name}={ARCHIVE_DIR / file}" for name, file in BUNDLES.items()]


@pytest.fixture(scope="session")
def archives(archive_cache):
    opened = {name: ArchiveRepository.open(name, ARCHIVE_DIR / file, archive_cache)
              for name, file in BUNDLES.items()}
    yield opened
    for repo in opened.values():
        repo.close()
