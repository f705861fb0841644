"""Named budgets kept in the service's database: made, found, shown and deleted.

A budget's row names its platform, region and margin; its recorded usage is a row per
second (``budget_usage``). Writes to one budget hold its write lock: SQLite's ``BEGIN
IMMEDIATE`` (one writer for the whole file), PostgreSQL's row lock on the budget (``SELECT
... FOR UPDATE``). Reservations, usage and posts given back are in ``store``. See
docs/decisions/0100-live-budgets.md.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from calculator.budget import turns
from calculator.budget.limits import Limit, limit_at
from calculator.budget.results import Budget, Standing
from calculator.budget.window import Usage, used_now
from calculator.errors import Conflict, FieldProblem, InvalidArgument, RecordNotFound
from calculator.rules import RuleLookup
from calculator.storage.budget_schema import budget_reservations, budget_usage, budgets

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)
SHOWN_WINDOW = 86400  # without a clause in force, "used" counts the last day
# The budgets each engine's reservations have looked up, by (owner, name).
_KNOWN: WeakKeyDictionary[Engine, dict[tuple[str, str], Budget]] = WeakKeyDictionary()

def second_of(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return int(at.timestamp() // 1)


def instant_of(second: int) -> datetime:
    return datetime.fromtimestamp(second, UTC)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        message = ("a budget name is 1 to 64 letters, digits, '.', '_' or '-', starting with "
                   "a letter or digit")
        raise InvalidArgument(f"name: {message}", problems=[FieldProblem(message, field="name")])
    return name


class BudgetRecords:
    """The budgets of one owner (an API key's name; None on an open service): the
    records themselves. ``store.Budgets`` adds reservations and usage to them."""

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
            usage = self._usage(connection, budget, second_of(now), limit)
            return self._standing(budget, now, limit, usage)

    def log(self, name: str) -> list[tuple[datetime, int]]:
        """The recorded usage, (second, posts), oldest first: a crawl log like any other."""
        return [(instant_of(s), p) for rows in self.log_chunks(name) for s, p in rows]

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
        t = second_of(now)
        with self.engine.connect() as connection:
            budget = self._find(connection, name)
            limit = self._limit(budget, now)
            window = limit.guard if limit is not None else 86400
            rows = [(int(s), int(p)) for s, p in connection.execute(
                select(budget_usage.c.second, budget_usage.c.posts)
                .where(budget_usage.c.budget_id == budget.id,
                       budget_usage.c.second > t - 2 * window)
                .order_by(budget_usage.c.second))]
        usage = Usage.of([(s, p) for s, p in rows if s > t - window])
        return self._standing(budget, now, limit, usage), [(s, p) for s, p in rows if s <= t]

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
        window = limit.guard if limit is not None else SHOWN_WINDOW
        rows = connection.execute(
            select(budget_usage.c.second, budget_usage.c.posts)
            .where(budget_usage.c.budget_id == budget.id, budget_usage.c.second > t - window)
        ).all()
        return Usage.of([(int(s), int(p)) for s, p in rows])

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

    def _standing(self, budget: Budget, now: datetime, limit: Limit | None,
                  usage: Usage) -> Standing:
        t = second_of(now)
        window = limit.guard if limit is not None else SHOWN_WINDOW
        used = used_now(usage, t, window)
        if limit is None:
            return Standing(budget, now, None, used, None)
        left = max(0, limit.posts - usage.busiest_containing(t, window))
        oldest = usage.first_after(t - window)
        refills = None if oldest is None or oldest > t else instant_of(oldest + window)
        return Standing(budget, now, limit, used, left, refills)
