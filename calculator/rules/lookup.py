"""Which version applied at an instant, every version's interval, and what changed between two.

``RuleLookup`` is the one entry point the CLI, the HTTP API and notebooks share: it finds
things by id, chooses the part, and answers from ``in_force`` (intervals), ``knowledge``
(what the rules cannot know), ``history`` and ``changes``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from calculator.errors import InvalidArgument, NotFound, NotInForce, NotRecorded, shown_id
from calculator.rules.changes import DocumentChanges, document_changes
from calculator.rules.countries import RegionChoice, choose_region
from calculator.rules.history import (
    ClauseHistory,
    DocumentHistory,
    clause_history,
    document_history,
)
from calculator.rules.in_force import (
    DocumentVersionInForce,
    Interval,
    document_version_at,
    intervals,
    was_read,
)
from calculator.rules.knowledge import Knowledge, knowledge
from calculator.rules.model import Clause, ClauseVersion, Document, Ruleset
from calculator.timeutil import format_instant


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
            raise NotFound(f"no platform '{shown_id(platform_id)}' in the rules; the platforms are "
                           f"{', '.join(sorted(self.ruleset.platforms))}") from None

    def document(self, document_id: str) -> Document:
        try:
            return self.ruleset.documents[document_id]
        except KeyError:
            raise NotFound(f"no document '{shown_id(document_id)}' in the rules (ids look like "
                           "x.terms-of-service)") from None

    def clause(self, clause_id: str) -> Clause:
        try:
            return self.ruleset.clauses[clause_id]
        except KeyError:
            raise NotFound(f"no clause '{shown_id(clause_id)}' in the rules (ids look like "
                           "x.terms-of-service.liquidated-damages)") from None

    def clauses_of_kind(self, platform_id: str, kind: str) -> list[Clause]:
        platform = self.platform(platform_id)
        return [c for d in platform.documents for c in self.ruleset.documents[d].clauses
                if c.kind == kind]

    # -- in force ------------------------------------------------------------------------

    def document_version_in_force(self, document_id: str, at: datetime,
                                  region: str | None = None) -> DocumentVersionInForce | None:
        return document_version_at(self.document(document_id), self.region(region), at)

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
        return knowledge(document, at, region)

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
        doc_version = document_version_at(document, chosen, at)
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
        known = knowledge(document, at, chosen)
        if current is not None and current[0].present:
            version, interval = current
            return ClauseInForce(clause, chosen, at, version, interval, document, doc_version,
                                 self.ruleset.revision, known, choice)
        checked = doc_version.version
        reason = (f"the {checked.date} version of {document.title} in force then was read for "
                  "it and holds no such clause")
        if first:
            reason += f"; it is first in force from {first}"
        elif last:
            reason += f"; it was last in force until {last}"
        extra = " " + " ".join(known.notes) if known.notes else ""
        raise NotInForce(f"{clause_id} was not in force on {when} for {chosen}: {reason}."
                         f"{extra}{region_note}",
                         first_in_force=first, last_in_force=last,
                         checked_version=checked.date.isoformat(), region=chosen,
                         country=choice.country,
                         checked_through=(document.checked_through.isoformat()
                                          if document.checked_through else None))

    def in_force_periods(self, clause_id: str, region: str | None = None
                         ) -> list[tuple[ClauseVersion, Interval]]:
        """The present versions of a clause in a region with their intervals, oldest first."""
        clause = self.clause(clause_id)
        return [(v, i) for v, i in intervals(clause.timeline(self.region(region))) if v.present]

    # -- history and changes -------------------------------------------------------------

    def clause_history(self, clause_id: str, region: str | None = None) -> ClauseHistory:
        """Every version with its interval, for one region or (``None``) all of them."""
        clause = self.clause(clause_id)
        document = self.ruleset.documents[clause.document_id]
        if not region:  # absent, or given empty (echoed as "" before): every region
            return clause_history(clause, document, None, self.ruleset.revision)
        choice = self.region_choice(region)
        return replace(clause_history(clause, document, choice.region, self.ruleset.revision),
                       country=choice.country)

    def document_history(self, document_id: str) -> DocumentHistory:
        """A document with every version and, per region it covers, its interval."""
        return document_history(self.document(document_id), self.ruleset.revision)

    def changes(self, document_id: str, start: datetime, end: datetime,
                region: str | None = None) -> DocumentChanges:
        """What changed in a document between two instants, clause by clause."""
        document = self.document(document_id)
        choice = self.region_choice(region or None)
        if end < start:
            raise InvalidArgument("to: must not be before from")
        return replace(document_changes(document, choice.region, start, end,
                                        self.ruleset.revision), country=choice.country)
