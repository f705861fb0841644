"""A budget's running total, so that a reservation reads one row instead of a window.

The budget's row keeps ``window_total``: the posts of every second from ``total_from`` on.
Every write adds its posts to it when its second is at or after ``total_from`` (``add``).
A reservation at second t under a window of W seconds first *slides* the total to start
at ``t - W + 1``: it subtracts the seconds that left the window since the last
reservation (or adds back those a wider window takes in), which, with clocks that go
forward, reads only the few seconds that left. When nothing is recorded after t
(``last_second <= t``) that total is the trailing window, the only period the new posts
can put over the limit; otherwise (a clock behind) the caller checks the periods that reach
the later posts on the recorded seconds themselves.

On PostgreSQL the whole step is one call of ``calculator_budget_reservation`` (migration
0007): one round trip, run outside an explicit transaction (the call is atomic), which also
checks the caller's key and, unless told the second, reads the database's clock once the
budget is locked (decision 0114). Outside a transaction the service calls it through the
procedure ``calculator_budget_reservation_confirmed`` (migration 0008), which also makes a
grant durable before it returns (decisions 0115, 0148). On SQLite the
same answers by the tests, which run on both. See decision 0106.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import psycopg.errors
from psycopg.adapt import Transformer
from sqlalchemy import Connection, Engine, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from calculator.storage.budget_schema import budget_usage, budgets
from calculator.storage.engine import autocommit_sibling
from calculator.storage.schema import api_keys

GRANTED, REFUSED, LATER, MISSING = "granted", "refused", "later", "missing"
UNAUTHORIZED, STALE = "unauthorized", "stale"
_BATCH = 1000
_DURABILITY = "calculator.synchronous_commit"  # the server's setting, per connection
# A reservation on PostgreSQL, sent on the driver's own connection (``_driver_call``). In
# autocommit (the reservations' engine), the procedure that also confirms a grant (migration
# 0008), prepared once per connection and run through libpq itself, with its parameters'
# types: psycopg's cursors (query conversion, adapters, prepared-statement bookkeeping) cost
# more CPU than the round trip on the service's hottest call (decision 0130). In a
# transaction (a returnable reservation), where a procedure may not commit, the function:
# the transaction's own commit is durable.
_RESERVE = ("SELECT outcome, at, total, oldest FROM calculator_budget_reservation("
            "%s, %s, %s, %s, %s, %s, %s, %s, %s)")
_RESERVE_CONFIRMED = ("CALL calculator_budget_reservation_confirmed("
                      "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
_TEXT, _BIGINT, _TIMESTAMPTZ = 25, 20, 1184  # PostgreSQL's type ids
_STATEMENTS = {  # name, the statement with libpq's numbered parameters, their types
    _RESERVE_CONFIRMED: (b"calculator_reservation_confirmed", (
        _TEXT, _TEXT, _TEXT, _TEXT, _BIGINT, _BIGINT, _BIGINT, _BIGINT, _TIMESTAMPTZ,
        _TIMESTAMPTZ)),
}
_PREPARED = "calculator.prepared"  # per driver connection: what ``_driver_call`` set up there


@dataclass(frozen=True)
class Slid:
    """What one reservation call found, after sliding the total to the window's start."""

    # GRANTED, REFUSED, LATER (posts recorded after t), MISSING (no budget), UNAUTHORIZED
    # (the key is not an active key of the owner) or STALE (the instant read is outside
    # the limit's span: ask again at ``at``).
    outcome: str
    total: int  # posts of every second from the window's start on (the posts granted too)
    oldest: int | None  # the first second with posts from the window's start on
    at: datetime | None = None  # the instant read once the lock was held (t not given)


@dataclass(frozen=True)
class Ask:
    """One reservation's question. ``t`` None: at the instant read once the budget is
    locked, which must fall in [valid_from, valid_until), the span over which ``limit``
    and ``window`` are the ones in force. ``key``: the digest of the API key presented,
    checked in the same call to be an active key of ``owner``."""

    budget_id: str
    t: int | None
    posts: int
    window: int
    limit: int | None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    key: str | None = None
    owner: str = ""


def single_calls(engine: Engine) -> Engine:
    """The engine a reservation's single call runs on: on PostgreSQL, connections in
    autocommit whose commits do not wait for the disk while the budget's lock is held (the
    call confirms a grant itself, ``reserve``); SQLite: ``engine``."""
    return autocommit_sibling(engine, _commit_without_waiting)


def _commit_without_waiting(dbapi_connection: Any, record: Any) -> None:
    # The server's own durability setting is kept for the grant's confirming commit; the
    # reservation's commit itself releases the budget's lock at once (decisions 0115, 0148).
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        record.info[_DURABILITY] = cursor.fetchone()[0]
        cursor.execute("SET synchronous_commit = off")
    dbapi_connection.commit()  # a session setting, kept once the connection is in autocommit


