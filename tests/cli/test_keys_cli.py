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


def test_create_with_claim_unowned_gives_earlier_assessments_to_the_key(runner, db):
    store = Store.open(db)
    store.save("assessment", {"n": 1})
    store.dispose()
    result = runner.invoke(main, ["keys", "create", "ci", "--claim-unowned"])
    assert "1 assessment(s) made without a key now belong to 'ci'" in result.stderr
    assert json.loads(runner.invoke(main, ["keys", "list", "--json"]).stdout)[0][
        "assessments"] == 1


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
