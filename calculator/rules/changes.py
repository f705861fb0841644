"""What changed in a document between two instants, clause by clause: which clauses came,
went or changed, their parameters before and after, and the words that changed."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from calculator.rules.in_force import (
    DocumentVersionInForce,
    Interval,
    document_version_at,
    intervals,
    read_at,
)
from calculator.rules.model import Clause, ClauseVersion, Document


@dataclass(frozen=True)
class ParameterChange:
    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class WordChange:
    op: str  # "insert", "delete" or "replace"
    old: str
    new: str
    context: str  # the words just before, to find the place


@dataclass(frozen=True)
class ClauseChange:
    clause: Clause
    # "added", "removed", "changed"; "first-recorded" where the earlier version was not read
    # for the clause, "not-recorded" where the later one was not.
    change: str
    old: ClauseVersion | None
    new: ClauseVersion | None
    parameters: tuple[ParameterChange, ...]
    words: tuple[WordChange, ...]
    versions_between: tuple[ClauseVersion, ...]


@dataclass(frozen=True)
class DocumentChanges:
    document: Document
    region: str
    start: datetime
    end: datetime
    old: DocumentVersionInForce | None
    new: DocumentVersionInForce | None
    versions_between: tuple[DocumentVersionInForce, ...]
    clauses: tuple[ClauseChange, ...]
    unchanged: tuple[str, ...]
    ruleset_revision: str
    country: str | None = None  # the country code the region was chosen by, if one was


def document_changes(document: Document, region: str, start: datetime, end: datetime,
                     revision: str) -> DocumentChanges:
    """What changed in ``document`` for the part ``region`` from ``start`` to ``end`` (not
    before it)."""
    between = tuple(DocumentVersionInForce(v, i, region)
                    for v, i in intervals(document.timeline(region))
                    if start < i.start <= end)
    changed: list[ClauseChange] = []
    unchanged: list[str] = []
    for clause in document.clauses:
        timeline = intervals(clause.timeline(region))
        old = _present_at(timeline, start)
        new = _present_at(timeline, end)
        steps = tuple(v for v, i in timeline if start < i.start <= end)
        if old is new and (old is not None or not steps):
            unchanged.append(clause.id)
            continue
        if old is None and new is None:
            kind = "changed"  # came and went between the two instants
        elif old is None:
            # "added" only where the earlier version was read for the clause.
            kind = "added" if read_at(document, region, clause, start) else "first-recorded"
        elif new is None:
            kind = "removed" if read_at(document, region, clause, end) else "not-recorded"
        else:
            kind = "changed"
        changed.append(ClauseChange(
            clause=clause, change=kind, old=old, new=new,
            parameters=parameter_changes(old, new), words=_word_changes(old, new),
            versions_between=steps))
    return DocumentChanges(
        document=document, region=region, start=start, end=end,
        old=document_version_at(document, region, start),
        new=document_version_at(document, region, end),
        versions_between=between, clauses=tuple(changed), unchanged=tuple(unchanged),
        ruleset_revision=revision)


def _present_at(timeline: list[tuple[ClauseVersion, Interval]],
                at: datetime) -> ClauseVersion | None:
    for version, interval in timeline:
        if interval.contains(at):
            return version if version.present else None
    return None


def parameter_changes(old: ClauseVersion | None,
                      new: ClauseVersion | None) -> tuple[ParameterChange, ...]:
    """The parameters whose value differs between two versions of a clause, by name."""
    before = old.parameters if old else {}
    after = new.parameters if new else {}
    return tuple(ParameterChange(name, before.get(name), after.get(name))
                 for name in sorted(set(before) | set(after))
                 if before.get(name) != after.get(name))


_WORD = re.compile(r"\S+")


def _word_changes(old: ClauseVersion | None,
                  new: ClauseVersion | None) -> tuple[WordChange, ...]:
    before = _WORD.findall(old.words) if old else []
    after = _WORD.findall(new.words) if new else []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    changes = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            continue
        changes.append(WordChange(op=op, old=" ".join(before[a1:a2]), new=" ".join(after[b1:b2]),
                                  context=" ".join(before[max(0, a1 - 4):a1])))
    return tuple(changes)