def reserve(connection: Connection, ask: Ask) -> Slid:
    """Slide the total to the window that ends at the reservation's second and grant the
    posts there (recording them) when nothing is recorded after it and the total plus the
    posts stays within the limit (None: without limit). On SQLite the caller holds the
    write lock; on PostgreSQL the function takes the row lock itself, in one round trip.

    On PostgreSQL in autocommit (``single_calls``) a grant is returned only once it is as
    durable as the server's own ``synchronous_commit`` asks: its own commit does not wait
    for the disk, so the budget's lock is not held while the disk writes, and the same call
    then commits a second transaction at the server's setting, which flushes the log
    through the grant (migration 0008). A crash before that flush loses the grant and every
    later one that saw it, none of them answered yet."""
    if connection.dialect.name == "postgresql":
        question = (ask.key, ask.owner, ask.budget_id, ask.t, ask.posts, ask.window,
                    ask.limit, ask.valid_from, ask.valid_until)
        level = connection.info.get(_DURABILITY)
        if level is None:  # in a transaction: its commit is durable by itself
            outcome, at, total, first = _driver_call(connection, _RESERVE, question)
        else:
            outcome, at, total, first, _ = _driver_call(connection, _RESERVE_CONFIRMED,
                                                        (level, *question))
        return Slid(outcome, int(total or 0), first, at)
    if ask.key is not None and connection.execute(select(api_keys.c.id).where(
            api_keys.c.key_hash == ask.key, api_keys.c.name == ask.owner,
            api_keys.c.revoked_at.is_(None))).first() is None:
        return Slid(UNAUTHORIZED, 0, None)
    found = connection.execute(
        select(budgets.c.total_from, budgets.c.window_total, budgets.c.last_second)
        .where(budgets.c.id == ask.budget_id)).first()
    if found is None:
        return Slid(MISSING, 0, None)
    t, at = ask.t, None
    if t is None:
        at = datetime.now(UTC)
        if ((ask.valid_from is not None and at < ask.valid_from)
                or (ask.valid_until is not None and at >= ask.valid_until)):
            return Slid(STALE, 0, None, at)
        t = int(at.timestamp() // 1)
    budget_id, start = ask.budget_id, t - ask.window + 1
    moved = found.window_total + _slide(connection, budget_id, found.total_from, start)
    later = found.last_second is not None and found.last_second > t
    if later or (ask.limit is not None and moved + ask.posts > ask.limit):
        connection.execute(update(budgets).where(budgets.c.id == budget_id)
                           .values(total_from=start, window_total=moved))
        return Slid(LATER if later else REFUSED, moved, oldest(connection, budget_id, start),
                    at)
    _upsert(connection, budget_id, t, ask.posts)
    connection.execute(update(budgets).where(budgets.c.id == budget_id).values(
        total_from=start, window_total=moved + ask.posts, last_second=t))
    return Slid(GRANTED, moved + ask.posts, oldest(connection, budget_id, start), at)


def _driver_call(connection: Connection, statement: str, parameters: tuple[Any, ...]
                 ) -> tuple[Any, ...]:
    """The first row of ``statement`` run on the driver's own connection (psycopg). In
    autocommit (the reservations' engine), one of ``_STATEMENTS``, prepared there on first
    use (``_prepared_row``). In a transaction (a returnable reservation), by psycopg, which
    begins it. Errors come out as SQLAlchemy's would: a connection the server dropped is
    invalidated and the error says so (``connection_invalidated``), so callers retry as
    before."""
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        if driver.autocommit:
            row = _prepared_row(connection.connection.info, driver, statement, parameters)
        else:
            with driver.cursor() as cursor:
                row = cursor.execute(statement, parameters).fetchone()
    except psycopg.Error as exc:
        dead = bool(driver.closed or driver.broken
                    or driver.pgconn.status == psycopg.pq.ConnStatus.BAD)
        if dead:
            connection.invalidate(exc)
        raise DBAPIError.instance(statement, parameters, exc, psycopg.Error,
                                  connection_invalidated=dead) from exc
    assert row is not None  # the function and the procedure answer one row
    return tuple(row)


def _prepared_row(info: dict[Any, Any], driver: psycopg.Connection[Any], statement: str,
                  parameters: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The first row of ``statement``, prepared on ``driver`` on first use and run through
    libpq, whose calls release the GIL while they wait, as psycopg's do; read by psycopg's
    own loaders. ``info``: the pooled connection's, where what was prepared is kept."""
    prepared = info.get(_PREPARED)
    if prepared is None or prepared[0] is not driver:  # a new connection: nothing yet
        prepared = info[_PREPARED] = (driver, Transformer(driver), driver.info.encoding, set())
    _, transformer, encoding, names = prepared
    name, types = _STATEMENTS[statement]
    values = [_text(value, encoding) for value in parameters]
    for attempt in (1, 2):
        if name not in names:
            numbered = statement.replace("%s", "{}").format(
                *(f"${n}" for n in range(1, len(types) + 1)))
            _succeeded(driver.pgconn.prepare(name, numbered.encode(), types), encoding)
            names.add(name)
        try:
            result = _succeeded(driver.pgconn.exec_prepared(name, values), encoding)
            break
        except psycopg.errors.InvalidSqlStatementName:
            # Deallocated meanwhile (DISCARD ALL, a pooler between us and the server):
            # nothing ran; prepared again, once.
            names.discard(name)
            if attempt == 2:
                raise
    transformer.set_pgresult(result)
    return transformer.load_row(0, tuple)


def _succeeded(result: psycopg.pq.abc.PGresult, encoding: str) -> psycopg.pq.abc.PGresult:
    """``result``, or psycopg's error for it (its SQLSTATE's class, as a cursor raises)."""
    if result.status not in (psycopg.pq.ExecStatus.COMMAND_OK,
                             psycopg.pq.ExecStatus.TUPLES_OK):
        raise psycopg.errors.error_from_result(result, encoding)
    return result


def _text(value: object, encoding: str) -> bytes | None:
    """A parameter in PostgreSQL's text form (None: NULL). An instant's ISO 8601 form keeps
    its offset, so the server reads the same instant whatever its time zone."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().encode()
    return str(value).encode(encoding)


def add(connection: Connection, budget_id: str, t: int, posts: int) -> None:
    """Record ``posts`` at second t (fewer when negative: posts given back), keeping the
    running total; the caller holds the budget's lock."""
    _upsert(connection, budget_id, t, posts)
    connection.execute(update(budgets).where(budgets.c.id == budget_id).values(
        window_total=budgets.c.window_total + case((budgets.c.total_from <= t, posts),
                                                   else_=0),
        last_second=case((budgets.c.last_second.is_(None), t),
                         (budgets.c.last_second < t, t), else_=budgets.c.last_second)))


def oldest(connection: Connection, budget_id: str, start: int) -> int | None:
    """The first second with posts from ``start`` on."""
    return connection.execute(select(func.min(budget_usage.c.second)).where(
        budget_usage.c.budget_id == budget_id, budget_usage.c.second >= start)).scalar()


def earliest_fit(connection: Connection, budget_id: str, t: int, posts: int, total: int,
                 start: int, limit: int, window: int) -> int | None:
    """With nothing recorded after t and ``total`` posts from ``start`` (= t - window + 1)
    on: the first second from t on at which ``posts`` fit if nothing else is recorded
    meanwhile, reading the oldest seconds only until enough have left. None: more posts
    than the limit itself, which never fit."""
    if posts > limit:
        return None
    must_leave = total + posts - limit
    if must_leave <= 0:
        return t
    gone, after = 0, start - 1
    while True:  # in batches, oldest first: the seconds that must leave are usually few
        rows = connection.execute(
            select(budget_usage.c.second, budget_usage.c.posts)
            .where(budget_usage.c.budget_id == budget_id, budget_usage.c.second > after)
            .order_by(budget_usage.c.second).limit(_BATCH)).all()
        for second, recorded in rows:
            gone += recorded
            if gone >= must_leave:
                return int(second) + window
        if len(rows) < _BATCH:
            return None  # unreachable while the total matches the recorded seconds
        after = rows[-1].second


def _slide(connection: Connection, budget_id: str, total_from: int, start: int) -> int:
    """What moving the total's first second from ``total_from`` to ``start`` adds to it."""
    if start == total_from:
        return 0
    low, high, sign = (total_from, start, -1) if start > total_from else (start, total_from, 1)
    moved = connection.execute(select(func.coalesce(func.sum(budget_usage.c.posts), 0)).where(
        budget_usage.c.budget_id == budget_id, budget_usage.c.second >= low,
        budget_usage.c.second < high)).scalar_one()
    return sign * int(moved)


def _upsert(connection: Connection, budget_id: str, t: int, posts: int) -> None:
    dialect: Any = sqlite if connection.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(budget_usage).values(budget_id=budget_id, second=t, posts=posts)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[budget_usage.c.budget_id, budget_usage.c.second],
        set_={"posts": budget_usage.c.posts + statement.excluded.posts}))
