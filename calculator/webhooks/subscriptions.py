"""Webhook subscriptions: made by an API key, seen and deleted only by it.

A subscription names a URL (checked by ``targets``), the events it wants and optional
filters by platform, document or clause. Its signing secret (Standard Webhooks,
``whsec_`` and base64) is returned once, when it is made; afterwards it is kept only to sign.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from calculator.errors import FieldProblem, InvalidArgument, RecordNotFound, shown_id
from calculator.storage.notify_schema import deliveries, subscriptions
from calculator.timeutil import format_instant
from calculator.webhooks import targets

EVENTS = ("terms.observed", "rules.changed", "exposure.changed")
FILTERS = ("platforms", "documents", "clauses")
MAX_PER_OWNER = 50


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def as_document(row: Any) -> dict[str, Any]:
    return {"id": row.id, "url": row.url, "events": list(row.events),
            "filters": {k: list(row.filters.get(k, [])) for k in FILTERS},
            "state": row.state, "created_at": format_instant(row.created_at),
            "failing_since": format_instant(row.failing_since) if row.failing_since else None}


def _owned(owner: str | None):
    return (subscriptions.c.owner.is_(None) if owner is None
            else subscriptions.c.owner == owner)


class Subscriptions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, *, owner: str | None, url: str, events: list[str] | None,
               filters: dict[str, list[str]] | None, allow_private: bool) -> dict[str, Any]:
        """A new subscription; its document carries ``secret``, shown this once."""
        targets.check(url, allow_private=allow_private)
        chosen = list(dict.fromkeys(events or EVENTS))
        unknown = [e for e in chosen if e not in EVENTS]
        if unknown or not chosen:
            message = f"expected some of {', '.join(EVENTS)}"
            raise InvalidArgument(f"events: {message}",
                                  problems=[FieldProblem(message, field="events")])
        kept = {k: sorted(set((filters or {}).get(k) or [])) for k in FILTERS}
        with self.engine.begin() as connection:
            count = connection.execute(select(func.count()).select_from(subscriptions)
                                       .where(_owned(owner))).scalar_one()
            if count >= MAX_PER_OWNER:
                raise InvalidArgument(f"this key has {count} subscriptions, the most allowed; "
                                      "delete one first")
            row = {"id": uuid.uuid4().hex, "owner": owner, "url": url, "events": chosen,
                   "filters": kept, "secret": new_secret(), "state": "active",
                   "created_at": datetime.now(UTC), "failing_since": None}
            connection.execute(subscriptions.insert().values(**row))
        return {**self.get(row["id"], owner=owner), "secret": row["secret"]}

    def get(self, subscription_id: str, *, owner: str | None) -> dict[str, Any]:
        with self.engine.connect() as connection:
            row = connection.execute(select(subscriptions).where(
                subscriptions.c.id == subscription_id, _owned(owner))).first()
        if row is None:
            raise RecordNotFound(f"no subscription with id '{shown_id(subscription_id)}'")
        return as_document(row)

    def list(self, *, owner: str | None) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(subscriptions).where(_owned(owner)).order_by(
                subscriptions.c.created_at, subscriptions.c.id)).all()
        return [as_document(r) for r in rows]

    def delete(self, subscription_id: str, *, owner: str | None) -> None:
        """Remove a subscription and its delivery log; nothing more is sent to it."""
        with self.engine.begin() as connection:
            found = connection.execute(select(subscriptions.c.id).where(
                subscriptions.c.id == subscription_id, _owned(owner))).first()
            if found is None:
                raise RecordNotFound(f"no subscription with id '{shown_id(subscription_id)}'")
            # Also without the database's cascade (SQLite needs foreign keys switched on).
            connection.execute(deliveries.delete().where(
                deliveries.c.subscription_id == subscription_id))
            connection.execute(subscriptions.delete().where(
                subscriptions.c.id == subscription_id))

    def deliveries(self, subscription_id: str, *, owner: str | None,
                   limit: int = 100) -> list[dict[str, Any]]:
        """The delivery log, newest first: what was sent, how often, and how it went."""
        self.get(subscription_id, owner=owner)
        with self.engine.connect() as connection:
            rows = connection.execute(select(deliveries).where(
                deliveries.c.subscription_id == subscription_id).order_by(
                deliveries.c.created_at.desc(), deliveries.c.id.desc()).limit(limit)).all()
        return [delivery_document(r) for r in rows]


def delivery_document(row: Any) -> dict[str, Any]:
    def instant(value: datetime | None) -> str | None:
        return format_instant(value) if value else None

    return {"id": row.id, "event_type": row.event_type, "state": row.state,
            "attempts": row.attempts, "created_at": instant(row.created_at),
            "last_attempt_at": instant(row.last_attempt_at), "last_status": row.last_status,
            "last_error": row.last_error, "next_attempt_at": instant(row.next_attempt_at),
            "delivered_at": instant(row.delivered_at)}
