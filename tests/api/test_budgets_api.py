"""/v1/budgets over HTTP: create, reserve (201, or 429 with Retry-After and the posts left
now), show, delete; RateLimit headers; each API key sees only its own budgets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from calculator.api.budgets.routes import CLOCK
from tests.api.conftest import START


def test_a_reservation_within_the_limit_is_granted_and_counted(budget_client):
    created = budget_client.put("/v1/budgets/fleet",
                                json={"platform": "x", "region": "US", "margin_percent": 95})
    assert created.status_code == 201
    assert created.headers["Location"] == "/v1/budgets/fleet"
    assert created.json["limit"]["posts"] == 950_000
    assert created.headers["RateLimit-Policy"] == '"budget";q=950000;w=86400'
    granted = budget_client.post("/v1/budgets/fleet/reservations", json={"posts": 900_000})
    assert granted.status_code == 201
    assert (granted.json["granted"], granted.json["used"], granted.json["left"]) == (
        True, 900_000, 50_000)
    # The posts leave every period that could hold them a day and a second on (the
    # budget keeps whole seconds, and they may lie anywhere in theirs).
    assert granted.headers["RateLimit"] == '"budget";r=50000;t=86401'


def test_posts_over_the_limit_get_429_saying_when_they_fit_and_how_many_fit_now(
        budget_client, clock):
    budget_client.put("/v1/budgets/fleet", json={"platform": "x", "region": "US"})
    budget_client.post("/v1/budgets/fleet/reservations", json={"posts": 700_000})
    clock["now"] = START + timedelta(hours=6)
    budget_client.post("/v1/budgets/fleet/reservations", json={"posts": 250_000})
    clock["now"] = START + timedelta(hours=10)
    refused = budget_client.post("/v1/budgets/fleet/reservations", json={"posts": 100_000})
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["type"] == "/problems/budget-spent"
    assert refused.json["left_now"] == 50_000
    # The 700,000 posts of 00:00 (anywhere in that second) leave every period that could
    # hold them at 24:00:01, 14 hours and a second from now.
    assert refused.json["retry_at"] == "2025-03-02T00:00:01Z"
    assert refused.headers["Retry-After"] == str(14 * 3600 + 1)
    assert refused.headers["RateLimit"] == f'"budget";r=50000;t={14 * 3600 + 1}'
    clock["now"] = START + timedelta(days=1)
    assert budget_client.post("/v1/budgets/fleet/reservations",
                              json={"posts": 100_000}).status_code == 429
    clock["now"] = START + timedelta(days=1, seconds=1)
    assert budget_client.post("/v1/budgets/fleet/reservations",
                              json={"posts": 100_000}).status_code == 201


def test_the_budget_shows_limit_used_and_left_and_can_be_deleted(budget_client):
    budget_client.put("/v1/budgets/fleet", json={"platform": "x", "region": "DE"})
    budget_client.post("/v1/budgets/fleet/reservations", json={"posts": 1_000})
    shown = budget_client.get("/v1/budgets/fleet")
    assert shown.status_code == 200
    assert (shown.json["region"], shown.json["country"]) == ("eu-efta-uk", "DE")
    assert (shown.json["used"], shown.json["left"]) == (1_000, 999_000)
    assert shown.json["limit"]["clause"] == "x.terms-of-service.liquidated-damages"
    assert budget_client.delete("/v1/budgets/fleet").status_code == 204
    gone = budget_client.get("/v1/budgets/fleet")
    assert gone.status_code == 404 and gone.mimetype == "application/problem+json"


def test_a_platform_without_a_damages_clause_grants_without_limit_and_says_so(budget_client):
    created = budget_client.put("/v1/budgets/sky", json={"platform": "bluesky"})
    assert created.status_code == 201
    assert created.json["in_force"] is False and created.json["limit"] is None
    assert "without limit" in created.json["note"]
    assert "RateLimit" not in created.headers
    granted = budget_client.post("/v1/budgets/sky/reservations", json={"posts": 50_000_000})
    assert granted.status_code == 201 and granted.json["left"] is None


def test_bad_requests_get_problem_details_naming_the_field(budget_client):
    budget_client.put("/v1/budgets/fleet", json={"platform": "x"})
    for body in ({"posts": 0}, {"posts": 1.5}, {"posts": "ten"}, {}):
        answer = budget_client.post("/v1/budgets/fleet/reservations", json=body)
        assert answer.status_code == 422, body
        assert answer.mimetype == "application/problem+json"
        assert "posts" in answer.json["detail"]
    too_many = budget_client.post("/v1/budgets/fleet/reservations", json={"posts": 2_000_000})
    assert too_many.status_code == 422 and "reserve fewer" in too_many.json["detail"]
    again = budget_client.put("/v1/budgets/fleet", json={"platform": "x"})
    assert again.status_code == 409
    unknown = budget_client.put("/v1/budgets/other", json={"platform": "x", "region": "ZZ"})
    assert unknown.status_code == 422 and "region" in unknown.json["detail"]
    assert budget_client.put("/v1/budgets/other", json={"platform": "nope"}).status_code == 404
    # A body that is not JSON has no field to name: its detail does not start with ": ".
    broken = budget_client.post("/v1/budgets/fleet/reservations", data=b'{"posts": 1,}',
                                content_type="application/json")
    assert (broken.status_code, broken.json["detail"]) == (
        422, "the request body is not JSON: Expecting property name enclosed in double quotes "
             "at line 1, column 13")


def test_each_key_sees_only_its_own_budgets(make_app, clock):
    app = make_app(**{CLOCK: lambda: clock["now"]})
    keys = app.extensions["calculator.store"].keys
    team_a, team_b = keys.create("team-a")[1], keys.create("team-b")[1]
    client = app.test_client()
    assert client.put("/v1/budgets/fleet", json={"platform": "x"}).status_code == 401
    assert client.put("/v1/budgets/fleet", json={"platform": "x"},
                      headers={"Authorization": f"Bearer {team_a}"}).status_code == 201
    other = {"Authorization": f"Bearer {team_b}"}
    assert client.get("/v1/budgets/fleet", headers=other).status_code == 404
    assert client.post("/v1/budgets/fleet/reservations", json={"posts": 1},
                       headers=other).status_code == 404


@pytest.mark.parametrize("value", ["yes", 1, "off", 0, "true"])
def test_returnable_is_a_json_boolean_not_a_word_or_number_read_as_one(budget_client, value):
    """"yes" and 1 made a returnable reservation, "off" a plain one."""
    budget_client.put("/v1/budgets/fleet", json={"platform": "x", "region": "US"})
    refused = budget_client.post("/v1/budgets/fleet/reservations",
                                 json={"posts": 10, "returnable": value})
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "returnable"
    assert budget_client.get("/v1/budgets/fleet").json["used"] == 0
