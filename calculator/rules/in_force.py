"""When each version is in force, and whether the rules read a document version for a clause.

In force is a half-open interval ``[from, until)``: a version is in force from 00:00 on its
date (in the document's zone, UTC unless it states another) until the next version of the
same thing for the same region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from calculator.rules.model import Clause, Document, DocumentVersion


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime | None  # None: still in force

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)


@dataclass(frozen=True)
class DocumentVersionInForce:
    version: DocumentVersion
    in_force: Interval
    region: str | None = None  # the part asked about: its summary, never another part's

    @property
    def summary(self) -> str | None:
        return self.version.summary_for(self.region)


def intervals(timeline: list[Any]) -> list[tuple[Any, Interval]]:
    """Pair each version of one region's timeline with its ``[from, until)``."""
    result = []
    for index, version in enumerate(timeline):
        end = timeline[index + 1].starts if index + 1 < len(timeline) else None
        result.append((version, Interval(version.starts, end)))
    return result


def document_version_at(document: Document, region: str,
                        at: datetime) -> DocumentVersionInForce | None:
    """The version of ``document`` in force at ``at`` in the part ``region``, if any."""
    for version, interval in intervals(document.timeline(region)):
        if interval.contains(at):
            return DocumentVersionInForce(version, interval, region)
    return None


def was_read(version: DocumentVersion, clause: Clause, region: str) -> bool:
    """Whether a document version was read for a clause in one part: as its ``read_for``
    lists, or (left out) when the clause has a version for that part on or before it."""
    if version.read_for_stated:
        return clause.key in version.read_for
    return any(v.date <= version.date and region in v.regions for v in clause.versions)


def read_at(document: Document, region: str, clause: Clause, at: datetime) -> bool:
    """Whether the document version in force at ``at`` was read for the clause."""
    found = document_version_at(document, region, at)
    return found is not None and was_read(found.version, clause, region)
