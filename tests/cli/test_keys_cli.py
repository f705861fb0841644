"""``calculator keys``: create prints the key once, list shows state, revoke closes it."""

from __future__ import annotations

import hashlib
import json

import pytest

from calculator.cli import main
from calculator.storage import Store


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("CALCULATOR_DATABASE_URL", raising=False)
    return url


def test_keys_create_prints_the_key_once_and_stores_only_its_hash(runner, db):
    result = runner.invoke(main, ["keys", "create", "ci"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("calc_") and "\n" not in key
    assert "shown only now" in result.stderr and "first key" in result.stderr
    store = Store(db)
    try:
        assert store.keys.verify(key) == "ci"
        with store.engine.connect() as connection:
            dumped = repr(connection.exec_driver_sql("SELECT * FROM api_keys").all())
    finally:
        store.dispose()
    assert key not in dumped and hashlib.sha256(key.encode()).hexdigest() in dumped
    listed = runner.invoke(main, ["keys", "list"])
    assert key not in listed.output


def test_keys_list_shows_each_key_with_its_state(runner, db):
    assert "no keys" in runner.invoke(main, ["keys", "list"]).stdout
    runner.invoke(main, ["keys", "create", "ci"])
    runner.invoke(main, ["keys", "create", "counsel"])
    runner.invoke(main, ["keys", "revoke", "ci"])
    rows = json.loads(runner.invoke(main, ["keys", "list", "--json"]).stdout)
    assert [(r["name"], r["state"]) for r in rows] == [("ci", "revoked"), ("counsel", "active")]
    assert rows[0]["revoked_at"] and rows[1]["revoked_at"] is None
    table = runner.invoke(main, ["keys", "list"]).stdout
    assert "counsel" in table and "revoked" in table
    # Both instants to the second, with their Z (a revoked one read "...T08:10:47.").
    revoked = rows[0]["revoked_at"][:19] + "Z"
    assert revoked in table.splitlines()[1]


def test_a_revoked_key_no_longer_opens_the_api(runner, db, tmp_path):
    from calculator.app import create_app

    key = runner.invoke(main, ["keys", "create", "ci"]).stdout.strip()
    app = create_app({"TESTING": True, "DATABASE_URL": db})
    try:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {key}"}
        assert client.get("/v1/assessments", headers=headers).status_code == 200
        revoked = runner.invoke(main, ["keys", "revoke", "ci"])
        assert revoked.exit_code == 0 and "revoked" in revoked.stderr
        assert client.get("/v1/assessments", headers=headers).status_code == 401
    finally:
        app.extensions["calculator.store"].dispose()


def test_create_with_claim_unowned_gives_earlier_assessments_and_reviews_to_the_key(runner, db):
    store = Store.open(db)
    store.save("assessment", {"n": 1})
    store.save("review", {"n": 2})
    store.dispose()
    result = runner.invoke(main, ["keys", "create", "ci", "--claim-unowned"])
    assert ("records made without a key (1 assessment and 1 review) now belong to 'ci'"
            in result.stderr)
    assert json.loads(runner.invoke(main, ["keys", "list", "--json"]).stdout)[0][
        "assessments"] == 2


def test_the_first_key_says_earlier_records_are_hidden_and_how_to_claim_them(runner, db):
    store = Store.open(db)
    for n in range(3):
        store.save("assessment", {"n": n})
    store.save("review", {"n": 9})
    store.dispose()
    result = runner.invoke(main, ["keys", "create", "ci"])  # a script: no terminal to ask
    assert result.exit_code == 0
    assert "reviews need a key" in result.stderr
    assert ("records made without a key (3 assessments and 1 review) belong to no key: no "
            "key sees them") in result.stderr
    assert "calculator keys claim NAME" in result.stderr
    claimed = runner.invoke(main, ["keys", "claim", "ci"])
    assert claimed.exit_code == 0
    assert ("records made without a key (3 assessments and 1 review) now belong to 'ci'"
            in claimed.stderr)
    again = runner.invoke(main, ["keys", "claim", "ci"])
    assert "no records without a key; nothing changed" in again.stderr


def test_leave_unowned_keeps_earlier_records_for_no_key(runner, db):
    store = Store.open(db)
    store.save("review", {"n": 1})
    store.dispose()
    result = runner.invoke(main, ["keys", "create", "ci", "--leave-unowned"])
    assert "records made without a key (1 review) belong to no key" in result.stderr
    store = Store.open(db)
    try:
        assert store.unowned() == {"review": 1}
    finally:
        store.dispose()


def test_claiming_for_a_name_without_an_active_key_is_refused(runner, db):
    result = runner.invoke(main, ["keys", "claim", "nobody"])
    assert result.exit_code == 2
    assert "no active key named 'nobody': create it first" in result.stderr


def test_on_a_terminal_create_asks_whether_to_claim_earlier_records(db, tmp_path):
    import os
    import pty
    import subprocess
    import sys

    store = Store.open(db)
    store.save("assessment", {"n": 1})
    store.dispose()
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", "from calculator.cli import main; main()", "keys", "create",
         "ci"], stdin=terminal, stdout=subprocess.PIPE, stderr=terminal,
        env={**os.environ, "DATABASE_URL": db})
    os.close(terminal)
    seen = b""
    while b"Give them to 'ci'?" not in seen:
        chunk = os.read(controller, 1024)
        assert chunk, seen
        seen += chunk
    assert b"records made while no key existed (1 assessment)" in seen
    os.write(controller, b"y\n")
    key = process.communicate(timeout=60)[0].decode().strip()
    os.close(controller)
    assert process.returncode == 0 and key.startswith("calc_")
    store = Store.open(db)
    try:
        assert store.unowned() == {}
        assert store.list("assessment", owner="ci").total == 1
    finally:
        store.dispose()


@pytest.mark.parametrize("args, message", [
    (["keys", "revoke", "nobody"], "no active key named 'nobody'"),
    (["keys", "create", "two words"], "is not a key name"),
])
def test_mistakes_are_one_line_and_exit_2(runner, db, args, message):
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_second_active_key_of_one_name_is_refused(runner, db):
    runner.invoke(main, ["keys", "create", "ci"])
    result = runner.invoke(main, ["keys", "create", "ci"])
    assert result.exit_code == 2 and "revoke it first" in result.stderr


def test_a_database_that_cannot_be_opened_is_one_line_without_the_password(runner):
    result = runner.invoke(main, ["keys", "list", "--database-url",
                                  "postgresql://someone:hunter2@127.0.0.1:1/nowhere"])
    assert result.exit_code == 2
    assert "cannot open the database" in result.stderr
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr
