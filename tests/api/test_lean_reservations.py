"""The lean reservation route answers exactly as the flask-smorest route would: for generated
sequences of reservations (ordinary ones, and bodies, keys and names the route refuses), an
app answering ordinary reservations leanly and an app sending every one through the route
give the same status, headers and document, and record the same posts. A revoked key is
refused from the next reservation, and without a test clock the instant is read once the
budget is locked."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculator.api.budgets import lean
from calculator.api.budgets.routes import CLOCK
from tests.api.conftest import START

# What a request carries: its body (bytes and content type), whose key, which budget.
BODIES = st.one_of(
    st.builds(lambda n: {"posts": n}, st.integers(1, 400_000)),
    st.builds(lambda n, r: {"posts": n, "returnable": r}, st.integers(1, 400_000),
              st.booleans()),
    st.sampled_from([{"posts": 0}, {"posts": -3}, {"posts": "5"}, {"posts": 5.0},
                     {"posts": True}, {"posts": 2_000_000}, {"posts": 10**13},
                     {"posts": 5, "returnable": "yes"}, {"posts": 5, "returnable": 1},
                     {"posts": 5, "extra": 1}, {}, [5], "posts", None]),
)
RAW = st.sampled_from([(b"posts=5", "application/x-www-form-urlencoded"),
                       (b'{"posts": 5', "application/json"),
                       (b'{"posts": 5}', "text/plain"),
                       (b'{"posts": 5}', "application/json; charset=utf-8"),
                       (b"\xff\xfe", "application/json"),
                       (b"[" * 5000, "application/json")])
KEYS = st.sampled_from(["valid", "valid", "valid", "revoked", "none", "basic", "malformed"])
NAMES = st.sampled_from(["fleet", "fleet", "fleet", "missing", "bad name!"])
REQUESTS = st.lists(st.tuples(st.one_of(BODIES, RAW), KEYS, NAMES,
                              st.integers(0, 30_000)), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """Two apps with a shared clock, each on a database of its own: one answers ordinary
    reservations leanly, the other sends every reservation through the route."""
    clock = {"now": START}
    apps = {}
    for lean_on in (True, False):
        folder = tmp_path_factory.mktemp("lean" if lean_on else "route")
        app = lean_app(folder, clock, LEAN_RESERVATIONS=lean_on)
        store = app.extensions["calculator.store"]
        _, key = store.keys.create("crawler")
        _, gone = store.keys.create("gone")
        store.keys.revoke("gone")
        apps[lean_on] = (app.test_client(), {"valid": key, "revoked": gone})
    yield clock, apps
    for client, _ in apps.values():
        client.application.extensions["calculator.store"].dispose()


def lean_app(folder, clock, **config):
    from calculator.app import create_app

    return create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
                       "INSTANCE_PATH": str(folder / "instance"),
                       CLOCK: lambda: clock["now"], **config})


def headers_for(which: str, keys: dict[str, str]) -> dict[str, str]:
    if which in keys:
        return {"Authorization": f"Bearer {keys[which]}"}
    return {"basic": {"Authorization": "Basic Y3Jhd2xlcjpzZWNyZXQ="},
            "malformed": {"Authorization": "Bearer calc_short"}, "none": {}}[which]


def comparable(response) -> tuple:
    body = response.get_data()
    document = json.loads(body) if body else None
    if isinstance(document, dict) and "reservation" in document:
        document["reservation"]["id"] = "(random)"
    return response.status_code, dict(response.headers), document


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests=REQUESTS)
def test_the_lean_route_answers_every_reservation_as_the_route_does(twins, requests):
    clock, apps = twins
    example = datetime.now(UTC).strftime("%H%M%S%f")
    for client, keys in apps.values():
        clock["now"] = START
        made = client.put(f"/v1/budgets/fleet{example}", headers=headers_for("valid", keys),
                          json={"platform": "x", "region": "US", "margin_percent": 50})
        assert made.status_code == 201
    for body, key, name, advance in requests:
        clock["now"] += timedelta(seconds=advance)
        if name == "fleet":
            name = f"fleet{example}"
        if isinstance(body, tuple):
            data, content_type = body
        else:
            data, content_type = json.dumps(body).encode(), "application/json"
        answers = [comparable(client.post(f"/v1/budgets/{name}/reservations", data=data,
                                          content_type=content_type,
                                          headers=headers_for(key, keys)))
                   for client, keys in apps.values()]
        assert answers[0] == answers[1], (body, key, name)
    logs = [client.get(f"/v1/budgets/fleet{example}/log",
                       headers=headers_for("valid", keys)).get_data()
            for client, keys in apps.values()]
    assert logs[0] == logs[1]


def test_an_ordinary_reservation_is_answered_by_the_lean_route(tmp_path, monkeypatch):
    answered = []
    real = lean.reservation_parts
    monkeypatch.setattr(lean, "reservation_parts",
                        lambda decision, path: answered.append(decision) or real(decision, path))
    app = lean_app(tmp_path, {"now": START})
    _, key = app.extensions["calculator.store"].keys.create("crawler")
    client, auth = app.test_client(), {"Authorization": f"Bearer {key}"}
    client.put("/v1/budgets/fleet", headers=auth, json={"platform": "x", "region": "US"})
    granted = client.post("/v1/budgets/fleet/reservations", headers=auth, json={"posts": 3})
    assert granted.status_code == 201
    assert client.post("/v1/budgets/fleet/reservations", headers=auth,
                       json={"posts": 3, "extra": 1}).status_code == 422
    whole = granted.json["limit"]["posts"]  # fits once the 3 leave the window: 429, not 422
    refused = client.post("/v1/budgets/fleet/reservations", headers=auth, json={"posts": whole})
    assert refused.status_code == 429
    assert refused.json["instance"] == "/v1/budgets/fleet/reservations"
    assert [d.posts for d in answered] == [3, whole]
    app.extensions["calculator.store"].dispose()


def test_a_revoked_key_reserves_nothing_from_the_next_call(make_app):
    app = make_app(**{CLOCK: lambda: START})
    store = app.extensions["calculator.store"]
    _, key = store.keys.create("crawler")
    client, auth = app.test_client(), {"Authorization": f"Bearer {key}"}
    client.put("/v1/budgets/fleet", headers=auth, json={"platform": "x", "region": "US"})
    assert client.post("/v1/budgets/fleet/reservations", headers=auth,
                       json={"posts": 1}).status_code == 201
    # Revoked elsewhere (another process's key ring): this worker knows whose the key is,
    # and must still not grant with it.
    from calculator.storage.keys import KeyRing

    KeyRing(store.engine).revoke("crawler")
    refused = client.post("/v1/budgets/fleet/reservations", headers=auth, json={"posts": 1})
    assert refused.status_code == 401
    assert refused.json["type"] == "/problems/unauthorized"
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT sum(posts) FROM budget_usage").scalar() == 1


def test_without_a_test_clock_reservations_are_recorded_at_the_instant_they_hold_the_lock(
        make_app, monkeypatch):
    """Concurrent reservations read the instant once the budget is locked: none of them
    finds a later second already recorded (the slow way), and each answer's instant is
    when it was made."""
    app = make_app()
    store = app.extensions["calculator.store"]
    _, key = store.keys.create("crawler")
    auth = {"Authorization": f"Bearer {key}"}
    app.test_client().put("/v1/budgets/fleet", headers=auth,
                          json={"platform": "x", "region": "US"})
    from calculator.budget import store as budget_store

    behind = []
    real = budget_store.Budgets._reserve_behind
    monkeypatch.setattr(budget_store.Budgets, "_reserve_behind",
                        lambda self, *a: behind.append(a) or real(self, *a))
    answers, began = [], datetime.now(UTC)

    def reserve() -> None:
        client = app.test_client()
        for _ in range(15):
            answers.append(client.post("/v1/budgets/fleet/reservations", headers=auth,
                                       json={"posts": 1}))

    threads = [threading.Thread(target=reserve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = datetime.now(UTC)
    assert [a.status_code for a in answers] == [201] * 60
    assert behind == []
    instants = [datetime.fromisoformat(a.json["at"]) for a in answers]
    assert all(began - timedelta(seconds=1) <= at <= ended + timedelta(seconds=1)
               for at in instants)
    log = app.test_client().get("/v1/budgets/fleet/log", headers=auth).get_data().decode()
    assert sum(int(row.rsplit(",", 1)[1]) for row in log.splitlines()[1:]) == 60
