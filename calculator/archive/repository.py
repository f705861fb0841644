"""Reading a terms archive kept in git: its captures of a file, and a file's text at a capture.

An archive is a git repository in which each commit records one observed version of one
document (Open Terms Archive's layout: one folder per platform, one Markdown file per
document). It may be given as a local clone, a git bundle, or a URL; bundles and URLs are
cloned once (bare) into a cache folder and reused.

Speed: one ``git log`` per path lists its captures, and one long-lived ``git cat-file
--batch`` process per repository reads every text, so checking hundreds of quotes costs a
handful of processes, not one per quote.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from calculator.errors import CalculatorError, InvalidArgument, shortened

FULL_COMMIT = re.compile(r"^[0-9a-f]{40}$")
CACHE_ENV = "CALCULATOR_ARCHIVE_CACHE"


class ArchiveError(CalculatorError):
    """An archive that cannot be opened or read (not a repository, a broken bundle)."""

    slug = "archive-unreadable"
    title = "The archive could not be read"


@dataclass(frozen=True)
class Capture:
    """One commit that changed a file: the archive saw this text first on ``date``."""

    commit: str  # full 40-hex id
    when: datetime  # commit time, UTC
    message: str  # "First record of ...", "Record new changes of ...", "Apply technical ..."

    @property
    def date(self) -> date:
        return self.when.date()

    @property
    def technical(self) -> bool:
        """A re-extraction by the archive engine ("Apply technical or declaration upgrade",
        "Refilter" in its early days), not a change of the published terms."""
        return self.message.startswith(("Apply technical", "Refilter"))


def default_cache_dir() -> Path:
    """Where bundles and URLs are cloned: ``CALCULATOR_ARCHIVE_CACHE`` or the user's cache."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "calculator" / "archives"


