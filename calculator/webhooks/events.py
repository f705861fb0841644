"""Events become deliveries: one per subscription that wants the event and whose filters
match it, stored before anything is sent (an outbox), so that making an event never waits
for a receiver and a crash loses nothing.

The body follows the Standard Webhooks payload shape ``{"type", "timestamp", "data"}``. An
event has a key (e.g. ``terms.observed:<observation id>``); a subscription gets one delivery
per key however often the event is raised.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from calculator.storage.notify_schema import deliveries, subscriptions
from calculator.timeutil import format_instant

# The state of a subscription whose receiver answered 410 Gone: nothing more is queued or
# sent to it (Standard Webhooks: the sender disables the endpoint).
GONE = "gone"


@dataclass(frozen=True)
class Event:
    type: str
    key: str
    data: dict[str, Any]
    platforms: frozenset[str] = frozenset()
    documents: frozenset[str] = frozenset()
    clauses: frozenset[str] = frozenset()
    owner: str | None = None  # set: only this key's subscriptions get it
    owned: bool = False  # whether ``owner`` limits who gets it (None is the open service)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def matches(filters: dict[str, list[str]], event: Event) -> bool:
    """Every filter a subscription sets must name something the event is about."""
    for name, about in (("platforms", event.platforms), ("documents", event.documents),
                        ("clauses", event.clauses)):
        wanted = filters.get(name) or []
        if wanted and not set(wanted) & about:
            return False
    return True


def body_of(event: Event) -> str:
    return json.dumps({"type": event.type, "timestamp": format_instant(event.created_at),
                       "data": event.data}, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=False)


def raise_event(engine: Engine, event: Event) -> int:
    """Queue ``event`` for every subscription that wants it; how many deliveries were made
    (0 for subscriptions that already had this event's key)."""
    # A receiver that answered 410 Gone wants nothing more (Standard Webhooks).
    query = select(subscriptions.c.id, subscriptions.c.events, subscriptions.c.filters
                   ).where(subscriptions.c.state != GONE)
    if event.owned:
        query = query.where(subscriptions.c.owner.is_(None) if event.owner is None
                            else subscriptions.c.owner == event.owner)
    with engine.connect() as connection:
        wanted = [r for r in connection.execute(query)
                  if event.type in r.events and matches(r.filters or {}, event)]
    body = body_of(event)
    made = 0
    for row in wanted:
        try:
            with engine.begin() as connection:
                connection.execute(deliveries.insert().values(
                    id="msg_" + uuid.uuid4().hex, subscription_id=row.id,
                    event_type=event.type, event_key=event.key[:200], body=body,
                    state="pending", attempts=0, created_at=event.created_at,
                    next_attempt_at=event.created_at))
            made += 1
        except IntegrityError:
            continue  # this subscription already has this event (or was just deleted)
    return made
