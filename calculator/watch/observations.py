"""Observations as stored: record once per capture, list, show, acknowledge, mark encoded.

An observation is evidence that a tracked document may have changed: a capture newer than
the document's ``checked_through``. It is not a rule. Its state moves ``new`` to
``acknowledged`` (a person has seen it) and to ``encoded`` (the rules' ``checked_through``
has passed the capture, so a rule version covers it). Observations are facts about a public
archive: every API key sees all of them, and an acknowledgement names the key that made it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from calculator.errors import FieldProblem, InvalidArgument, RecordNotFound, shown_id
from calculator.storage.notify_schema import observations as table
from calculator.storage.repository import Page
from calculator.timeutil import format_instant, start_of_day

STATES = ("new", "acknowledged", "encoded")
KINDS = ("terms_change", "technical_upgrade")
_LISTED = [c for c in table.c if c.name != "diff"]
_ONE_DAY = timedelta(days=1)


def as_document(row: Any, *, with_diff: bool) -> dict[str, Any]:
    """An observation as the API, the CLI, the feed and webhooks show it."""
    document = {
        "id": row.id, "platform": row.platform, "document": row.document,
        "archive": row.archive, "commit": row.commit, "path": row.path,
        "captured_at": format_instant(row.captured_at), "kind": row.kind,
        "legal_event": row.kind == "terms_change", "message": row.message,
        "checked_commit": row.checked_commit, "state": row.state,
        "clauses": list(row.clauses), "impact": row.impact,
        "created_at": format_instant(row.created_at),
        "acknowledged_at": format_instant(row.acknowledged_at) if row.acknowledged_at else None,
        "acknowledged_by": row.acknowledged_by,
        "encoded_at": format_instant(row.encoded_at) if row.encoded_at else None,
    }
    if with_diff:
        document["diff"] = row.diff
    return document


class Observations:
    """The observations of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, *, archive: str, commit: str, path: str, platform: str, document: str,
               captured_at: datetime, kind: str, message: str, checked_commit: str | None,
               diff: dict[str, Any], impact: dict[str, Any]) -> dict[str, Any] | None:
        """Store an observation; None when this capture of this document is already stored
        (by this run or another host's: the unique index decides)."""
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is not one of {KINDS}")
        row = {"id": uuid.uuid4().hex, "archive": archive, "commit": commit, "path": path,
               "platform": platform, "document": document, "captured_at": captured_at,
               "kind": kind, "message": message[:500], "checked_commit": checked_commit,
               "diff": diff, "impact": impact, "clauses": affected_clauses(impact),
               "state": "new", "created_at": datetime.now(UTC), "acknowledged_at": None,
               "acknowledged_by": None, "encoded_at": None}
        try:
            with self.engine.begin() as connection:
                connection.execute(table.insert().values(**row))
        except IntegrityError:
            return None
        return self.get(row["id"])

    def known(self, document: str, commit: str) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(select(table.c.id).where(
                table.c.document == document, table.c.commit == commit)).first() is not None

    def get(self, observation_id: str, *, with_diff: bool = True) -> dict[str, Any]:
        with self.engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.id == observation_id)).first()
        if row is None:
            raise RecordNotFound(f"no observation with id '{shown_id(observation_id)}'")
        return as_document(row, with_diff=with_diff)

    def list(self, *, platform: str | None = None, document: str | None = None,
             state: str | None = None, since: datetime | None = None,
             clause: str | None = None, page: int = 1, page_size: int = 20,
             newest_first: bool = True) -> Page[dict[str, Any]]:
        """Observations by capture date (newest first unless told), filtered; ``since`` is
        inclusive and applies to the capture date."""
        if state is not None and state not in STATES:
            raise InvalidArgument(f"state: expected one of {', '.join(STATES)}",
                                  problems=[FieldProblem("unknown state", field="state")])
        conditions = []
        if platform is not None:
            conditions.append(table.c.platform == platform)
        if document is not None:
            conditions.append(table.c.document == document)
        if state is not None:
            conditions.append(table.c.state == state)
        if since is not None:
            conditions.append(table.c.captured_at >= since)
        order = ((table.c.captured_at.desc(), table.c.id.desc()) if newest_first
                 else (table.c.captured_at, table.c.id))
        with self.engine.connect() as connection:
            rows = connection.execute(select(*_LISTED).where(*conditions).order_by(*order)).all()
        # The clause filter reads the JSON list in Python: the same on both databases, and
        # observations are few (one per capture of a tracked document).
        if clause is not None:
            rows = [r for r in rows if clause in (r.clauses or [])]
        start = (page - 1) * page_size
        items = [as_document(r, with_diff=False) for r in rows[start:start + page_size]]
        return Page(items, len(rows), page, page_size)

    def acknowledge(self, observation_id: str, *, by: str | None) -> dict[str, Any]:
        """``new`` becomes ``acknowledged``; acknowledging again, or an encoded observation,
        changes nothing (the first acknowledgement is kept)."""
        with self.engine.begin() as connection:
            connection.execute(update(table).where(
                table.c.id == observation_id, table.c.state == "new").values(
                state="acknowledged", acknowledged_at=datetime.now(UTC), acknowledged_by=by))
        return self.get(observation_id)

    def mark_encoded(self, checked_through: dict[str, date]) -> int:
        """Observations whose capture the rules' ``checked_through`` (by document) has
        reached are covered by a rule version now: ``encoded``. Returns how many moved."""
        if not checked_through:
            return 0
        now = datetime.now(UTC)
        reached = or_(*(and_(table.c.document == doc,
                             table.c.captured_at < start_of_day(day + _ONE_DAY))
                        for doc, day in checked_through.items()))
        with self.engine.begin() as connection:
            result = connection.execute(update(table).where(
                table.c.state != "encoded", reached).values(state="encoded", encoded_at=now))
        return result.rowcount

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(table)).scalar_one()


def affected_clauses(impact: dict[str, Any]) -> list[str]:
    """The clause ids an impact names, sorted, once each."""
    ids = {m["clause"] for m in impact.get("missing_quotes", [])}
    ids |= {c["clause"] for c in impact.get("parameters", [])}
    return sorted(ids)