def _git(args: list[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False,
                              timeout=600)
    except FileNotFoundError:
        raise ArchiveError("git is not installed; the archive check reads archives with git") \
            from None
    if done.returncode != 0:
        # git's reason is its first "fatal:" or "error:" line: the last line was the tail
        # of a hint ("and the repository exists.").
        lines = [line.strip() for line in
                 done.stderr.decode("utf-8", "replace").strip().splitlines() if line.strip()]
        reasons = [line for line in lines if line.startswith(("fatal:", "error:"))]
        reason = (reasons or lines or ["no message"])[0]
        raise ArchiveError(f"git {args[0]} failed: {shortened(reason, 300)}")
    return done.stdout.decode("utf-8", "replace")


def _is_url(location: str) -> bool:
    return bool(re.match(r"^(https?|ssh|git|file)://", location)) or bool(
        re.match(r"^[\w.-]+@[\w.-]+:", location))


class ArchiveRepository:
    """One archive: a git repository, opened for reading. Use as a context manager or
    call ``close()`` to end its reader process."""

    def __init__(self, name: str, git_dir: Path) -> None:
        self.name = name
        self.git_dir = git_dir
        self._captures: dict[str, tuple[Capture, ...]] = {}
        self._texts: dict[tuple[str, str], str | None] = {}
        self._commits: dict[str, Capture | None] = {}
        self._reader: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, name: str, location: str | os.PathLike[str],
             cache_dir: Path | None = None) -> ArchiveRepository:
        """Open ``location``: a clone (used in place), a ``.bundle`` file or a git URL
        (cloned bare into ``cache_dir`` once, fetched again on later opens)."""
        given = text = os.fspath(location)
        if not _is_url(text):
            # git fetches from inside the cache folder, where a relative path would name
            # something else; the absolute path also gives one cache key per bundle however
            # it was spelled.
            text = os.path.abspath(text)
        path = Path(text)
        if not _is_url(text) and path.is_dir():
            git_dir = Path(_git(["rev-parse", "--absolute-git-dir"], cwd=path).strip())
            return cls(name, git_dir)
        if not _is_url(text) and not path.exists():
            raise ArchiveError(f"archive {name}: {given} is neither a folder, a bundle nor a "
                               "git URL")
        # Absolute, so the opened repository's git_dir stays right if the process changes
        # its working folder later.
        cache = Path(os.path.abspath(cache_dir or default_cache_dir()))
        key = hashlib.sha256(text.encode()).hexdigest()[:16]
        target = cache / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}-{key}.git"
        if (target / "HEAD").is_file():
            if _is_url(text) or path.is_file():
                _git(["fetch", "--quiet", text, "+refs/heads/*:refs/heads/*"], cwd=target)
        else:
            cache.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            _git(["clone", "--quiet", "--bare", text, str(partial)])
            partial.rename(target)
        return cls(name, target)

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                if self._reader.stdin:
                    self._reader.stdin.close()
                self._reader.wait(timeout=10)
                if self._reader.stdout:
                    self._reader.stdout.close()
                self._reader = None

    def __enter__(self) -> ArchiveRepository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------

    def resolve(self, commit: str) -> str | None:
        """The full 40-hex id of ``commit`` (a full or abbreviated id), or None if absent."""
        try:
            return _git(["rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
                        cwd=self.git_dir).strip() or None
        except ArchiveError:
            return None

    def captures(self, path: str) -> tuple[Capture, ...]:
        """Every commit that changed ``path``, oldest first (one ``git log`` per path)."""
        if path not in self._captures:
            out = _git(["log", "--all", "--format=%H%x00%cI%x00%s", "--", path],
                       cwd=self.git_dir)
            found = []
            for line in out.splitlines():
                commit, when, message = line.split("\x00", 2)
                found.append(Capture(commit, datetime.fromisoformat(when).astimezone(UTC),
                                     message))
            found.sort(key=lambda c: c.when)
            self._captures[path] = tuple(found)
        return self._captures[path]

    def capture(self, commit: str) -> Capture | None:
        """The commit itself (its time and message), whatever file it changed; None when the
        archive has no such commit. Read through the same reader process as texts."""
        if commit not in self._commits:
            self._commits[commit] = self._read_commit(commit)
        return self._commits[commit]

    def _read_commit(self, commit: str) -> Capture | None:
        if not re.fullmatch(r"[0-9a-fA-F]{4,40}", commit):
            return None
        found = self._cat(commit, want="commit")
        if found is None:
            return None
        full, body = found
        header, _, message = body.partition("\n\n")
        committer = next((line for line in header.splitlines()
                          if line.startswith("committer ")), None)
        if committer is None:
            return None
        seconds, offset = committer.rsplit(" ", 2)[1:]
        when = datetime.fromtimestamp(int(seconds), UTC)
        del offset  # the instant is what counts; the committer's zone is not kept
        return Capture(full, when, message.strip().splitlines()[0] if message.strip() else "")

    def text(self, commit: str, path: str) -> str | None:
        """The file's text as it stood at ``commit``; None when the commit or the file is
        not in the archive."""
        key = (commit, path)
        if key not in self._texts:
            found = self._cat(f"{commit}:{path}", want="blob")
            self._texts[key] = found[1] if found is not None else None
        return self._texts[key]

    def _cat(self, spec: str, want: str) -> tuple[str, str] | None:
        """(full id, content) of one object through ``git cat-file --batch``; None when it
        is missing or not of the kind wanted."""
        with self._lock:
            if self._reader is None:
                self._reader = subprocess.Popen(
                    ["git", "cat-file", "--batch"], cwd=self.git_dir,
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            reader = self._reader
            assert reader.stdin is not None and reader.stdout is not None
            reader.stdin.write(spec.encode("utf-8") + b"\n")
            reader.stdin.flush()
            header = reader.stdout.readline().decode("utf-8", "replace").rstrip("\n")
            if header.endswith(" missing") or header.endswith(" ambiguous") or not header:
                return None
            full, kind, size = header.rsplit(" ", 2)
            body = reader.stdout.read(int(size))
            reader.stdout.read(1)  # the newline after every object
            if kind != want:
                return None
            return full, body.decode("utf-8", "replace")


def open_archives(specs: dict[str, str], cache_dir: Path | None = None
                  ) -> dict[str, ArchiveRepository]:
    """Open several archives by name (``{"OpenTermsArchive/pga-versions": "pga.bundle"}``)."""
    opened: dict[str, ArchiveRepository] = {}
    try:
        for name, location in specs.items():
            opened[name] = ArchiveRepository.open(name, location, cache_dir)
    except Exception:
        for repo in opened.values():
            repo.close()
        raise
    return opened


def parse_archive_option(value: str) -> tuple[str, str]:
    """``NAME=PATH|GIT-URL`` as given on the command line."""
    name, sep, location = value.partition("=")
    if not sep or not name.strip() or not location.strip():
        raise InvalidArgument(f"--archive: expected NAME=PATH or NAME=GIT-URL, got {value!r}")
    return name.strip(), location.strip()
