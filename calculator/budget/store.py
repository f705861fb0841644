"""Named budgets kept in the service's database, and atomic reservations against them.

A reservation is one transaction that first takes the budget's write lock: SQLite's
``BEGIN IMMEDIATE`` (one writer for the whole file), PostgreSQL's row lock on the budget
(``SELECT ... FOR UPDATE``), so two reservations of one budget never read the same usage
and both add to it. See docs/decisions/0100-live-budgets.md.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from calculator.budget import running, turns
from calculator.budget.limits import Limit, limit_at, limit_span
from calculator.budget.results import Budget, Decision, Recorded, Reservation, Standing
from calculator.budget.window import Usage, earliest_fit, fits, used_now
from calculator.errors import (
    Conflict,
    FieldProblem,
    InvalidArgument,
    RecordNotFound,
    Unauthorized,
)
from calculator.rules import RuleLookup
from calculator.storage.budget_schema import budget_reservations, budget_usage, budgets
from calculator.storage.keys import KEY_NOT_VALID

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)
_SHOWN_WINDOW = 86400  # without a clause in force, "used" counts the last day
# The budgets each engine's reservations have looked up, by (owner, name).
_KNOWN: WeakKeyDictionary[Engine, dict[tuple[str, str], Budget]] = WeakKeyDictionary()


def _second(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return int(at.timestamp() // 1)


def _instant(second: int) -> datetime:
    return datetime.fromtimestamp(second, UTC)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        message = ("a budget name is 1 to 64 letters, digits, '.', '_' or '-', starting with "
                   "a letter or digit")
        raise InvalidArgument(f"name: {message}", problems=[FieldProblem(message, field="name")])
    return name


class Budgets:
    """The budgets of one owner (an API key's name; None on an open service)."""

    def __init__(self, engine: Engine, lookup: RuleLookup, owner: str | None,
                 key: str | None = None) -> None:
        self.engine = engine
        self.lookup = lookup
        self.owner = owner or ""
        # The digest of the API key the owner presented: a reservation checks it is still
        # an active key of the owner in its own call (None: not checked there).
        self.key = key

    # -- budgets -------------------------------------------------------------------------

    def create(self, name: str, platform: str, region: str | None = None,
               margin_percent: int = 100, now: datetime | None = None) -> Budget:
        check_name(name)
        self.lookup.platform(platform)  # NotFound for an unknown platform
        choice = self.lookup.region_choice(region)
        if not 1 <= margin_percent <= 100:
            message = "a safety margin is a whole percent of the threshold, from 1 to 100"
            raise InvalidArgument(f"margin_percent: {message}",
                                  problems=[FieldProblem(message, field="margin_percent")])
        budget = Budget(uuid.uuid4().hex, name, platform, choice.region, choice.country,
                        margin_percent, now or datetime.now(UTC))
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(budgets).values(
                    id=budget.id, owner=self.owner, name=name, platform=platform,
                    region=budget.region, country=budget.country,
                    margin_percent=margin_percent, created_at=budget.created_at))
        except IntegrityError as exc:
            raise Conflict(f"a budget named {name} exists already; delete it first or "
                           "choose another name") from exc
        return budget

    def get(self, name: str) -> Budget:
        with self.engine.connect() as connection:
            return self._find(connection, name)

    def delete(self, name: str) -> None:
        _KNOWN.get(self.engine, {}).pop((self.owner, name), None)
        with self.engine.begin() as connection:
            budget = self._find(connection, name)
            connection.execute(delete(budget_usage).where(budget_usage.c.budget_id == budget.id))
            connection.execute(delete(budget_reservations)
                               .where(budget_reservations.c.budget_id == budget.id))
            connection.execute(delete(budgets).where(budgets.c.id == budget.id))

    def standing(self, name: str, now: datetime) -> Standing:
        with self.engine.connect() as connection:
            budget = self._find(connection, name)
            limit = self._limit(budget, now)
            usage = self._usage(connection, budget, _second(now), limit)
            return self._standing(budget, now, limit, usage)

    def log(self, name: str) -> list[tuple[datetime, int]]:
        """The recorded usage, (second, posts), oldest first: a crawl log like any other."""
        return [(_instant(s), p) for rows in self.log_chunks(name) for s, p in rows]

    def log_chunks(self, name: str, size: int = 10_000) -> Iterator[list[tuple[int, int]]]:
        """The recorded usage in chunks of (Unix second, posts), oldest first, read as they
        are sent: a year of busy seconds is never held in memory. Raises RecordNotFound
        before the first chunk for an unknown budget."""
        connection = self.engine.connect()
        try:
            budget = self._find(connection, name)
        except BaseException:
            connection.close()
            raise
        return self._chunks(connection, budget, size)

    @staticmethod
    def _chunks(connection: Connection, budget: Budget,
                size: int) -> Iterator[list[tuple[int, int]]]:
        with connection:
            result = connection.execution_options(yield_per=size).execute(
                select(budget_usage.c.second, budget_usage.c.posts)
                .where(budget_usage.c.budget_id == budget.id)
                .order_by(budget_usage.c.second))
            for part in result.partitions(size):
                yield [(int(s), int(p)) for s, p in part]

    def recent(self, name: str, now: datetime) -> tuple[Standing, list[tuple[int, int]]]:
        """The budget now and its usage over the last two windows (what the trailing
        count over the last window needs), as (Unix second, posts)."""
        t = _second(now)
        with self.engine.connect() as connection:
            budget = self._find(connection, name)
            limit = self._limit(budget, now)
            window = limit.window if limit is not None else 86400
            rows = [(int(s), int(p)) for s, p in connection.execute(
                select(budget_usage.c.second, budget_usage.c.posts)
                .where(budget_usage.c.budget_id == budget.id,
                       budget_usage.c.second > t - 2 * window)
                .order_by(budget_usage.c.second))]
        usage = Usage.of([(s, p) for s, p in rows if s > t - window])
        return self._standing(budget, now, limit, usage), [(s, p) for s, p in rows if s <= t]

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
            window = limit.window if limit is not None else _SHOWN_WINDOW
            ask = running.Ask(budget.id, None if now is None else _second(now), posts, window,
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
                    t = _second(at)
                    left = None if limit is None else max(0, limit.posts - slid.total)
                    refills = (None if limit is None or slid.oldest is None or slid.oldest > t
                               else _instant(slid.oldest + window))
                    standing = Standing(budget, at, limit, slid.total, left, refills)
                    if slid.outcome == running.GRANTED:
                        kept = (self._keep_reservation(connection, budget, t, posts, limit)
                                if returnable else None)
                        running.confirm(connection)
                        return Decision(True, posts, standing, reservation=kept)
                    assert limit is not None  # without a limit nothing is refused
                    when = running.earliest_fit(connection, budget.id, t, posts, slid.total,
                                                t - window + 1, limit.posts, window)
                    return Decision(False, posts, standing,
                                    retry_after=None if when is None else _instant(when),
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
        t = _second(now)
        with self._locked(name) as (connection, budget):
            limit = self._limit(budget, now)
            usage = self._usage(connection, budget, t, limit)
            if limit is not None and not fits(usage, t, posts, limit.posts, limit.window):
                when = earliest_fit(usage, t, posts, limit.posts, limit.window)
                return Decision(False, posts, self._standing(budget, now, limit, usage),
                                retry_after=None if when is None else _instant(when),
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
            row = connection.execute(select(budget_reservations).where(
                budget_reservations.c.id == reservation_id,
                budget_reservations.c.budget_id == budget.id)).mappings().first()
            if row is None:
                raise RecordNotFound(
                    "no returnable reservation with that id for this budget (a reservation "
                    "can give posts back for one window after it was granted)")
            reservation = Reservation(row["id"], int(row["posts"]), int(row["returned"]),
                                      _instant(int(row["second"])))
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
            limit = self._limit(budget, now)
            usage = self._usage(connection, budget, _second(now), limit)
            given = Reservation(reservation.id, reservation.posts,
                                reservation.returned + posts, reservation.at)
            return given, self._standing(budget, now, limit, usage)

    def record(self, name: str, posts: int, now: datetime,
               at: datetime | None = None) -> Recorded:
        """Record ``posts`` fetched without asking, at ``at`` (default now; never later than
        now). Always recorded, even over the limit: the answer says by how much."""
        _check_posts(posts)
        at = at or now
        if _second(at) > _second(now):
            message = "posts cannot be recorded as fetched later than now"
            raise InvalidArgument(f"at: {message}", problems=[FieldProblem(message,
                                                                           field="at")])
        t = _second(at)
        with self._locked(name) as (connection, budget):
            self._add(connection, budget, t, posts)
            limit = self._limit(budget, _instant(t))
            window = limit.window if limit is not None else 86400
            around = Usage.of([(int(s), int(p)) for s, p in connection.execute(
                select(budget_usage.c.second, budget_usage.c.posts).where(
                    budget_usage.c.budget_id == budget.id,
                    budget_usage.c.second > t - window, budget_usage.c.second < t + window))])
            busiest = around.busiest_containing(t, window)
            limit_now = self._limit(budget, now)
            usage = self._usage(connection, budget, _second(now), limit_now)
            return Recorded(posts, _instant(t), limit, busiest,
                            self._standing(budget, now, limit_now, usage))

    # -- helpers -------------------------------------------------------------------------

    @contextmanager
    def _locked(self, name: str) -> Iterator[tuple[Connection, Budget]]:
        """A transaction holding the budget's write lock, with the budget."""
        with self._transaction() as connection:
            sqlite = connection.dialect.name == "sqlite"
            yield connection, self._find(connection, name, for_update=not sqlite)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A transaction; on SQLite it holds the write lock from its start."""
        with self.engine.connect() as connection, turns.turn(self.engine):
            if connection.dialect.name == "sqlite":
                # pysqlite would begin a deferred transaction, whose read lock two writers
                # can both hold; IMMEDIATE takes the write lock before anything is read.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.commit()
            except BaseException:
                connection.rollback()
                raise

    def _find(self, connection: Connection, name: str, for_update: bool = False) -> Budget:
        query = select(budgets).where(budgets.c.owner == self.owner, budgets.c.name == name)
        if for_update:
            query = query.with_for_update()
        row = connection.execute(query).mappings().first()
        if row is None:
            raise RecordNotFound(f"no budget named {check_name(name)} for this key")
        return Budget(row["id"], row["name"], row["platform"], row["region"], row["country"],
                      row["margin_percent"], row["created_at"])

    def _limit(self, budget: Budget, now: datetime) -> Limit | None:
        return limit_at(self.lookup, budget.platform, budget.region, budget.margin_percent, now)

    def _usage(self, connection: Connection, budget: Budget, t: int,
               limit: Limit | None) -> Usage:
        # Only the periods around t matter; without a limit, the last day is shown.
        window = limit.window if limit is not None else _SHOWN_WINDOW
        rows = connection.execute(
            select(budget_usage.c.second, budget_usage.c.posts)
            .where(budget_usage.c.budget_id == budget.id, budget_usage.c.second > t - window)
        ).all()
        return Usage.of([(int(s), int(p)) for s, p in rows])

    def _keep_reservation(self, connection: Connection, budget: Budget, t: int, posts: int,
                          limit: Limit | None) -> Reservation:
        window = limit.window if limit is not None else 86400
        # Reservations past their window decide no grant any more: drop them as we go.
        connection.execute(delete(budget_reservations).where(
            budget_reservations.c.budget_id == budget.id,
            budget_reservations.c.second <= t - window))
        reservation = Reservation(uuid.uuid4().hex, posts, 0, _instant(t))
        connection.execute(insert(budget_reservations).values(
            id=reservation.id, budget_id=budget.id, second=t, posts=posts, returned=0))
        return reservation

    def _add(self, connection: Connection, budget: Budget, t: int, posts: int) -> None:
        running.add(connection, budget.id, t, posts)

    def _known(self, name: str, fresh: bool) -> Budget:
        """The budget of that name, from this process's cache unless ``fresh``: a budget's
        platform, region and margin never change, and a reservation finds a deleted one
        gone (MISSING) and looks again."""
        known = _KNOWN.setdefault(self.engine, {})
        key = (self.owner, name)
        if fresh or key not in known:
            known.pop(key, None)
            known[key] = self.get(name)
        return known[key]

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

    def _standing(self, budget: Budget, now: datetime, limit: Limit | None,
                  usage: Usage) -> Standing:
        t = _second(now)
        window = limit.window if limit is not None else _SHOWN_WINDOW
        used = used_now(usage, t, window)
        if limit is None:
            return Standing(budget, now, None, used, None)
        left = max(0, limit.posts - usage.busiest_containing(t, limit.window))
        oldest = usage.first_after(t - limit.window)
        refills = None if oldest is None or oldest > t else _instant(oldest + limit.window)
        return Standing(budget, now, limit, used, left, refills)


def _check_posts(posts: int) -> None:
    if isinstance(posts, bool) or not isinstance(posts, int) or posts < 1:
        message = "posts is a whole number of at least 1"
        raise InvalidArgument(f"posts: {message}", problems=[FieldProblem(message,
                                                                         field="posts")])


def _posts(usage: Usage) -> list[int]:
    return [b - a for a, b in zip(usage.prefix, usage.prefix[1:], strict=False)]
