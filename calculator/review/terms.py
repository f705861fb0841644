"""Terms findings: each platform document's version in force when collection started (or
that the rules hold none then), and every version that took effect during the collection,
clause by clause, with a warning where the change bears on the profile.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from calculator.errors import NotInForce
from calculator.review.findings import Citation
from calculator.review.processing import bearing_kinds as processing_kinds
from calculator.review.profile import Profile
from calculator.review.retention import IDENTITY_CATEGORY, RETENTION_CATEGORIES
from calculator.rules.in_force import Interval, intervals
from calculator.rules.model import Document
from calculator.timeutil import format_instant

if TYPE_CHECKING:
    from calculator.review.engine import _Reviewer


def bearing_kinds(p: Profile) -> set[str]:
    """Clause kinds whose change bears on this profile (a change to them is a warning)."""
    kinds = {"subscription-tiers", "pay-per-use"} if p.channel == "official_api" else set()
    if p.channel == "scraping":
        kinds |= {"liquidated-damages", "scraping-prohibition"}
    if p.channel == "licensed_vendor":
        kinds |= {"scraping-prohibition"}
    if "ai_training" in p.purposes:
        kinds |= {"ai-training", "model-training-ban", "content-licence"}
    if any(RETENTION_CATEGORIES.get(c) for c in p.data_categories):
        kinds.add("retention-schedule")
    if IDENTITY_CATEGORY in p.data_categories:
        kinds.add("identity-verification")
    return kinds | processing_kinds(p.purposes, p.user_regions)


def terms(reviewer: _Reviewer) -> None:
    """Add, per platform document in the region, its terms at the start and every change."""
    for doc_id in reviewer.platform.documents:
        document = reviewer.ruleset.documents[doc_id]
        if reviewer.region not in document.regions:
            continue
        timeline = intervals(document.timeline(reviewer.region))
        if not timeline:
            reviewer.gap(f"{document.title} ({reviewer.region})", "The rules hold no version of "
                         "this document for this regional part.", doc_id)
            continue
        at_start = reviewer.lookup.document_version_in_force(doc_id, reviewer.lo, reviewer.region)
        if at_start is not None:
            _in_force_at_start(reviewer, document, at_start.version, at_start.in_force)
        else:
            _not_recorded_at_start(reviewer, document, timeline)
        for version, interval in timeline:
            if reviewer.lo < interval.start < reviewer.hi:
                _changed(reviewer, document, version, interval)


def _in_force_at_start(reviewer: _Reviewer, document: Document, version: Any,
                       interval: Interval) -> None:
    citations, names = [], []
    for clause in document.clauses:
        try:
            answer = reviewer.lookup.clause_in_force(clause.id, reviewer.lo, reviewer.region)
        except NotInForce:
            continue
        citations.append(reviewer.cite(clause, answer.version, answer.in_force))
        names.append(f"{clause.title} (version {answer.version.date})")
    if not citations:
        citations = [_document_citation(reviewer, document, version, interval)]
    dating = ("as printed" if version.dating == "printed"
              else "first seen in force; the page prints no date")
    reviewer.add("terms.in-force-at-start", "info", reviewer.p.start,
                 f"{document.title}: the version of {version.date} was in force when collection "
                 f"started on {reviewer.p.start}.",
                 f"Version {version.date} ({dating}) was in force from "
                 f"{format_instant(interval.start)}"
                 f"{' until ' + format_instant(interval.end) if interval.end else ''}. "
                 f"{version.summary or ''} Clauses recorded in force then: "
                 f"{'; '.join(names) or 'none'}.".replace("  ", " "),
                 citations, {"document": document.id, "version": version.date,
                             "dating": version.dating})


def _document_citation(reviewer: _Reviewer, document: Document, version: Any,
                       interval: Interval) -> Citation:
    return Citation(clause=None, title=document.title, document=document.id,
                    region=reviewer.region, version=version.date, in_force=interval,
                    source=version.source, quote=None, document_version=version.date)


def _not_recorded_at_start(reviewer: _Reviewer, document: Document, timeline: list) -> None:
    first_version, first_interval = timeline[0]
    if first_interval.start <= reviewer.lo:
        return  # recorded, but ended before the collection: no version then (a gap)
    citations = []
    for clause in document.clauses:
        present = reviewer.periods(clause)
        if present:
            version, interval = present[0]
            citations.append(reviewer.cite(clause, version, interval))
    if not citations:
        citations = [_document_citation(reviewer, document, first_version, first_interval)]
    after = first_interval.start >= reviewer.hi
    reviewer.add("terms.not-recorded-at-start", "info", reviewer.p.start,
                 f"The rules hold no version of {document.title} before {first_version.date}, "
                 f"so its terms on {reviewer.p.start} are not known.",
                 f"Its first recorded version is of {first_version.date} "
                 f"({'after the collection' if after else 'during the collection'}). Nothing "
                 "is assumed about earlier terms.",
                 citations, {"document": document.id, "first_version": first_version.date})


def _changed(reviewer: _Reviewer, document: Document, version: Any, interval: Interval) -> None:
    changes = reviewer.lookup.changes(document.id, interval.start - timedelta(microseconds=1),
                                      interval.start, reviewer.region)
    described, citations, facts, kinds = [], [], [], set()
    parameter_lines: list[str] = []
    for change in changes.clauses:
        if change.old is None and change.new is None:
            continue  # a record of absence where nothing was recorded before
        clause = change.clause
        kinds.add(clause.kind)
        shown = change.new or change.old
        span = next(i for v, i in intervals(clause.timeline(reviewer.region)) if v is shown)
        citations.append(reviewer.cite(clause, shown, span))
        earlier = [v for v in clause.timeline(reviewer.region) if v.date < shown.date]
        described.append(_describe_change(change, first_recorded=not earlier))
        if change.old is not None and change.new is not None:
            parameter_lines.append(_describe_parameters(change))
        facts.append({
            "clause": clause.id, "title": clause.title, "kind": clause.kind,
            "change": change.change,
            "old_version": change.old.date if change.old else None,
            "new_version": change.new.date if change.new else None,
            "old_quote": change.old.quote if change.old else None,
            "new_quote": change.new.quote if change.new else None,
            "parameters": [{"name": c.name, "old": c.old, "new": c.new}
                           for c in change.parameters],
            "words": [{"op": w.op, "old": w.old, "new": w.new} for w in change.words]})
    if not citations:
        citations = [_document_citation(reviewer, document, version, interval)]
    bearing = kinds & bearing_kinds(reviewer.p)
    what = "; ".join(described) if described else "no clause the rules hold changed"
    reviewer.add("terms.changed-during-collection", "warning" if bearing else "info",
                 version.date,
                 f"{document.title} changed on {version.date}, during the collection: {what}.",
                 f"Version {version.date} "
                 f"({'as printed' if version.dating == 'printed' else 'first seen in force'}) "
                 f"took effect at {format_instant(interval.start)}. {version.summary or ''}"
                 + "".join(f" {line}." for line in parameter_lines if line)
                 + (f" This bears on the profile ({', '.join(sorted(bearing))})."
                    if bearing else ""),
                 citations, {"document": document.id, "version": version.date,
                             "changes": facts})



def _describe_change(change: Any, first_recorded: bool) -> str:
    """A clause change in a few words: added, removed, or changed (with the words when they
    are few and short enough to read in a title)."""
    title = change.clause.title
    if change.change == "added":
        return f"{title} {'first recorded' if first_recorded else 'added'}"
    if change.change == "removed":
        return f"{title} removed"
    words = change.words
    if not words or len(words) > 2 or any(len(w.old) > 60 or len(w.new) > 60 for w in words):
        return f"{title} changed"
    parts = []
    for word in words:
        if word.op == "insert":
            parts.append(f"adds \"{word.new}\"")
        elif word.op == "delete":
            parts.append(f"drops \"{word.old}\"")
        else:
            parts.append(f"\"{word.old}\" becomes \"{word.new}\"")
    return f"{title} changed ({'; '.join(parts)})"


def _describe_parameters(change: Any) -> str:
    """Scalar parameter changes as ``name: old → new``; lists and tables by name only."""
    shown = []
    for p in change.parameters:
        if isinstance(p.old, list | dict) or isinstance(p.new, list | dict):
            shown.append(f"{p.name} changed")
        else:
            shown.append(f"{p.name}: {_plain(p.old)} → {_plain(p.new)}")
    return f"{change.clause.title}: {'; '.join(shown)}" if shown else ""


def _plain(value: Any) -> str:
    return "none" if value is None else str(value)

