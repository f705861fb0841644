"""What the archive check found: its failures, what it could not check here, and the report
as terminal lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Failure:
    """One thing the archive does not bear out, with where it is and what was expected."""

    file: str  # the rule file, relative to the rules directory
    document: str
    version: date  # the document version checked
    clause: str | None  # the clause id, when a clause's words failed
    check: str  # quote, context, printed-date, observed, last-absent, published, commit, path
    expected: str  # the words or the date the rules state
    message: str  # one sentence saying what is wrong
    archive: str | None = None
    path: str | None = None
    commit: str | None = None
    closest: str | None = None  # the passage of the text most like the expected words
    similarity: float | None = None  # 0 to 100

    def __str__(self) -> str:
        where = f"{self.file}, version {self.version}"
        if self.clause:
            where += f", {self.clause}"
        line = f"{where}: {self.message}"
        if self.closest:
            line += f"\n    expected: {self.expected}\n    closest:  {self.closest}"
        return line


@dataclass(frozen=True)
class NotCheckable:
    """A version (or one clause version's own source) that no given archive holds."""

    file: str
    document: str
    version: date
    clause: str | None
    held_by: str  # the archive or page that holds the text
    quotes: int  # how many quotes and contexts stay unchecked

    def __str__(self) -> str:
        what = f"{self.file}, version {self.version}" + (f", {self.clause}" if self.clause else "")
        return (f"{what}: not checkable here: the text is held by {self.held_by} "
                f"({self.quotes} quote{'s' if self.quotes != 1 else ''} unchecked)")


@dataclass
class ArchiveCheckReport:
    """What was checked and what failed; ``ok`` when nothing failed."""

    archives: tuple[str, ...]
    versions_checked: int = 0
    quotes_checked: int = 0
    dates_checked: int = 0
    failures: list[Failure] = field(default_factory=list)
    not_checkable: list[NotCheckable] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def describe(report: ArchiveCheckReport) -> list[str]:
    """The report as lines for a terminal: failures, then what is not checkable here."""
    lines = [str(f) for f in report.failures]
    lines += [str(n) for n in report.not_checkable]
    lines.append(
        f"{'FAILED' if report.failures else 'ok'}: {report.versions_checked} document versions, "
        f"{report.quotes_checked} quotes and contexts, {report.dates_checked} dates checked "
        f"against {', '.join(report.archives) or 'no archive'}; {len(report.failures)} "
        f"failure{'s' if len(report.failures) != 1 else ''}, {len(report.not_checkable)} not "
        "checkable here")
    return lines
