"""Sending deliveries: signed per Standard Webhooks, at least once, retried with backoff.

A worker (``calculator webhooks run``) takes due deliveries one at a time. Taking one is a
conditional update of its lease, so several workers on several hosts never send the same
attempt twice at once; a worker that dies mid-send leaves a lease that expires, and the
delivery is sent again (at least once: receivers dedupe by ``webhook-id``).

An attempt succeeds on any 2xx answer. A timeout, a refused connection, a refused target or
any other answer is retried after an exponential backoff with jitter, for up to a day after
the event; then the delivery is ``failed`` and its subscription is marked ``failing`` (a
later success marks it ``active`` again).
"""

from __future__ import annotations

import contextlib
import http.client
import random
import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update
from standardwebhooks import Webhook

from calculator import __version__
from calculator.storage.notify_schema import deliveries, subscriptions
from calculator.webhooks import targets
from calculator.webhooks.events import GONE

GIVE_UP_AFTER = timedelta(days=1)
FIRST_DELAY = timedelta(seconds=10)
LONGEST_DELAY = timedelta(hours=3)
LEASE = timedelta(minutes=2)
TIMEOUT_SECONDS = 10.0  # the most one step (connecting, one read) may wait
# The most one whole attempt may take, connection to answer. The timeout above is per read:
# a receiver sending a header line, or a byte of its answer, every few seconds held the
# worker (and every other subscription's deliveries) for as long as it liked, and outlived
# the lease, so that a second worker sent the same message again beside it.
ATTEMPT_SECONDS = 30.0
_ANSWER_LIMIT = 64 * 1024  # read (and drop) at most this much of a receiver's answer


@dataclass(frozen=True)
class Outcome:
    delivery_id: str
    state: str  # delivered, pending (to be retried) or failed
    status: int | None
    error: str | None


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait after ``attempts`` failed attempts: 10 s doubled each time, at most 3 h,
    times a random factor in [0.5, 1] so that receivers coming back are not stampeded."""
    base = min(FIRST_DELAY * (2 ** max(0, attempts - 1)), LONGEST_DELAY)
    return base * (rng or random).uniform(0.5, 1.0)


def sign(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, at, body),
            "content-type": "application/json",
            "user-agent": f"scraping-cost-calculator/{__version__} (webhooks)"}


def post(url: str, body: str, headers: dict[str, str], *, allow_private: bool,
         timeout: float = TIMEOUT_SECONDS, within: float | None = None) -> int:
    """POST ``body`` to ``url`` at the address the target check approved; the status.
    Redirects are not followed (a 3xx is a failed attempt). The connection is cut once
    ``within`` seconds (``ATTEMPT_SECONDS``) have passed: an answer whose status came in
    time counts, however slowly the rest of it comes."""
    within = ATTEMPT_SECONDS if within is None else within
    target = targets.check(url, allow_private=allow_private)
    if target.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def connect_to_checked(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        return socket.create_connection((target.address, target.port), *args, **kwargs)

    # The host name stays in Host and TLS (SNI, certificate), the socket goes to the
    # address checked.
    connection._create_connection = connect_to_checked  # type: ignore[attr-defined]
    cut = threading.Event()

    def cut_off() -> None:
        cut.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # the read waiting on it returns at once

    timer = threading.Timer(within, cut_off)
    timer.start()
    try:
        try:
            connection.request("POST", target.path, body=body.encode("utf-8"),
                               headers=headers)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            if cut.is_set():
                raise TimeoutError(f"the receiver did not answer within {within:g} s") \
                    from exc
            raise
        try:
            response.read(_ANSWER_LIMIT)
        except (OSError, http.client.HTTPException):
            if not cut.is_set():
                raise
        return response.status
    finally:
        timer.cancel()
        connection.close()


def _take(engine: Engine, now: datetime) -> Any | None:
    """Lease the next due delivery, or None."""
    due = (select(deliveries.c.id).where(
        deliveries.c.state == "pending", deliveries.c.next_attempt_at <= now,
        or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now))
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id).limit(20))
    with engine.connect() as connection:
        candidates = [r.id for r in connection.execute(due)]
    for delivery_id in candidates:
        with engine.begin() as connection:
            taken = connection.execute(update(deliveries).where(
                deliveries.c.id == delivery_id, deliveries.c.state == "pending",
                or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now))
                .values(lease_until=now + LEASE)).rowcount
            if taken == 1:
                return connection.execute(
                    select(deliveries, subscriptions.c.url, subscriptions.c.secret)
                    .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                    .where(deliveries.c.id == delivery_id)).first()
    return None


def attempt(engine: Engine, row: Any, now: datetime, *, allow_private: bool,
            timeout: float = TIMEOUT_SECONDS) -> Outcome:
    status: int | None = None
    error: str | None = None
    try:
        status = post(row.url, row.body, sign(row.secret, row.id, datetime.now(UTC), row.body),
                      allow_private=allow_private, timeout=timeout)
    except targets.TargetRefused as refused:
        error = refused.detail
    except (OSError, http.client.HTTPException) as exc:  # timeouts, refusals, bad answers
        error = f"{type(exc).__name__}: {exc}"[:300]
    attempts = row.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now,
                              "last_status": status, "last_error": error, "lease_until": None}
    if status is not None and 200 <= status < 300:
        values |= {"state": "delivered", "delivered_at": now, "next_attempt_at": None,
                   "last_error": None}
    elif status == 410:
        # Gone: the receiver wants no more webhooks from here, and Standard Webhooks says
        # to stop sending it any. It was retried for a day like any failure.
        values |= {"state": "failed", "next_attempt_at": None,
                   "last_error": "the receiver answered 410 Gone: nothing more is sent to it"}
    else:
        if error is None:
            values["last_error"] = f"the receiver answered {status}"
        retry_at = now + backoff(attempts)
        deadline = row.created_at + GIVE_UP_AFTER
        if now >= deadline:
            values |= {"state": "failed", "next_attempt_at": None}
        else:
            values |= {"state": "pending", "next_attempt_at": min(retry_at, deadline)}
    with engine.begin() as connection:
        connection.execute(update(deliveries).where(deliveries.c.id == row.id).values(**values))
        sub = subscriptions.c
        if values["state"] == "delivered":
            connection.execute(update(subscriptions).where(
                sub.id == row.subscription_id, sub.state != "active").values(
                state="active", failing_since=None))
        if status == 410:
            connection.execute(update(subscriptions).where(sub.id == row.subscription_id)
                               .values(state=GONE, failing_since=now))
            connection.execute(update(deliveries).where(
                deliveries.c.subscription_id == row.subscription_id,
                deliveries.c.state == "pending").values(
                state="failed", next_attempt_at=None, lease_until=None,
                last_error="the receiver answered 410 Gone: nothing more is sent to it"))
        elif values["state"] == "failed":
            connection.execute(update(subscriptions).where(
                sub.id == row.subscription_id, sub.state != "failing").values(
                state="failing", failing_since=now))
    return Outcome(row.id, values["state"], status, values["last_error"])


def run_once(engine: Engine, *, allow_private: bool, now: datetime | None = None,
             limit: int = 100, timeout: float = TIMEOUT_SECONDS) -> list[Outcome]:
    """Send the deliveries due at ``now`` (at most ``limit``); what became of each."""
    outcomes = []
    for _ in range(limit):
        moment = now or datetime.now(UTC)
        row = _take(engine, moment)
        if row is None:
            break
        outcomes.append(attempt(engine, row, moment, allow_private=allow_private,
                                timeout=timeout))
    return outcomes
