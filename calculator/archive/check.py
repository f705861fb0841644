"""The archive check: every quoted word and every date of the rules, against the archived text.

For every document version whose source names an archive, a path and a commit, the text
of that file at that commit must hold every quote and context of every clause version in
force on the version's date (for its parts), after the normalization of
``calculator.archive.text``; a printed effective date must be printed in it; ``observed``
must be the date of the first capture holding the version's new words and ``last_absent``
the date of the last capture without them. A source that no given archive holds is listed
as not checkable here, by name, never skipped in silence
(docs/decisions/0070-archive-check.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from calculator.archive.repository import FULL_COMMIT, ArchiveRepository, Capture
from calculator.archive.text import NormalizedText, normalize
from calculator.rules.lookup import intervals
from calculator.rules.model import ClauseVersion, Document, DocumentVersion, Ruleset, Source

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


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


def printed_date_forms(day: date) -> list[str]:
    """The ways a page prints a date: "November 15, 2024", "15 November 2024", ISO, ..."""
    month = _MONTHS[day.month - 1]
    return [f"{month} {day.day}, {day.year}", f"{month} {day.day:02d}, {day.year}",
            f"{day.day} {month} {day.year}", f"{day.day:02d} {month} {day.year}",
            f"{month[:3]} {day.day}, {day.year}", f"{month[:3]}. {day.day}, {day.year}",
            day.isoformat(), f"{day.month}/{day.day}/{day.year}",
            f"{day.month:02d}/{day.day:02d}/{day.year}",
            f"{day.day:02d}.{day.month:02d}.{day.year}"]


def _prints_date(text: NormalizedText, day: date) -> bool:
    forms = printed_date_forms(day)
    return any(re.search(r"(?<![\w/.-])" + re.escape(f) + r"(?![\w/-]|\.\d)", text.text)
               for f in forms)


class _Checker:
    def __init__(self, ruleset: Ruleset, archives: Mapping[str, ArchiveRepository]) -> None:
        self.ruleset = ruleset
        self.archives = archives
        self.report = ArchiveCheckReport(archives=tuple(sorted(archives)))
        self._texts: dict[tuple[str, str, str], NormalizedText | None] = {}

    # -- reading ---------------------------------------------------------------------------

    def text(self, source: Source) -> NormalizedText | None:
        assert source.archive and source.path and source.commit
        key = (source.archive, source.commit, source.path)
        if key not in self._texts:
            raw = self.archives[source.archive].text(source.commit, source.path)
            self._texts[key] = NormalizedText(raw) if raw is not None else None
        return self._texts[key]

    def capture_text(self, repo: ArchiveRepository, capture: Capture,
                     path: str) -> NormalizedText:
        key = (repo.name, capture.commit, path)
        if key not in self._texts:
            raw = repo.text(capture.commit, path)
            self._texts[key] = NormalizedText(raw or "")
        found = self._texts[key]
        return found if found is not None else NormalizedText("")

    # -- the check -------------------------------------------------------------------------

    def run(self) -> ArchiveCheckReport:
        for document in sorted(self.ruleset.documents.values(), key=lambda d: d.id):
            self.document(document)
        return self.report

    def document(self, document: Document) -> None:
        doc_sources = {v.source for v in document.versions}
        for version in document.versions:
            self.version(document, version, doc_sources)
        # Clause versions quoted from another text than the document's own versions.
        for clause in document.clauses:
            for cv in clause.versions:
                if cv.present and cv.source not in doc_sources:
                    self.own_source(document, cv)

    def in_force(self, document: Document, version: DocumentVersion,
                 doc_sources: set[Source]) -> list[ClauseVersion]:
        """The present clause versions, quoted from the document's text, in force on the
        version's date for one of its parts."""
        found: dict[int, ClauseVersion] = {}
        for clause in document.clauses:
            for region in version.regions:
                for cv, interval in intervals(clause.timeline(region)):
                    if cv.present and cv.source in doc_sources \
                            and interval.contains(version.starts):
                        found[id(cv)] = cv
        return list(found.values())

    def unchecked(self, document: Document, version: DocumentVersion, clause: str | None,
                  source: Source, quotes: int) -> None:
        if source.archive:
            held = f"the archive {source.archive}"
            if source.path:
                held += f" ({source.path})"
        else:
            held = source.held_by or source.url or "no named source"
        if source.archive and source.held_by:
            held += f"; {source.held_by}"
        self.report.not_checkable.append(NotCheckable(
            document.file, document.id, version.date, clause, held, quotes))

    def fail(self, document: Document, version: DocumentVersion, clause: str | None,
             check: str, expected: str, message: str, source: Source,
             text: NormalizedText | None = None) -> None:
        closest = text.closest(expected, margin=40) if text is not None else None
        self.report.failures.append(Failure(
            document.file, document.id, version.date, clause, check, expected, message,
            source.archive, source.path, source.commit,
            closest.text if closest else None, closest.similarity if closest else None))

    def opened(self, document: Document, version: DocumentVersion, clause: str | None,
               source: Source, quotes: int) -> NormalizedText | None:
        """The text a source names, after checking its commit and path; None when it cannot
        be read here (reported as not checkable, or as a failure)."""
        if not (source.archive and source.path) or source.archive not in self.archives:
            self.unchecked(document, version, clause, source, quotes)
            return None
        if not source.commit:
            self.fail(document, version, clause, "commit", source.path,
                      f"the source names no commit of {source.path} in {source.archive}: "
                      "cite the capture that was read", source)
            return None
        repo = self.archives[source.archive]
        if not FULL_COMMIT.match(source.commit):
            self.fail(document, version, clause, "commit", source.commit,
                      f"commit {source.commit} is not a full 40-hex id", source)
            return None
        if repo.capture(source.commit) is None:
            self.fail(document, version, clause, "commit", source.commit,
                      f"commit {source.commit} is not in the archive {source.archive}", source)
            return None
        text = self.text(source)
        if text is None:
            self.fail(document, version, clause, "path", source.path,
                      f"the archive {source.archive} has no file '{source.path}' at commit "
                      f"{source.commit}", source)
        return text

    def version(self, document: Document, version: DocumentVersion,
                doc_sources: set[Source]) -> None:
        clauses = self.in_force(document, version, doc_sources)
        quotes = sum(bool(cv.quote) + len(cv.context) for cv in clauses)
        text = self.opened(document, version, None, version.source, quotes)
        if text is None:
            return
        self.report.versions_checked += 1
        parts = self.parts(document, version, text)
        for cv in clauses:
            regions = [r for r in cv.regions if r in version.regions and r in parts]
            if regions:
                for region in regions:
                    self.words(document, version, cv, parts[region], version.source,
                               f" (in the part for {region})")
            else:
                self.words(document, version, cv, text, version.source)
        self.dates(document, version, clauses, text)
        self.between(document, version, clauses, text)

    def between(self, document: Document, version: DocumentVersion,
                clauses: list[ClauseVersion], text: NormalizedText) -> None:
        """Every later capture of the file, until the next version was first seen (or through
        ``checked_through`` for the latest), must still hold the words in force: otherwise a
        change is missing from the rules."""
        source = version.source
        repo = self.archives[source.archive or ""]
        cited = repo.capture(source.commit or "")
        if cited is None:
            return
        later = [v for v in document.versions
                 if v.date > version.date and set(v.regions) & set(version.regions)]
        if later:
            # Up to the first sign of the next version: its date, its first capture, or the day
            # of its last capture without it (a preview may show part of it that day). For a
            # version dated by captures, that last capture must itself still hold these words.
            following = later[0]
            bounds = [d for d in (following.date, following.published, following.observed,
                                  following.last_absent) if d is not None]
            end = min(bounds)
            inclusive = following.dating == "observed" and following.last_absent == end
        elif document.checked_through is not None:
            end, inclusive = document.checked_through, True
        else:
            return
        own = [cv for cv in clauses if cv.source.path in (None, source.path)]
        # Words missing from the cited capture itself are already reported there.
        kept = {w for cv in own for w in (cv.quote, *cv.context) if w and text.contains(w)}
        for capture in repo.captures(source.path or ""):
            if capture.when <= cited.when or capture.technical:
                continue  # a re-extraction is not a change of the terms
            if capture.date > end or (capture.date == end and not inclusive):
                break
            seen = self.capture_text(repo, capture, source.path or "")
            for cv in own:
                for words in (cv.quote, *cv.context):
                    if words in kept and not seen.contains(words):
                        self.report.failures.append(Failure(
                            document.file, document.id, version.date, cv.clause_id, "between",
                            normalize(words),
                            f"the capture {capture.commit} of {capture.date} no longer holds "
                            f"these words, before the next recorded version or the "
                            f"checked_through date: a change is missing from the rules",
                            source.archive, source.path, capture.commit,
                            *self._closest(seen, words)))
                        return

    @staticmethod
    def _closest(text: NormalizedText, words: str) -> tuple[str | None, float | None]:
        passage = text.closest(words, margin=40)
        return (passage.text, passage.similarity) if passage else (None, None)

    def own_source(self, document: Document, cv: ClauseVersion) -> None:
        version = next(v for v in document.versions if v.date == cv.date)
        text = self.opened(document, version, cv.clause_id, cv.source,
                           bool(cv.quote) + len(cv.context))
        if text is not None:
            self.words(document, version, cv, text, cv.source)

    def parts(self, document: Document, version: DocumentVersion,
              text: NormalizedText) -> dict[str, NormalizedText]:
        """The text of each part the version covers, where the document names the headings
        that open its parts; a version covering several parts must have them all."""
        headings = {p.region: p.heading for p in document.parts if p.heading}
        if len(headings) < 2:
            return {}
        found: dict[str, NormalizedText] = {}
        for region in version.regions:
            if region not in headings:
                continue
            others = [h for r, h in headings.items() if r != region]
            section = text.section(headings[region], others)
            if section is not None:
                found[region] = section
            elif len(version.regions) > 1:
                self.fail(document, version, None, "part", headings[region],
                          f"the heading of the part for {region} is not in "
                          f"{version.source.path} at {version.source.commit}",
                          version.source, text)
        return found

    def words(self, document: Document, version: DocumentVersion, cv: ClauseVersion,
              text: NormalizedText, source: Source, where: str = "") -> None:
        passages = [("quote", cv.quote)] if cv.quote else []
        passages += [("context", c) for c in cv.context]
        other = self.other_file(cv, source)
        for check, words in passages:
            self.report.quotes_checked += 1
            if text.contains(words) or (other is not None and other.contains(words)):
                continue
            since = "" if cv.date == version.date else f" (clause version of {cv.date})"
            self.fail(document, version, cv.clause_id, check, normalize(words),
                      f"the {check}{since} is not in {source.path} at {source.commit}{where}",
                      source, text)

    def other_file(self, cv: ClauseVersion, source: Source) -> NormalizedText | None:
        """A clause version quoted from another file of the same archive (a site kept as one
        repository) is also looked for in that file as it stood at this commit."""
        if not (cv.source.archive == source.archive and cv.source.path
                and cv.source.path != source.path and source.commit):
            return None
        return self.text(Source(archive=source.archive, path=cv.source.path,
                                commit=source.commit))

    def changed_words(self, document: Document, version: DocumentVersion
                      ) -> tuple[list[str], list[str]]:
        """The words that date a version: those its clause versions add (in the text from
        it on) and those they drop (gone from it on), compared with the versions before."""
        added: set[str] = set()
        removed: set[str] = set()
        for clause in document.clauses:
            for region in version.regions:
                timeline = clause.timeline(region)
                for index, cv in enumerate(timeline):
                    if cv.date != version.date:
                        continue
                    before = timeline[index - 1] if index > 0 else None
                    if before is not None and before.source.path not in (
                            None, version.source.path):
                        before = None  # words of another file say nothing of this one
                    if cv.source.path not in (None, version.source.path):
                        continue
                    added |= _words(cv) - _words(before)
                    removed |= _words(before) - _words(cv)
        return sorted(added), sorted(removed)

    # -- dates -----------------------------------------------------------------------------

    def dates(self, document: Document, version: DocumentVersion,
              clauses: list[ClauseVersion], text: NormalizedText) -> None:
        source = version.source
        printed = version.printed_date or (version.date if version.dating == "printed" else None)
        if printed is not None:
            self.report.dates_checked += 1
            if not _prints_date(text, printed):
                self.fail(document, version, None, "printed-date", printed_date_forms(printed)[0],
                          f"the text at {source.commit} does not print the date {printed}",
                          source, text)
        added, removed = self.changed_words(document, version)
        if added or removed:
            marker: tuple[list[str], list[str]] | None = (added, removed)
        elif printed is not None:
            marker = None
        else:
            return  # nothing in the text dates this version
        repo = self.archives[source.archive or ""]
        paths = (source.path or "", *source.also_at)
        captures = sorted(((c, p) for p in paths for c in repo.captures(p)),
                          key=lambda pair: pair[0].when)
        cited = repo.capture(source.commit or "")
        if cited is None or not captures:
            return

        def holds(pair: tuple[Capture, str]) -> bool:
            seen = self.capture_text(repo, pair[0], pair[1])
            if marker is None:
                return printed is not None and _prints_date(seen, printed)
            return all(seen.contains(w) for w in marker[0]) \
                and not any(seen.contains(w) for w in marker[1])

        upto = [pair for pair in captures if pair[0].when <= cited.when]
        if not upto or not holds(upto[-1]):
            return  # the cited capture lacks the words: already reported as a quote failure
        index = len(upto) - 1
        while index > 0 and holds(upto[index - 1]):
            index -= 1
        first = upto[index][0]
        absent = upto[index - 1][0] if index > 0 else None
        label = ("the version's changed words" if marker is not None
                 else f"the date {printed}")

        def expect(check: str, stated: date | None, actual: date | None, what: str) -> None:
            if stated is None:
                return
            self.report.dates_checked += 1
            if stated != actual:
                found = actual.isoformat() if actual else "none (no earlier capture)"
                self.fail(document, version, None, check, stated.isoformat(),
                          f"{check.replace('-', '_')} is {stated}, but {what} is {found}",
                          source)

        first_desc = f"the first capture of {' or '.join(paths)} with {label} ({first.commit})"
        last_desc = (f"the last capture without them ({absent.commit})" if absent else
                     "the last capture without them")
        if version.dating == "observed":
            expect("date", version.date, first.date, first_desc)
            expect("observed", version.observed, first.date, first_desc)
            expect("last-absent", version.last_absent, absent.date if absent else None,
                   last_desc)
            return
        if first.date < version.date:
            expect("published", version.published, first.date, first_desc)
        in_force = next((pair[0] for pair in captures if pair[0].date >= version.date
                         and pair[0].when >= first.when and holds(pair)), None)
        if version.observed is not None and in_force is not None:
            expect("observed", version.observed, in_force.date,
                   f"the first capture on or after {version.date} with {label} "
                   f"({in_force.commit})")
        expect("last-absent", version.last_absent, absent.date if absent else None, last_desc)


def _words(cv: ClauseVersion | None) -> set[str]:
    if cv is None or not cv.present:
        return set()
    return {w for w in (cv.quote, *cv.context) if w}


def check_archives(ruleset: Ruleset, archives: Mapping[str, ArchiveRepository]
                   ) -> ArchiveCheckReport:
    """Check every archived quote and date of ``ruleset`` against ``archives`` (by name, as
    the rule files' ``source.archive`` names them)."""
    return _Checker(ruleset, archives).run()


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
