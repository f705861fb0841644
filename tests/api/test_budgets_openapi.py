"""The OpenAPI document says what the budget operations accept, so that generated calls are
valid: the largest reservation the rules can ever grant, the name's pattern, the members of
a 429 answer, and the link from a returnable reservation to giving posts back."""

from __future__ import annotations

import re

from calculator.budget.limits import largest_threshold


def test_one_reservation_is_documented_up_to_the_largest_threshold_in_the_rules(client,
                                                                                lookup):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    assert largest_threshold(lookup) == 1_000_000  # X's threshold, from data/
    assert schemas["Reservation"]["properties"]["posts"]["maximum"] == 1_000_000
    assert schemas["GiveBack"]["properties"]["posts"]["maximum"] == 1_000_000


def test_budget_names_and_reservation_ids_are_documented_as_the_service_reads_them(client):
    paths = client.get("/openapi.json").json["paths"]
    name = paths["/v1/budgets/{name}"]["parameters"][0]["schema"]
    pattern = re.compile(name["pattern"])
    assert pattern.match("fleet-1.eu_2") and not pattern.match("-fleet")
    assert not pattern.match("a" * 65)
    give_back = paths["/v1/budgets/{name}/reservations/{reservation}/return"]
    assert [p["name"] for p in give_back["parameters"]] == ["name", "reservation"]


def test_a_429_answer_matches_its_documented_members(budget_client):
    spec = budget_client.get("/openapi.json").json
    documented = spec["paths"]["/v1/budgets/{name}/reservations"]["post"]["responses"]["429"]
    ref = documented["content"]["application/problem+json"]["schema"]["$ref"]
    members = set(spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"])
    budget_client.put("/v1/budgets/fleet", json={"platform": "x", "region": "US"})
    budget_client.post("/v1/budgets/fleet/reservations", json={"posts": 1_000_000})
    refused = budget_client.post("/v1/budgets/fleet/reservations", json={"posts": 1})
    assert refused.status_code == 429
    assert set(refused.json) <= members


def test_a_returnable_reservation_links_to_giving_posts_back(client):
    post = client.get("/openapi.json").json["paths"]["/v1/budgets/{name}/reservations"]["post"]
    link = post["responses"]["201"]["links"]["GiveBack"]
    assert link["operationRef"].endswith("~1return/post")
    assert link["parameters"]["reservation"] == "$response.body#/reservation/id"
