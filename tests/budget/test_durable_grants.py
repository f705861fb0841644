"""On PostgreSQL a reservation's commit does not hold the budget's lock while the disk
writes; a grant is answered only once a commit made after it, at the server's own
durability setting, has returned (so the log is flushed through the grant). Refusals
record nothing and wait for nothing."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text

from calculator.budget import Budgets, running
from calculator.budget.running import single_calls
from calculator.storage import Store
from calculator.storage.engine import make_engine, normalize_url
from tests.conftest import PG_SKIP

DAY_ONE = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture
def durable_store():
    yield from store_with_commits("on")


@pytest.fixture
def store_without_durable_commits():
    yield from store_with_commits("off")


def store_with_commits(synchronous_commit: str):
    """A store on a schema of its own, on sessions with that durability setting (the test
    server's own may be either)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(PG_SKIP)
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = normalize_url(base).update_query_dict(
        {"options": f"-csearch_path={schema} -csynchronous_commit={synchronous_commit}"})
    store = Store.open(url.render_as_string(hide_password=False), migrate=True)
    yield store
    store.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def calls_sent(calls, monkeypatch) -> list[tuple[str, tuple, tuple | None]]:
    """Every statement the reservations' engine sends from now on, with its parameters and
    the row it answered: through SQLAlchemy (no row kept), or on the driver's own
    connection (the reservation call)."""
    sent: list[tuple[str, tuple, tuple | None]] = []
    event.listen(calls, "before_cursor_execute",
                 lambda _c, _cur, statement, parameters, *_: sent.append(
                     (statement, parameters, None)))
    real = running._driver_call

    def driver_call(connection, statement, parameters):
        row = real(connection, statement, parameters)
        sent.append((statement, parameters, row))
        return row

    monkeypatch.setattr(running, "_driver_call", driver_call)
    return sent


def test_a_grant_is_answered_after_a_durable_commit_and_a_refusal_waits_for_none(
        durable_store, lookup, monkeypatch):
    """One call: the grant commits without holding the lock through the flush, and a
    transaction begun after it commits at the server's setting before the call returns."""
    fleet = Budgets(durable_store.engine, lookup, "crawler-team")
    fleet.create("fleet", "x", "US", 1, DAY_ONE)  # a limit of 10,000 posts
    calls = single_calls(durable_store.engine)
    sent = calls_sent(calls, monkeypatch)
    assert fleet.reserve("fleet", 6_000, DAY_ONE).granted
    assert len(sent) == 1
    statement, parameters, row = sent[0]
    assert statement.startswith("CALL calculator_budget_reservation_confirmed")
    assert parameters[0] == "on"  # the server's own setting, read when it connected
    confirmed = row[-1]
    assert confirmed is not None
    with durable_store.engine.connect() as connection:
        assert connection.exec_driver_sql(
            f"SELECT pg_xact_status('{confirmed}'::xid8)").scalar() == "committed"
        granted_by = connection.exec_driver_sql(
            "SELECT xmin::text::bigint FROM budget_usage").scalar()
    assert int(confirmed) > granted_by  # begun after the grant's own transaction
    sent.clear()
    refused = fleet.reserve("fleet", 6_000, DAY_ONE)
    assert not refused.granted
    assert [row[-1] for _, _, row in sent if row is not None] == [None]
    with calls.connect() as connection:
        assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
    with durable_store.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
        assert connection.exec_driver_sql(
            "SELECT sum(posts) FROM budget_usage").scalar() == 6_000


def test_on_a_server_without_durable_commits_a_grant_waits_for_nothing(
        store_without_durable_commits, lookup, monkeypatch):
    """The server's own setting decides: nothing is waited for that the server would not
    wait for itself."""
    store = store_without_durable_commits
    fleet = Budgets(store.engine, lookup, "crawler-team")
    fleet.create("fleet", "x", "US", 1, DAY_ONE)
    sent = calls_sent(single_calls(store.engine), monkeypatch)
    assert fleet.reserve("fleet", 10, DAY_ONE).granted
    assert [(parameters[0], row[-1]) for _, parameters, row in sent] == [("off", None)]


def test_a_reservation_on_a_connection_the_server_dropped_is_made_once_on_a_new_one(
        durable_store, lookup):
    """The reservations' connections are not checked before use: one the server dropped
    (a restart, an idle timeout) is found dead by the call itself, and the reservation is
    made on a new connection, once."""
    fleet = Budgets(durable_store.engine, lookup, "crawler-team")
    fleet.create("fleet", "x", "US", 1, DAY_ONE)
    assert fleet.reserve("fleet", 10, DAY_ONE).granted
    calls = single_calls(durable_store.engine)
    with calls.connect() as connection:  # the pooled connection the next call will take
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with durable_store.engine.connect() as connection:
        assert connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar()
    assert fleet.reserve("fleet", 20, DAY_ONE).granted
    with durable_store.engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT sum(posts) FROM budget_usage").scalar() == 30


def test_a_reservation_whose_prepared_statements_were_dropped_is_made_once_all_the_same(
        durable_store, lookup):
    """The reservation call is a statement prepared once on each connection. A connection
    whose prepared statements were dropped meanwhile (DISCARD ALL, a pooler between the
    service and the server) prepares it again: the grant is made, and recorded once."""
    fleet = Budgets(durable_store.engine, lookup, "crawler-team")
    fleet.create("fleet", "x", "US", 1, DAY_ONE)
    assert fleet.reserve("fleet", 10, DAY_ONE).granted
    with single_calls(durable_store.engine).connect() as connection:
        connection.exec_driver_sql("DEALLOCATE ALL")
    assert fleet.reserve("fleet", 20, DAY_ONE).granted
    with durable_store.engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT sum(posts) FROM budget_usage").scalar() == 30
