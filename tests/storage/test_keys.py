"""API keys in the database: shown once, kept as sha256, revoked for good."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from calculator.errors import Conflict, InvalidArgument, NotFound
from calculator.storage.schema import api_keys


def test_a_key_is_kept_only_as_its_sha256(store):
    assert not store.keys.any()
    info, key = store.keys.create("ci")
    assert key.startswith("calc_") and len(key) == 48
    assert info.name == "ci" and info.active
    with store.engine.connect() as connection:
        rows = connection.execute(select(api_keys)).mappings().all()
    assert [r["key_hash"] for r in rows] == [hashlib.sha256(key.encode()).hexdigest()]
    assert key not in repr(rows)
    assert store.keys.any()


def test_a_key_verifies_as_its_name_until_revoked(store):
    _, key = store.keys.create("ci")
    assert store.keys.verify(key) == "ci"
    assert store.keys.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.keys.verify("") is None and store.keys.verify("Bearer " + key) is None
    store.keys.revoke("ci")
    assert store.keys.verify(key) is None
    assert store.keys.any()  # a revoked key still means keys exist: the service stays closed


def test_one_active_key_per_name_and_a_revoked_name_can_be_given_a_new_key(store):
    store.keys.create("ci")
    with pytest.raises(Conflict):
        store.keys.create("ci")
    store.keys.revoke("ci")
    _, new = store.keys.create("ci")
    assert store.keys.verify(new) == "ci"
    states = [(k.name, k.active) for k in store.keys.list()]
    assert sorted(states) == [("ci", False), ("ci", True)]


def test_bad_names_and_unknown_keys_are_refused(store):
    with pytest.raises(InvalidArgument):
        store.keys.create("has space")
    with pytest.raises(InvalidArgument):
        store.keys.create("")
    with pytest.raises(NotFound):
        store.keys.revoke("nobody")


def test_the_list_counts_each_names_records(store):
    store.keys.create("ci")
    store.keys.create("counsel")
    store.save("assessment", {}, owner="ci")
    store.save("assessment", {}, owner="ci")
    assert {k.name: k.records for k in store.keys.list()} == {"ci": 2, "counsel": 0}
