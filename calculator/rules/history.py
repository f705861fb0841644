"""Every version of a clause or a document with the interval it was in force, per part."""

from __future__ import annotations

from dataclasses import dataclass

from calculator.rules.in_force import Interval, intervals
from calculator.rules.model import Clause, ClauseVersion, Document, DocumentVersion


@dataclass(frozen=True)
class HistoryEntry:
    region: str
    version: ClauseVersion
    in_force: Interval


@dataclass(frozen=True)
class ClauseHistory:
    clause: Clause
    document: Document
    region: str | None  # None: every region of the document
    entries: tuple[HistoryEntry, ...]
    ruleset_revision: str
    country: str | None = None  # the country code the region was chosen by, if one was


@dataclass(frozen=True)
class RegionInterval:
    region: str
    in_force: Interval


@dataclass(frozen=True)
class DocumentVersionHistory:
    version: DocumentVersion
    in_force: tuple[RegionInterval, ...]


@dataclass(frozen=True)
class DocumentHistory:
    document: Document
    versions: tuple[DocumentVersionHistory, ...]
    ruleset_revision: str


def clause_history(clause: Clause, document: Document, region: str | None,
                   revision: str) -> ClauseHistory:
    """Every version of ``clause`` with its interval, in the part ``region`` or (no part
    given) in every part of its document."""
    regions = [region] if region else list(document.regions)
    entries = tuple(HistoryEntry(r, v, i) for r in regions
                    for v, i in intervals(clause.timeline(r)))
    return ClauseHistory(clause, document, region, entries, revision)


def document_history(document: Document, revision: str) -> DocumentHistory:
    """A document with every version and, per region it covers, its interval."""
    spans: dict[int, list[RegionInterval]] = {}
    for region in document.regions:
        for version, interval in intervals(document.timeline(region)):
            spans.setdefault(id(version), []).append(RegionInterval(region, interval))
    return DocumentHistory(
        document,
        tuple(DocumentVersionHistory(v, tuple(spans.get(id(v), ())))
              for v in document.versions),
        revision)
