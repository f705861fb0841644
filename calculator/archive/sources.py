"""The archived texts a rule's sources cite, for the archive check: each file read once, a
source's commit and path checked before its text is used, and what cannot be read recorded
in the report as a failure or as not checkable here."""

from __future__ import annotations

from collections.abc import Mapping

from calculator.archive.report import ArchiveCheckReport, Failure, NotCheckable
from calculator.archive.repository import FULL_COMMIT, ArchiveRepository, Capture
from calculator.archive.text import NormalizedText
from calculator.rules.model import Document, DocumentVersion, Source


def closest_passage(text: NormalizedText | None,
                    words: str) -> tuple[str | None, float | None]:
    """The passage of ``text`` most like ``words`` and its similarity, shown beside a failure."""
    passage = text.closest(words, margin=40) if text is not None else None
    return (passage.text, passage.similarity) if passage else (None, None)


class SourceReader:
    """Reads the texts the rules cite from ``archives`` and fills ``report``."""

    def __init__(self, archives: Mapping[str, ArchiveRepository]) -> None:
        self.archives = archives
        self.report = ArchiveCheckReport(archives=tuple(sorted(archives)))
        self._texts: dict[tuple[str, str, str], NormalizedText | None] = {}

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
        self.report.failures.append(Failure(
            document.file, document.id, version.date, clause, check, expected, message,
            source.archive, source.path, source.commit, *closest_passage(text, expected)))

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
