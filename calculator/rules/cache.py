"""A checked ruleset kept between runs of the command line, so that a lookup starts fast.

Reading and checking every rule file takes a few hundred milliseconds; a pipeline that calls
``calculator clause`` once per row pays it every time. The ruleset built from a directory is
kept as a pickle named by a digest of everything it was built from: the rule files' paths
and bytes (the ruleset revision), the directory, the code that reads them
(``calculator/rules/*.py``) and the Python version. Any edit to a rule file or to the
loader gives a new name, so a kept ruleset is never stale; a broken ruleset is never kept
(loading it raises first). The cache is only a shortcut: when it cannot be read or written
(a read-only home, a full disk) the rules are read as usual.

Where: ``CALCULATOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/calculator``, else
``~/.cache/calculator``; ``CALCULATOR_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

from calculator.rules.loader import bundled_rules_dir, load_ruleset, ruleset_revision
from calculator.rules.model import Ruleset

CACHE_ENV = "CALCULATOR_CACHE_DIR"
_CODE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return None if configured.lower() == "off" else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "calculator"


def _key(root: Path) -> str:
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:3]}\0{root.resolve()}\0".encode())
    digest.update(ruleset_revision(root).encode())
    for source in sorted(_CODE.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def load_ruleset_cached(directory: str | os.PathLike[str] | None = None) -> Ruleset:
    """``load_ruleset(directory)``, from the cache when the same rules were read before."""
    folder = cache_dir()
    root = Path(directory) if directory is not None else bundled_rules_dir()
    if folder is None or not root.is_dir():
        return load_ruleset(directory)
    path = folder / f"ruleset-{_key(root)}.pickle"
    try:
        with path.open("rb") as kept:
            found = pickle.load(kept)
        if isinstance(found, Ruleset):
            return found
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError):
        pass
    ruleset = load_ruleset(directory)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".tmp") as out:
            pickle.dump(ruleset, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(out.name, path)
        _forget_old(folder, keep=path)
    except OSError:
        pass
    return ruleset


def _forget_old(folder: Path, keep: Path, kept: int = 8) -> None:
    """Keep the newest few rulesets (a few checkouts or rule folders), not every edit's."""
    found = sorted(folder.glob("ruleset-*.pickle"), key=lambda p: p.stat().st_mtime,
                   reverse=True)
    for old in found[kept:]:
        if old != keep:
            old.unlink(missing_ok=True)
