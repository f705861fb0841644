"""One change feed: the rules' own history and the watch's observations, in time order.

Rule entries come from the ruleset: each document version (when it took effect) and each
clause version (with the parameters that changed from the version before it in the same
regional part). Observation entries are the watch's captures newer than what the rules were
checked through. Each entry has a stable ``id`` (a feed reader's key), a ``date`` and a
one-line ``title``; the Atom feed (``atom``) is made from the same entries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from calculator.rules import RuleLookup
from calculator.rules.changes import parameter_changes
from calculator.rules.model import ClauseVersion, Document
from calculator.timeutil import format_instant
from calculator.watch.observations import Observations

MAX_ENTRIES = 1000


def _previous(document: Document, version: ClauseVersion) -> ClauseVersion | None:
    clause = next(c for c in document.clauses if c.id == version.clause_id)
    for region in version.regions:
        earlier = [v for v in clause.timeline(region) if v.date < version.date]
        if earlier:
            return earlier[-1]
    return None


def rule_entries(lookup: RuleLookup) -> list[dict[str, Any]]:
    """Every document and clause version of the rules, as change entries."""
    entries: list[dict[str, Any]] = []
    for document in lookup.ruleset.documents.values():
        for v in document.versions:
            entries.append({
                "id": f"rules:{document.id}@{v.date}@{','.join(v.regions)}",
                "type": "document_version", "date": format_instant(v.starts),
                "platform": document.platform, "document": document.id, "clause": None,
                "version": v.date.isoformat(), "regions": list(v.regions),
                "title": f"{document.title}: version of {v.date.isoformat()} "
                         f"({', '.join(v.regions)})",
                "summary": v.summary, "href": f"/v1/documents/{document.id}"})
        for clause in document.clauses:
            for v in clause.versions:
                before = _previous(document, v)
                if before is None:
                    change = "first_recorded" if v.present else "recorded_absent"
                elif not v.present:
                    change = "removed"
                else:
                    change = "changed"
                parameters = [{"name": p.name, "old": p.old, "new": p.new}
                              for p in parameter_changes(
                                  before if before and before.present else None,
                                  v if v.present else None)]
                entries.append({
                    "id": f"rules:{clause.id}@{v.date}@{','.join(v.regions)}",
                    "type": "clause_version", "date": format_instant(v.starts),
                    "platform": document.platform, "document": document.id,
                    "clause": clause.id, "version": v.date.isoformat(),
                    "regions": list(v.regions), "change": change, "parameters": parameters,
                    "title": f"{clause.title} ({clause.id}): "
                             f"{change.replace('_', ' ')} on {v.date.isoformat()} "
                             f"({', '.join(v.regions)})",
                    "summary": v.note,
                    "href": f"/v1/clauses/{clause.id}/history"})
    return entries


def observation_entry(observation: dict[str, Any]) -> dict[str, Any]:
    kind = ("a change of the terms" if observation["legal_event"]
            else "the archive's technical or declaration upgrade (not a legal event)")
    impact = observation["impact"]
    parts = []
    for p in impact.get("parameters", []):
        parts.append(f"{p['clause']} {p['parameter']}: encoded {p['encoded']}, the capture "
                     f"says {', '.join(map(str, p['found'])) or 'no number there'}")
    missing = {m["clause"] for m in impact.get("missing_quotes", [])}
    if missing:
        parts.append("encoded words no longer found: " + ", ".join(sorted(missing)))
    for d in impact.get("effective_dates", []):
        parts.append(f"new printed date {d['date']}")
    return {"id": f"observation:{observation['id']}", "type": "observation",
            "date": observation["captured_at"], "platform": observation["platform"],
            "document": observation["document"], "clause": None,
            "clauses": observation["clauses"], "observation": observation,
            "title": f"{observation['document']}: new capture {observation['commit'][:10]}, "
                     f"{kind}",
            "summary": "; ".join(parts) or "no encoded words or parameters affected",
            "href": f"/v1/observations/{observation['id']}"}


def check_filters(lookup: RuleLookup, platform: str | None, document: str | None,
                  clause: str | None) -> None:
    """Refuse as not found a filter naming a platform, document or clause the rules do not
    hold (decision 0160): an empty answer would read as a quiet one for as long as the typo
    lasts."""
    for check, value in ((lookup.platform, platform), (lookup.document, document),
                         (lookup.clause, clause)):
        if value is not None:
            check(value)


def changes(lookup: RuleLookup, observations: Observations, *, since: datetime | None = None,
            platform: str | None = None, document: str | None = None,
            clause: str | None = None, limit: int = 100) -> dict[str, Any]:
    """The merged feed, oldest first, filtered; at most ``limit`` entries (the newest). A
    filter naming a platform, document or clause the rules do not hold is refused as not
    found: an empty feed would read as a quiet one for as long as the typo lasts."""
    check_filters(lookup, platform, document, clause)
    entries = rule_entries(lookup)
    found = observations.list(platform=platform, document=document, since=since,
                              clause=clause, page_size=MAX_ENTRIES, newest_first=False)
    entries += [observation_entry(o) for o in found.items]

    def keep(entry: dict[str, Any]) -> bool:
        if entry["type"] == "observation":
            return True  # filtered by the query above
        if platform is not None and entry["platform"] != platform:
            return False
        if document is not None and entry["document"] != document:
            return False
        if clause is not None and entry["clause"] != clause:
            return False
        return since is None or datetime.fromisoformat(entry["date"]) >= since

    kept = sorted((e for e in entries if keep(e)), key=lambda e: (e["date"], e["id"]))
    total = len(kept)
    return {"entries": kept[-limit:] if limit else [], "total": total,
            "truncated": total > limit, "generated_at": format_instant(datetime.now(UTC)),
            "ruleset_revision": lookup.ruleset.revision}
