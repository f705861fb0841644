"""Reservations in one call (the budget's running total) give the grant rule's exact answer,
on SQLite and PostgreSQL: for generated sequences of reservations whose clocks mostly go
forward and sometimes run behind, mixed with posts recorded after the fact and posts given
back, each decision, retry instant, used and left equal those of the grant rule on every
post recorded so far (the rule itself is checked against brute force in
test_grant_rule.py)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculator.budget import Budgets
from calculator.budget.window import Usage, earliest_fit, fits, used_now
from calculator.storage import Store

DAY_ONE = int(datetime(2025, 3, 1, tzinfo=UTC).timestamp())  # X's clause is in force
# The grant rule checks every period of the window and one second more: usage is kept by
# the second, and posts in two seconds a window apart may be less than a window apart.
GUARD = 86_400 + 1

# Steps between reservations: mostly forward (a few seconds to more than a window), now and
# then behind the latest (a host whose clock is late); posts up to the whole limit and over.
# After a reservation: nothing, posts recorded after the fact (up to an hour before now), or
# a part of a granted reservation given back.
afters = st.one_of(st.none(), st.tuples(st.just("record"), st.integers(0, 3_600),
                                        st.integers(1, 3_000)),
                   st.tuples(st.just("give back"), st.floats(0.01, 1.0)))
steps = st.lists(st.tuples(
    st.one_of(st.integers(0, 5), st.integers(0, 40_000), st.integers(-3_000, 0)),
    st.integers(1, 12_000), afters), min_size=1, max_size=25)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """One store per database for the whole module; each example makes a budget of its own."""
    import os

    from sqlalchemy import text

    from calculator.storage.engine import make_engine, normalize_url

    opened = {"sqlite": Store.open(
        f"sqlite:///{tmp_path_factory.mktemp('running') / 'store.sqlite3'}", migrate=True)}
    base, admin, schema = os.environ.get("TEST_DATABASE_URL"), None, None
    if base:
        schema = f"test_{uuid.uuid4().hex[:16]}"
        admin = make_engine(base)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = normalize_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        opened["postgresql"] = Store.open(url.render_as_string(hide_password=False),
                                          migrate=True)
    yield opened
    for store in opened.values():
        store.dispose()
    if admin is not None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, margin=st.sampled_from([1, 2]))
def test_every_reservation_gets_the_grant_rules_answer(stores, lookup, backend, steps,
                                                       margin):
    if backend not in stores:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL; .ci/run starts a server")
    fleet = Budgets(stores[backend].engine, lookup, "crawler-team")
    name = uuid.uuid4().hex[:20]
    fleet.create(name, "x", "US", margin, datetime.fromtimestamp(DAY_ONE, UTC))
    limit = 1_000_000 * margin // 100
    log: Counter = Counter()
    latest = t = DAY_ONE
    for step, posts, after in steps:
        t = max(DAY_ONE, latest + step)
        latest = max(latest, t)
        usage = Usage.of(list(log.items()))
        now = datetime.fromtimestamp(t, UTC)
        decision = fleet.reserve(name, posts, now, returnable=after is not None)
        expected = fits(usage, t, posts, limit, GUARD)
        assert decision.granted == expected
        if expected:
            log[t] += posts
            usage = Usage.of(list(log.items()))
        else:
            when = earliest_fit(usage, t, posts, limit, GUARD)
            assert decision.never == (when is None)
            assert decision.retry_after == (
                None if when is None else datetime.fromtimestamp(when, UTC))
        standing = decision.standing
        if after is not None and after[0] == "record":
            at = max(DAY_ONE, t - after[1])
            standing = fleet.record(name, after[2], now, datetime.fromtimestamp(at, UTC)).standing
            log[at] += after[2]
        elif after is not None and decision.granted:
            assert decision.reservation is not None
            given = max(1, int(posts * after[1]))
            _, standing = fleet.give_back(name, decision.reservation.id, given, now)
            log[t] -= given
            log = +log  # a second given back whole is no longer recorded
        usage = Usage.of(list(log.items()))
        assert standing.used == used_now(usage, t, GUARD)
        assert standing.left == max(0, limit - usage.busiest_containing(t, GUARD))
        oldest = usage.first_after(t - GUARD)
        assert standing.refills_at == (None if oldest is None or oldest > t
                                       else datetime.fromtimestamp(oldest + GUARD, UTC))
    recorded = Counter({int(at.timestamp()): p for at, p in fleet.log(name)})
    assert recorded == log  # exactly the posts granted, at their seconds
