"""The archive check: every quoted word and every date of the rules, against the archived text.

For every document version whose source names an archive, a path and a commit, the text
of that file at that commit must hold every quote and context of every clause version in
force on the version's date (for its parts), after the normalization of
``calculator.archive.text``; a printed effective date must be printed in it; ``observed``
must be the date of the first capture holding the version's new words and ``last_absent``
the date of the last capture without them. A source that no given archive holds is listed
as not checkable here, by name, never skipped in silence
(docs/decisions/0070-archive-check.md).

This module walks the rules and checks their words; ``dating`` checks what the captures
over time must show, ``sources`` reads the cited texts and ``report`` holds what was found.
"""

from __future__ import annotations

from collections.abc import Mapping

from calculator.archive.dating import check_dates, check_kept_until_next
from calculator.archive.report import ArchiveCheckReport
from calculator.archive.repository import ArchiveRepository
from calculator.archive.sources import SourceReader
from calculator.archive.text import NormalizedText, normalize
from calculator.rules.in_force import intervals
from calculator.rules.model import ClauseVersion, Document, DocumentVersion, Ruleset, Source


class _Checker(SourceReader):
    def __init__(self, ruleset: Ruleset, archives: Mapping[str, ArchiveRepository]) -> None:
        super().__init__(archives)
        self.ruleset = ruleset

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
        check_dates(self, document, version, text)
        check_kept_until_next(self, document, version, clauses, text)

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


def check_archives(ruleset: Ruleset, archives: Mapping[str, ArchiveRepository]
                   ) -> ArchiveCheckReport:
    """Check every archived quote and date of ``ruleset`` against ``archives`` (by name, as
    the rule files' ``source.archive`` names them)."""
    return _Checker(ruleset, archives).run()
