"""Atomic reservations against a budget, usage recorded without asking, posts given back.

A reservation is one call that takes the budget's write lock first (PostgreSQL's function
locks the budget's row; SQLite's statements run under ``BEGIN IMMEDIATE``), so two
reservations of one budget never read the same usage and both add to it. See
docs/decisions/0100-live-budgets.md and 0106.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from calculator.budget import running
from calculator.budget.limits import Limit, limit_span
from calculator.budget.records import (
    NAME_PATTERN,
    SHOWN_WINDOW,
    BudgetRecords,
    check_name,
    instant_of,
    second_of,
)
from calculator.budget.results import Budget, Decision, Recorded, Reservation, Standing
from calculator.budget.window import Usage, earliest_fit, fits
from calculator.errors import FieldProblem, InvalidArgument, RecordNotFound, Unauthorized
from calculator.storage.budget_schema import budget_reservations, budget_usage
from calculator.storage.keys import KEY_NOT_VALID

__all__ = ["NAME_PATTERN", "Budgets", "check_name"]


class Budgets(BudgetRecords):
    """The budgets of one owner (an API key's name; None on an open service), with
    reservations against them."""
    # -- reservations --------------------------------------------------------------------

    def reserve(self, name: str, posts: int, now: datetime | None = None,
                returnable: bool = False) -> Decision:
        """Grant ``posts`` at ``now`` and record them iff every period of the window that
        contains now stays within the limit; otherwise refuse, saying when they fit. A
        returnable reservation may give back what it did not use (``give_back``). Without
        ``now``, the instant is read once the budget is locked (on PostgreSQL the
        database's clock), so that reservations are recorded in the order they are made.

        One call to the database on the way that matters (nothing recorded after now):
        the budget's running total is slid to the trailing window and compared with the
        limit (``running.reserve``), the owner's key checked in the same call. A clock
        behind the posts already recorded takes the general way, which checks every
        period that reaches them."""
        _check_posts(posts)
        fresh = retried = called = False
        while True:
            budget = self._known(name, fresh)
            span = limit_span(self.lookup, budget.platform, budget.region,
                              budget.margin_percent, now or datetime.now(UTC))
            limit = span.limit
            window = limit.guard if limit is not None else SHOWN_WINDOW
            ask = running.Ask(budget.id, None if now is None else second_of(now), posts, window,
                              None if limit is None else limit.posts, span.start, span.end,
                              self.key, self.owner)
            try:
                with self._reservation(alone=not returnable) as connection:
                    slid = running.reserve(connection, ask)
                    called = True
                    if slid.outcome == running.UNAUTHORIZED:
                        raise Unauthorized(KEY_NOT_VALID)
                    if slid.outcome == running.MISSING:
                        if fresh:
                            break  # gone: the general way says so
                        fresh = True  # deleted (and perhaps made again) since it was cached
                        continue
                    at = slid.at or now
                    assert at is not None
                    if slid.outcome == running.STALE:
                        now = at  # another limit is in force at the instant read: ask for it
                        continue
                    if slid.outcome == running.LATER:
                        now = at
                        break
                    t = second_of(at)
                    left = None if limit is None else max(0, limit.posts - slid.total)
                    refills = (None if limit is None or slid.oldest is None or slid.oldest > t
                               else instant_of(slid.oldest + window))
                    standing = Standing(budget, at, limit, slid.total, left, refills)
                    if slid.outcome == running.GRANTED:
                        kept = (self._keep_reservation(connection, budget, t, posts, limit)
                                if returnable else None)
                        return Decision(True, posts, standing, reservation=kept)
                    assert limit is not None  # without a limit nothing is refused
                    when = running.earliest_fit(connection, budget.id, t, posts, slid.total,
                                                t - window + 1, limit.posts, window)
                    return Decision(False, posts, standing,
                                    retry_after=None if when is None else instant_of(when),
                                    never=when is None)
            except DBAPIError as exc:
                # A connection the server dropped (unchecked: one round trip less
                # a call) is found dead by the call itself; once, on a new one. Not
                # once the call answered: its grant may stand, and is not made twice.
                if retried or called or not exc.connection_invalidated:
                    raise
                retried = True
        return self._reserve_behind(name, posts, now or datetime.now(UTC), returnable)

    def _reserve_behind(self, name: str, posts: int, now: datetime,
                        returnable: bool) -> Decision:
        """The general grant rule on the recorded seconds around now, for a clock behind
        posts already recorded: every period containing now is checked."""
        t = second_of(now)
        with self._locked(name) as (connection, budget):
            limit = self._limit(budget, now)
            usage = self._usage(connection, budget, t, limit)
            if limit is not None and not fits(usage, t, posts, limit.posts, limit.guard):
                when = earliest_fit(usage, t, posts, limit.posts, limit.guard)
                return Decision(False, posts, self._standing(budget, now, limit, usage),
                                retry_after=None if when is None else instant_of(when),
                                never=when is None)
            self._add(connection, budget, t, posts)
            reservation = None
            if returnable:
                reservation = self._keep_reservation(connection, budget, t, posts, limit)
            after = Usage.of([*zip(usage.seconds, _posts(usage), strict=True), (t, posts)])
            return Decision(True, posts, self._standing(budget, now, limit, after),
                            reservation=reservation)

    def give_back(self, name: str, reservation_id: str, posts: int,
                  now: datetime) -> tuple[Reservation, Standing]:
        """Give back ``posts`` a returnable reservation did not use: they are taken off the
        second it recorded them at, as if never reserved. At most what it kept."""
        _check_posts(posts)
        with self._locked(name) as (connection, budget):
            limit = self._limit(budget, now)
            window = limit.guard if limit is not None else 86400
            # Past its window a reservation is gone, whether or not a later one has cleared
            # it away yet: giving back then rewrote a log no grant reads any more.
            row = connection.execute(select(budget_reservations).where(
                budget_reservations.c.id == reservation_id,
                budget_reservations.c.budget_id == budget.id,
                budget_reservations.c.second > second_of(now) - window)).mappings().first()
            if row is None:
                raise RecordNotFound(
                    "no returnable reservation with that id for this budget (a reservation "
                    "can give posts back for one window after it was granted)")
            reservation = Reservation(row["id"], int(row["posts"]), int(row["returned"]),
                                      instant_of(int(row["second"])))
            if posts > reservation.kept:
                message = (f"the reservation kept {reservation.kept:,} posts; at most that "
                           "many can be given back")
                raise InvalidArgument(f"posts: {message}",
                                      problems=[FieldProblem(message, field="posts")])
            second = int(row["second"])
            self._add(connection, budget, second, -posts)
            connection.execute(delete(budget_usage).where(
                budget_usage.c.budget_id == budget.id, budget_usage.c.second == second,
                budget_usage.c.posts <= 0))
            connection.execute(update(budget_reservations).where(
                budget_reservations.c.id == reservation.id
            ).values(returned=budget_reservations.c.returned + posts))
            usage = self._usage(connection, budget, second_of(now), limit)
            given = Reservation(reservation.id, reservation.posts,
                                reservation.returned + posts, reservation.at)
            return given, self._standing(budget, now, limit, usage)

    def record(self, name: str, posts: int, now: datetime,
               at: datetime | None = None) -> Recorded:
        """Record ``posts`` fetched without asking, at ``at`` (default now; never later than
        now). Always recorded, even over the limit: the answer says by how much."""
        _check_posts(posts)
        at = at or now
        if second_of(at) > second_of(now):
            message = "posts cannot be recorded as fetched later than now"
            raise InvalidArgument(f"at: {message}", problems=[FieldProblem(message,
                                                                           field="at")])
        t = second_of(at)
        with self._locked(name) as (connection, budget):
            self._add(connection, budget, t, posts)
            limit = self._limit(budget, instant_of(t))
            window = limit.guard if limit is not None else 86400
            around = Usage.of([(int(s), int(p)) for s, p in connection.execute(
                select(budget_usage.c.second, budget_usage.c.posts).where(
                    budget_usage.c.budget_id == budget.id,
                    budget_usage.c.second > t - window, budget_usage.c.second < t + window))])
            busiest = around.busiest_containing(t, window)
            limit_now = self._limit(budget, now)
            usage = self._usage(connection, budget, second_of(now), limit_now)
            return Recorded(posts, instant_of(t), limit, busiest,
                            self._standing(budget, now, limit_now, usage))

    def _keep_reservation(self, connection: Connection, budget: Budget, t: int, posts: int,
                          limit: Limit | None) -> Reservation:
        window = limit.guard if limit is not None else 86400
        # Reservations past their window decide no grant any more: drop them as we go.
        connection.execute(delete(budget_reservations).where(
            budget_reservations.c.budget_id == budget.id,
            budget_reservations.c.second <= t - window))
        reservation = Reservation(uuid.uuid4().hex, posts, 0, instant_of(t))
        connection.execute(insert(budget_reservations).values(
            id=reservation.id, budget_id=budget.id, second=t, posts=posts, returned=0))
        return reservation

    def _add(self, connection: Connection, budget: Budget, t: int, posts: int) -> None:
        running.add(connection, budget.id, t, posts)

    @contextmanager
    def _reservation(self, alone: bool) -> Iterator[Connection]:
        """A connection for one reservation call: PostgreSQL's function is atomic by itself
        (autocommit: one round trip) when nothing else is ``alone``-written with it;
        SQLite's statements run under its write lock."""
        if self.engine.dialect.name == "sqlite" or not alone:
            with self._transaction() as connection:
                yield connection
            return
        with running.single_calls(self.engine).connect() as connection:
            yield connection


def _check_posts(posts: int) -> None:
    if isinstance(posts, bool) or not isinstance(posts, int) or posts < 1:
        message = "posts is a whole number of at least 1"
        raise InvalidArgument(f"posts: {message}", problems=[FieldProblem(message,
                                                                         field="posts")])


def _posts(usage: Usage) -> list[int]:
    return [b - a for a, b in zip(usage.prefix, usage.prefix[1:], strict=False)]
