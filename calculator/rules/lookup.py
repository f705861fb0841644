"""Which version applied at an instant, every version's interval, and what changed between two.

In force is a half-open interval ``[from, until)``: a version is in force from
00:00 on its date (in the document's zone, UTC unless it states another) until
the next version of the same thing for the same region.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from calculator.errors import InvalidArgument, NotFound, NotInForce, NotRecorded
from calculator.rules.countries import RegionChoice, choose_region
from calculator.rules.model import Clause, ClauseVersion, Document, DocumentVersion, Ruleset
from calculator.timeutil import format_instant, start_of_day

_ONE_DAY = timedelta(days=1)


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


@dataclass(frozen=True)
class Knowledge:
    """What the rules know and do not know about an instant, beyond the version found."""

    checked_through: date | None  # last archive capture checked against the rules
    after_checked_through: bool  # the instant is after it: a later version may exist
    uncertain_from: date | None = None  # last capture without a change dated by captures
    uncertain_until: date | None = None  # first capture with it
    notes: tuple[str, ...] = ()  # the same, in words


@dataclass(frozen=True)
class ClauseInForce:
    """The answer to "which version of this clause applied at that instant, here"."""

    clause: Clause
    region: str
    at: datetime
    version: ClauseVersion
    in_force: Interval
    document: Document
    document_version: DocumentVersionInForce
    ruleset_revision: str
    knowledge: Knowledge | None = None
    choice: RegionChoice | None = None  # how the part was chosen (country, assumed)


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


def intervals(timeline: list[Any]) -> list[tuple[Any, Interval]]:
    """Pair each version of one region's timeline with its ``[from, until)``."""
    result = []
    for index, version in enumerate(timeline):
        end = timeline[index + 1].starts if index + 1 < len(timeline) else None
        result.append((version, Interval(version.starts, end)))
    return result


