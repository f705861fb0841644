"""Rule lookups under load: an answer never changes for a ruleset revision, so it carries an
ETag and Cache-Control, a client revalidating gets 304, and repeats are answered the same."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.api.rules.caching import MAX_AGE
from calculator.app import create_app
from calculator.errors import CalculatorError
from calculator.schemas.rules import ClauseInForceSchema
from calculator.timeutil import format_instant, parse_instant

CLAUSE = "/v1/clauses/x.terms-of-service.liquidated-damages"


def test_a_lookup_carries_an_etag_of_the_revision_and_request_and_may_be_kept(client):
    first = client.get(f"{CLAUSE}?at=2025-01-01")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.strip('"').startswith(first.headers["X-Ruleset-Revision"][:16])
    assert first.headers["Cache-Control"] == f"public, max-age={MAX_AGE}"
    other = client.get(f"{CLAUSE}?at=2025-06-01")
    assert other.headers["ETag"] != etag  # another request, another tag


def test_if_none_match_with_the_current_etag_is_304_without_a_body(client):
    etag = client.get(f"{CLAUSE}?at=2025-01-01").headers["ETag"]
    again = client.get(f"{CLAUSE}?at=2025-01-01", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert "max-age" in again.headers["Cache-Control"]
    weak = client.get(f"{CLAUSE}?at=2025-01-01", headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304  # If-None-Match compares weakly (RFC 9110)


def test_a_stale_etag_gets_the_full_answer(client):
    response = client.get(f"{CLAUSE}?at=2025-01-01", headers={"If-None-Match": '"old-tag"'})
    assert response.status_code == 200 and response.get_json()["version"]


def test_a_repeated_lookup_is_answered_byte_for_byte_the_same(client):
    first = client.get(f"{CLAUSE}?at=2025-01-01T10:00:00Z")
    second = client.get(f"{CLAUSE}?at=2025-01-01T10:00:00Z")
    assert second.data == first.data
    assert second.mimetype == "application/json"
    assert second.headers["ETag"] == first.headers["ETag"]


@pytest.mark.parametrize("at", ["2024-11-15T00:00:00Z", "2025-01-01T10:00:00Z",
                                "2025-07-04T23:59:59.5+02:00", "2026-02-01"])
def test_each_instant_is_answered_with_its_own_at_and_the_same_version_fields(client, app, at):
    lookup = app.extensions["calculator.lookup"]
    expected = ClauseInForceSchema().dump(lookup.clause_in_force(
        "x.terms-of-service.liquidated-damages", parse_instant(at)))
    client.get(f"{CLAUSE}?at=2025-03-03")  # another instant of the same version first
    answer = client.get(f"{CLAUSE}?at={at.replace('+', '%2B')}").get_json()
    assert answer == expected
    assert list(answer) == list(expected)


def test_errors_are_neither_tagged_nor_kept(client):
    missing = client.get("/v1/clauses/no.such.clause?at=2025-01-01")
    assert missing.status_code == 404 and "ETag" not in missing.headers
    assert client.get("/v1/clauses/no.such.clause?at=2025-01-01").status_code == 404


def test_keyed_lookups_may_be_kept_by_the_client_only(tmp_path):
    app = create_app({"TESTING": True, "REQUIRE_KEY_FOR_RULES": True,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'k.sqlite3'}"})
    try:
        _info, key = app.extensions["calculator.store"].keys.create("reader")
        client = app.test_client()
        bearer = {"Authorization": f"Bearer {key}"}
        answer = client.get(f"{CLAUSE}?at=2025-01-01", headers=bearer)
        assert answer.headers["Cache-Control"].startswith("private")
        # A kept answer or a matching ETag is no way around the key.
        assert client.get(f"{CLAUSE}?at=2025-01-01").status_code == 401
        assert client.get(f"{CLAUSE}?at=2025-01-01",
                          headers={"If-None-Match": answer.headers["ETag"]}).status_code == 401
    finally:
        app.extensions["calculator.store"].dispose()


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    app = create_app({"TESTING": True, "DATABASE_URL":
                      f"sqlite:///{tmp_path_factory.mktemp('lookups') / 'l.sqlite3'}"})
    yield app
    app.extensions["calculator.store"].dispose()


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_clause_at_every_instant_answers_as_the_lookup_serialized_whole(shared_app, data):
    lookup = shared_app.extensions["calculator.lookup"]
    clause_id = data.draw(st.sampled_from(sorted(lookup.ruleset.clauses)))
    region = data.draw(st.sampled_from([None, "rest-of-world", "eu-efta-uk"]))
    at = data.draw(st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2030, 1, 1),
                                timezones=st.just(UTC)))
    query = f"at={format_instant(at)}" + (f"&region={region}" if region else "")
    answer = shared_app.test_client().get(f"/v1/clauses/{clause_id}?{query}")
    try:
        expected = ClauseInForceSchema().dump(lookup.clause_in_force(clause_id, at, region))
    except CalculatorError:
        assert answer.status_code == 404
        return
    assert answer.status_code == 200
    assert list(answer.get_json().items()) == list(expected.items())
