"""Stored reviews over HTTP: kept, found, listed, deleted, retried safely, per API key."""

from __future__ import annotations

import copy

from calculator.api.reviews.routes import EXAMPLE


def test_a_review_is_stored_and_found_again_as_first_answered(client):
    response = client.post("/v1/reviews", json=EXAMPLE)
    assert response.status_code == 201
    location = response.headers["Location"]
    document = response.get_json()
    assert location == f"/v1/reviews/{document['id']}"
    assert document["reference"] == EXAMPLE["reference"]
    assert client.get(location).get_json() == document


def test_reviews_are_listed_newest_first_and_filtered_by_reference(client):
    other = dict(copy.deepcopy(EXAMPLE), reference="DL-OTHER")
    first = client.post("/v1/reviews", json=EXAMPLE).get_json()
    second = client.post("/v1/reviews", json=other).get_json()
    page = client.get("/v1/reviews").get_json()
    assert [item["id"] for item in page["items"]] == [second["id"], first["id"]]
    assert page["items"][0]["summary"]["high"] == second["summary"]["high"]
    assert "findings" not in page["items"][0]
    filtered = client.get("/v1/reviews?reference=DL-OTHER").get_json()
    assert [item["id"] for item in filtered["items"]] == [second["id"]]


def test_a_deleted_review_is_gone(client):
    location = client.post("/v1/reviews", json=EXAMPLE).headers["Location"]
    assert client.delete(location).status_code == 204
    assert client.get(location).status_code == 404


def test_a_retry_with_the_same_idempotency_key_returns_the_first_review(client):
    headers = {"Idempotency-Key": "review-1"}
    first = client.post("/v1/reviews", json=EXAMPLE, headers=headers)
    again = client.post("/v1/reviews", json=EXAMPLE, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert client.get("/v1/reviews").get_json()["total"] == 1
    changed = dict(copy.deepcopy(EXAMPLE), retention="P1Y")
    assert client.post("/v1/reviews", json=changed, headers=headers).status_code == 409


def test_once_a_key_exists_reviews_need_it_and_each_key_sees_only_its_own(make_app):
    app = make_app()
    client = app.test_client()
    keys = app.extensions["calculator.store"].keys
    (_, alice), (_, bob) = keys.create("alice"), keys.create("bob")
    assert client.post("/v1/reviews", json=EXAMPLE).status_code == 401
    made = client.post("/v1/reviews", json=EXAMPLE,
                       headers={"Authorization": f"Bearer {alice}"})
    assert made.status_code == 201
    location = made.headers["Location"]
    assert client.get(location, headers={"Authorization": f"Bearer {bob}"}).status_code == 404
    assert client.get(location, headers={"Authorization": f"Bearer {alice}"}).status_code == 200