class RuleLookup:
    """Lookups over one ruleset; the CLI, the HTTP API and notebooks share it."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset

    # -- finding things by id ------------------------------------------------------------

    def region(self, region: str | None, field: str = "region") -> str:
        """The part id for a part id, an ISO 3166-1 alpha-2 country code, or None (the
        default part)."""
        return self.region_choice(region, field).region

    def region_choice(self, region: str | None, field: str = "region") -> RegionChoice:
        """The part, with the country it was chosen by or whether it was assumed."""
        return choose_region(self.ruleset, region, field)

    def platform(self, platform_id: str):
        try:
            return self.ruleset.platforms[platform_id]
        except KeyError:
            raise NotFound(f"no platform '{platform_id}' in the rules; the platforms are "
                           f"{', '.join(sorted(self.ruleset.platforms))}") from None

    def document(self, document_id: str) -> Document:
        try:
            return self.ruleset.documents[document_id]
        except KeyError:
            raise NotFound(f"no document '{document_id}' in the rules (ids look like "
                           "x.terms-of-service)") from None

    def clause(self, clause_id: str) -> Clause:
        try:
            return self.ruleset.clauses[clause_id]
        except KeyError:
            raise NotFound(f"no clause '{clause_id}' in the rules (ids look like "
                           "x.terms-of-service.liquidated-damages)") from None

    def clauses_of_kind(self, platform_id: str, kind: str) -> list[Clause]:
        platform = self.platform(platform_id)
        return [c for d in platform.documents for c in self.ruleset.documents[d].clauses
                if c.kind == kind]

    # -- in force ------------------------------------------------------------------------

    def document_version_in_force(self, document_id: str, at: datetime,
                                  region: str | None = None) -> DocumentVersionInForce | None:
        document = self.document(document_id)
        chosen = self.region(region)
        for version, interval in intervals(document.timeline(chosen)):
            if interval.contains(at):
                return DocumentVersionInForce(version, interval, chosen)
        return None

    def region_note(self, document: Document, choice: RegionChoice) -> str:
        """A sentence naming the part where it matters: a country was given, or none was
        given for a document with regional parts."""
        title = self.ruleset.regions[choice.region].title
        if choice.country or (choice.assumed and len(document.parts) > 1):
            return " " + choice.describe(title)
        return ""

    def knowledge(self, document: Document, at: datetime, region: str) -> Knowledge:
        """Whether ``at`` is after the document was last checked, or inside the gap between
        the last capture without a change and the first with it."""
        notes: list[str] = []
        checked = document.checked_through
        after = checked is not None and at >= start_of_day(checked + _ONE_DAY, document.zone)
        if after:
            notes.append(f"The rules know no version of {document.title} after the one found; "
                         f"they were checked against the archive through {checked}, and a "
                         "later change would not be known to them.")
        elif checked is None:
            latest = document.timeline(region)
            if latest and at >= latest[-1].starts:
                notes.append(f"The rules do not state through which date {document.title} was "
                             "checked for later versions.")
        gap_from = gap_until = None
        for version in document.timeline(region):
            if version.dating != "observed" or version.last_absent is None:
                continue
            if start_of_day(version.last_absent, document.zone) <= at < version.starts:
                gap_from, gap_until = version.last_absent, version.date
                notes.append(f"The change to the {version.date} version of {document.title} is "
                             f"dated by captures only: the archive's capture of "
                             f"{version.last_absent} does not show it and that of {version.date} "
                             f"does, so it may have taken effect on any day in between; the "
                             "answer follows the earlier version until the first capture "
                             "showing the change.")
        return Knowledge(checked, after, gap_from, gap_until, tuple(notes))

    def clause_in_force(self, clause_id: str, at: datetime,
                        region: str | None = None) -> ClauseInForce:
        """The clause version in force at ``at`` in ``region``.

        Raises ``NotInForce`` when a recorded version of the document in force then was read
        for the clause and does not hold it, and ``NotRecorded`` (a kind of ``NotInForce``)
        when the rules do not cover the clause then; both say when it was in force."""
        clause = self.clause(clause_id)
        choice = self.region_choice(region)
        chosen = choice.region
        document = self.ruleset.documents[clause.document_id]
        timeline = intervals(clause.timeline(chosen))
        present = [(v, i) for v, i in timeline if v.present]
        when = format_instant(at)
        region_note = self.region_note(document, choice)
        later = [(v, i) for v, i in present if i.start > at]
        earlier = [(v, i) for v, i in present if i.end is not None and i.end <= at]
        first = format_instant(later[0][1].start) if later else None
        last = format_instant(earlier[-1][1].end) if earlier else None
        doc_version = self.document_version_in_force(document.id, at, chosen)
        read = [v for v in document.timeline(chosen) if was_read(v, clause, chosen)]
        recorded_from = read[0].date.isoformat() if read else None
        recorded_until = None
        if doc_version is None or not was_read(doc_version.version, clause, chosen):
            if doc_version is None:
                versions = document.timeline(chosen)
                reason = (f"the rules hold no version of {document.title} for {chosen} before "
                          f"{versions[0].date}" if versions else
                          f"the rules hold no version of {document.title} for {chosen}")
            else:
                reason = (f"the {doc_version.version.date} version of {document.title} in force "
                          f"then was not read for this clause")
                later_read = [v for v in read if v.date > doc_version.version.date]
                earlier_read = [v for v in read if v.date < doc_version.version.date]
                recorded_until = doc_version.version.date.isoformat() if earlier_read else None
                if later_read:
                    reason += f"; the rules cover it from {later_read[0].date}"
            if first:
                reason += f"; it is first in force from {first}"
            elif last:
                reason += f"; it was last in force until {last}"
            raise NotRecorded(
                f"{clause_id} is not recorded on {when} for {chosen}: {reason}. This says "
                f"nothing of whether the clause existed then.{region_note}",
                first_in_force=first, last_in_force=last, recorded_from=recorded_from,
                recorded_until=recorded_until, region=chosen, country=choice.country)
        current = next(((v, i) for v, i in timeline if i.contains(at)), None)
        knowledge = self.knowledge(document, at, chosen)
        if current is not None and current[0].present:
            version, interval = current
            return ClauseInForce(clause, chosen, at, version, interval, document, doc_version,
                                 self.ruleset.revision, knowledge, choice)
        checked = doc_version.version
        reason = (f"the {checked.date} version of {document.title} in force then was read for "
                  "it and holds no such clause")
        if first:
            reason += f"; it is first in force from {first}"
        elif last:
            reason += f"; it was last in force until {last}"
        extra = " " + " ".join(knowledge.notes) if knowledge.notes else ""
        raise NotInForce(f"{clause_id} was not in force on {when} for {chosen}: {reason}."
                         f"{extra}{region_note}",
                         first_in_force=first, last_in_force=last,
                         checked_version=checked.date.isoformat(), region=chosen,
                         country=choice.country,
                         checked_through=(document.checked_through.isoformat()
                                          if document.checked_through else None))

    def clause_history(self, clause_id: str, region: str | None = None) -> ClauseHistory:
        """Every version with its interval, for one region or (``None``) all of them."""
        clause = self.clause(clause_id)
        document = self.ruleset.documents[clause.document_id]
        regions = [self.region(region)] if region else list(document.regions)
        entries = tuple(HistoryEntry(r, v, i) for r in regions
                        for v, i in intervals(clause.timeline(r)))
        return ClauseHistory(clause, document, region and regions[0], entries,
                             self.ruleset.revision)

    def document_history(self, document_id: str) -> DocumentHistory:
        """A document with every version and, per region it covers, its interval."""
        document = self.document(document_id)
        spans: dict[int, list[RegionInterval]] = {}
        for region in document.regions:
            for version, interval in intervals(document.timeline(region)):
                spans.setdefault(id(version), []).append(RegionInterval(region, interval))
        return DocumentHistory(
            document,
            tuple(DocumentVersionHistory(v, tuple(spans.get(id(v), ())))
                  for v in document.versions),
            self.ruleset.revision)

    def in_force_periods(self, clause_id: str, region: str | None = None
                         ) -> list[tuple[ClauseVersion, Interval]]:
        """The present versions of a clause in a region with their intervals, oldest first."""
        clause = self.clause(clause_id)
        return [(v, i) for v, i in intervals(clause.timeline(self.region(region))) if v.present]

    # -- changes -------------------------------------------------------------------------

    def changes(self, document_id: str, start: datetime, end: datetime,
                region: str | None = None) -> DocumentChanges:
        """What changed in a document between two instants, clause by clause."""
        document = self.document(document_id)
        chosen = self.region(region)
        if end < start:
            raise InvalidArgument("to: must not be before from")
        between = tuple(DocumentVersionInForce(v, i, chosen)
                        for v, i in intervals(document.timeline(chosen))
                        if start < i.start <= end)
        changed: list[ClauseChange] = []
        unchanged: list[str] = []
        for clause in document.clauses:
            timeline = intervals(clause.timeline(chosen))
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
                kind = "added" if _read_at(document, chosen, clause, start) else "first-recorded"
            elif new is None:
                kind = "removed" if _read_at(document, chosen, clause, end) else "not-recorded"
            else:
                kind = "changed"
            changed.append(ClauseChange(
                clause=clause, change=kind, old=old, new=new,
                parameters=_parameter_changes(old, new), words=_word_changes(old, new),
                versions_between=steps))
        return DocumentChanges(
            document=document, region=chosen, start=start, end=end,
            old=self.document_version_in_force(document.id, start, chosen),
            new=self.document_version_in_force(document.id, end, chosen),
            versions_between=between, clauses=tuple(changed), unchanged=tuple(unchanged),
            ruleset_revision=self.ruleset.revision)


def was_read(version: DocumentVersion, clause: Clause, region: str) -> bool:
    """Whether a document version was read for a clause in one part: as its ``read_for``
    lists, or (left out) when the clause has a version for that part on or before it."""
    if version.read_for_stated:
        return clause.key in version.read_for
    return any(v.date <= version.date and region in v.regions for v in clause.versions)


def _read_at(document: Document, region: str, clause: Clause, at: datetime) -> bool:
    """Whether the document version in force at ``at`` was read for the clause."""
    for version, interval in intervals(document.timeline(region)):
        if interval.contains(at):
            return was_read(version, clause, region)
    return False


def _present_at(timeline: list[tuple[ClauseVersion, Interval]],
                at: datetime) -> ClauseVersion | None:
    for version, interval in timeline:
        if interval.contains(at):
            return version if version.present else None
    return None


def _parameter_changes(old: ClauseVersion | None,
                       new: ClauseVersion | None) -> tuple[ParameterChange, ...]:
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
