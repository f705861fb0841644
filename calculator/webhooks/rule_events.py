"""``rules.changed`` and ``exposure.changed``: what a new ruleset revision changed, and whose
stored answers it moved.

When a server starts on a ruleset revision it did not serve before, ``record_served`` keeps
that revision with a fingerprint of every document and clause version (cheap; done once per
start). The delivery worker then ``announce``\\s each revision not yet announced: it diffs
the fingerprints with the revision served before it (versions added, edited, removed) and
raises ``rules.changed``; and, when the worker itself runs that revision, it replays every
stored assessment and review under it and raises ``exposure.changed`` for those whose
headline, range or findings differ from the document as filed, to the key that owns it.
Event keys name the revision, so a second worker, or a second pass, sends nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from calculator.rules import RuleLookup
from calculator.rules.model import Ruleset
from calculator.storage.notify_schema import served_rulesets
from calculator.storage.repository import Store
from calculator.webhooks.events import Event, raise_event


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _jsonable(value: Any) -> Any:
    """Parameters as JSON keeps them: amounts (Decimal) as their decimal strings."""
    return json.loads(json.dumps(value, default=str))


def fingerprints(ruleset: Ruleset) -> dict[str, dict[str, Any]]:
    """Every document and clause version, by a stable key, with what identifies it and a
    digest of its content (so that an edited version is told from an added one)."""
    result: dict[str, dict[str, Any]] = {}
    for document in ruleset.documents.values():
        for v in document.versions:
            key = f"{document.id}@{v.date}@{','.join(v.regions)}"
            result[key] = {"type": "document_version", "platform": document.platform,
                           "document": document.id, "version": v.date.isoformat(),
                           "regions": list(v.regions),
                           "digest": _digest([v.dating, v.source, v.summary, v.note,
                                              v.published, v.observed, v.last_absent])}
        for clause in document.clauses:
            for v in clause.versions:
                key = f"{clause.id}@{v.date}@{','.join(v.regions)}"
                result[key] = {"type": "clause_version", "platform": document.platform,
                               "document": document.id, "clause": clause.id,
                               "version": v.date.isoformat(), "regions": list(v.regions),
                               "status": v.status, "parameters": _jsonable(v.parameters),
                               "digest": _digest([v.status, v.quote, v.context, v.parameters,
                                                  v.source, v.note])}
    return result


def diff_fingerprints(old: dict[str, dict[str, Any]],
                      new: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Versions added, edited (same key, other content) and removed, each without digest;
    an edited clause version carries its old and new parameters."""
    def plain(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k != "digest"}

    added = [plain(new[k]) for k in sorted(new) if k not in old]
    removed = [plain(old[k]) for k in sorted(old) if k not in new]
    edited = []
    for key in sorted(set(old) & set(new)):
        if old[key]["digest"] != new[key]["digest"]:
            item = plain(new[key])
            if "parameters" in item:
                item["old_parameters"] = old[key].get("parameters")
            edited.append(item)
    return {"added": added, "edited": edited, "removed": removed}


def record_served(engine: Engine, ruleset: Ruleset) -> bool:
    """Keep ``ruleset``'s revision as served (once); whether it is new to this database."""
    with engine.connect() as connection:
        if connection.execute(select(served_rulesets.c.revision).where(
                served_rulesets.c.revision == ruleset.revision)).first() is not None:
            return False
        last = connection.execute(select(served_rulesets.c.revision).order_by(
            served_rulesets.c.first_served_at.desc()).limit(1)).first()
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:
            connection.execute(served_rulesets.insert().values(
                revision=ruleset.revision, first_served_at=now,
                previous=None if last is None else last.revision,
                versions=fingerprints(ruleset),
                # The first revision a database serves changes nothing for anyone.
                announced_at=now if last is None else None))
    except IntegrityError:
        return False  # another worker or host recorded it first
    return True


def _about(items: list[dict[str, Any]]) -> dict[str, frozenset[str]]:
    return {"platforms": frozenset(i["platform"] for i in items),
            "documents": frozenset(i["document"] for i in items),
            "clauses": frozenset(i["clause"] for i in items if "clause" in i)}


def announce(engine: Engine, store: Store, lookup: RuleLookup) -> list[str]:
    """Raise the events of every served revision not announced yet; their revisions."""
    with engine.connect() as connection:
        rows = connection.execute(select(served_rulesets).where(
            served_rulesets.c.announced_at.is_(None)).order_by(
            served_rulesets.c.first_served_at)).all()
    done = []
    for row in rows:
        with engine.connect() as connection:
            before = connection.execute(select(served_rulesets.c.versions).where(
                served_rulesets.c.revision == row.previous)).first()
        diff = diff_fingerprints(before.versions if before else {}, row.versions)
        items = diff["added"] + diff["edited"] + diff["removed"]
        if items:
            raise_event(engine, Event(
                type="rules.changed", key=f"rules.changed:{row.revision}",
                data={"old_revision": row.previous, "new_revision": row.revision, **diff},
                **_about(items)))
        if lookup.ruleset.revision == row.revision:
            replay_exposures(engine, store, lookup, row.previous, items)
        with engine.begin() as connection:
            connection.execute(update(served_rulesets).where(
                served_rulesets.c.revision == row.revision,
                served_rulesets.c.announced_at.is_(None)).values(announced_at=datetime.now(UTC)))
        done.append(row.revision)
    return done


def replay_exposures(engine: Engine, store: Store, lookup: RuleLookup,
                     old_revision: str | None, rule_changes: list[dict[str, Any]]) -> int:
    """Replay every stored assessment and review under ``lookup``; raise ``exposure.changed``
    for each whose figures moved. How many events were raised."""
    from calculator.webhooks.exposure import exposure_changes

    raised = 0
    for change in exposure_changes(store, lookup, rule_changes):
        owner = change.pop("_owner")
        raise_event(engine, Event(
            type="exposure.changed",
            key=f"exposure.changed:{change['record']['kind']}:{change['record']['id']}:"
                f"{lookup.ruleset.revision}",
            data={"old_revision": old_revision, "new_revision": lookup.ruleset.revision,
                  **change},
            platforms=frozenset([change["record"]["platform"]]),
            documents=frozenset(c["document"] for c in change["caused_by"]),
            clauses=frozenset(c["clause"] for c in change["caused_by"] if "clause" in c),
            owner=owner, owned=True))
        raised += 1
    return raised
