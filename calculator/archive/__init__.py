"""Terms archives kept in git: reading captures, the normalization quotes are compared
under, quote search with the closest passage, and the archive check of the rules.

Public API (typed, documented in each module):

- ``ArchiveRepository.open(name, location)``: a clone, a bundle or a git URL;
  ``.captures(path)`` (oldest first), ``.text(commit, path)``, ``.capture(commit)``,
  ``.resolve(commit)``; ``open_archives({name: location})``; ``Capture``.
- ``normalize(text)``, ``NormalizedText(raw).contains(quote)`` / ``.closest(quote)``,
  ``contains(text, quote)``, ``Passage``.
- ``check_archives(ruleset, archives)`` -> ``ArchiveCheckReport`` (``failures``,
  ``not_checkable``, ``ok``); ``describe(report)`` for terminal lines.
"""

from calculator.archive.check import check_archives
from calculator.archive.dating import printed_date_forms
from calculator.archive.report import ArchiveCheckReport, Failure, NotCheckable, describe
from calculator.archive.repository import (
    ArchiveError,
    ArchiveRepository,
    Capture,
    default_cache_dir,
    open_archives,
    parse_archive_option,
)
from calculator.archive.text import NormalizedText, Passage, contains, normalize

__all__ = [
    "ArchiveCheckReport",
    "ArchiveError",
    "ArchiveRepository",
    "Capture",
    "Failure",
    "NormalizedText",
    "NotCheckable",
    "Passage",
    "check_archives",
    "contains",
    "default_cache_dir",
    "describe",
    "normalize",
    "open_archives",
    "parse_archive_option",
    "printed_date_forms",
]
