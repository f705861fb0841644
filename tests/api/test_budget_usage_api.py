"""/v1/budgets over HTTP, beyond reserving: posts recorded after the fact (201 even over the
limit, saying by how much), giving back what a reservation did not use, the trailing curve
in GET, and the recorded log as CSV that the calculator assesses to USD 0."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from calculator.damages.assessment import assess
from tests.api.conftest import START


@pytest.fixture
def fleet(budget_client):
    """A client of an app with a budget "fleet" for X in the US."""
    assert budget_client.put("/v1/budgets/fleet",
                             json={"platform": "x", "region": "US"}).status_code == 201
    return budget_client


def test_posts_fetched_without_asking_are_recorded_and_the_answer_says_how_far_over(
        fleet, clock):
    fleet.post("/v1/budgets/fleet/reservations", json={"posts": 900_000})
    clock["now"] = START + timedelta(hours=2)
    recorded = fleet.post("/v1/budgets/fleet/usage", json={"posts": 150_000})
    assert recorded.status_code == 201
    assert recorded.json["recorded"] == {
        "posts": 150_000, "at": "2025-03-01T02:00:00Z", "busiest": 1_050_000,
        "over_by": 50_000, "over_threshold_by": 50_000}
    assert (recorded.json["used"], recorded.json["left"]) == (1_050_000, 0)
    assert recorded.headers["RateLimit"] == '"budget";r=0;t=79201'  # 22 h and a second


def test_posts_fetched_earlier_are_recorded_when_they_were_fetched(fleet, clock):
    clock["now"] = START + timedelta(hours=5)
    recorded = fleet.post("/v1/budgets/fleet/usage",
                                  json={"posts": 10, "at": "2025-03-01T01:00:00+01:00"})
    assert recorded.status_code == 201
    assert recorded.json["recorded"]["at"] == "2025-03-01T00:00:00Z"
    assert recorded.json["recorded"]["over_by"] == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"posts": 1, "at": "2025-03-01T00:00:01Z"}, "at"),  # later than now
    ({"posts": 1, "at": "2025-03-01T00:00:00"}, "at"),  # no offset
    ({"posts": 0}, "posts"),
    ({"posts": "12"}, "posts"),
    ({}, "posts"),
])
def test_usage_that_cannot_be_recorded_is_refused_by_field(fleet, body, field):
    refused = fleet.post("/v1/budgets/fleet/usage", json=body)
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert field in refused.json["detail"] or any(
        field in str(e) for e in refused.json.get("errors", []))
    assert fleet.get("/v1/budgets/fleet").json["used"] == 0


def test_a_returnable_reservation_gives_back_what_it_did_not_use(fleet):
    granted = fleet.post("/v1/budgets/fleet/reservations",
                                 json={"posts": 500, "returnable": True})
    assert granted.status_code == 201
    reservation = granted.json["reservation"]
    assert (reservation["posts"], reservation["kept"]) == (500, 500)
    path = f"/v1/budgets/fleet/reservations/{reservation['id']}/return"
    given = fleet.post(path, json={"posts": 120})
    assert given.status_code == 200
    assert given.json["reservation"]["kept"] == 380 and given.json["used"] == 380
    too_many = fleet.post(path, json={"posts": 381})
    assert too_many.status_code == 422
    unknown = fleet.post("/v1/budgets/fleet/reservations/nothing/return",
                                 json={"posts": 1})
    assert unknown.status_code == 404
    assert "nothing" not in unknown.json["detail"]  # what a caller sent is not echoed


def test_a_plain_reservation_has_nothing_to_give_back(fleet):
    granted = fleet.post("/v1/budgets/fleet/reservations", json={"posts": 5})
    assert "reservation" not in granted.json


def test_the_budget_shows_its_trailing_count_over_the_last_day(fleet, clock):
    fleet.post("/v1/budgets/fleet/reservations", json={"posts": 300})
    clock["now"] = START + timedelta(hours=6)
    fleet.post("/v1/budgets/fleet/reservations", json={"posts": 200})
    clock["now"] = START + timedelta(hours=25)
    curve = fleet.get("/v1/budgets/fleet").json["curve"]
    assert (curve["from"], curve["until"]) == ("2025-03-01T01:00:00Z", "2025-03-02T01:00:00Z")
    assert curve["window_seconds"] == 86_400 and curve["busiest"] == 500
    assert [(p["at"], p["posts"]) for p in curve["points"]] == [
        ("2025-03-01T01:00:00Z", 300), ("2025-03-01T06:00:00Z", 500),
        ("2025-03-02T00:00:00Z", 200), ("2025-03-02T01:00:00Z", 200)]


def test_the_log_is_csv_the_calculator_assesses_to_nothing_owed(fleet, clock):
    for hour, posts in ((0, 600_000), (20, 400_000), (30, 600_000)):
        clock["now"] = START + timedelta(hours=hour)
        fleet.post("/v1/budgets/fleet/reservations", json={"posts": posts})
    clock["now"] = START + timedelta(hours=31)
    refused = fleet.post("/v1/budgets/fleet/reservations", json={"posts": 1})
    assert refused.status_code == 429
    log = fleet.get("/v1/budgets/fleet/log")
    assert log.status_code == 200 and log.mimetype == "text/csv"
    assert log.data.decode() == (
        "timestamp,platform,posts\n"
        "2025-03-01T00:00:00Z,x,600000\n"
        "2025-03-01T20:00:00Z,x,400000\n"
        "2025-03-02T06:00:00Z,x,600000\n")
    result = assess(log.data, platform="x", region="US")
    assert result.peak.posts == 1_000_000
    assert {r.amount for r in result.readings} == {Decimal("0.00")}


def test_the_log_of_an_unknown_budget_is_a_problem_not_an_empty_csv(fleet):
    missing = fleet.get("/v1/budgets/nobody/log")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
