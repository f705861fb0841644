"""A subscription or an observation list filtered on a typo never matches and said nothing:
each filter must name a platform, document or clause the rules hold (decision 0160), and no
value is given twice."""

from __future__ import annotations

import pytest

HOOK = "http://127.0.0.1:9/hook"


@pytest.fixture
def client(make_app):
    return make_app(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True).test_client()


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"filters": {"platforms": ["x", "twiter"]}}, "filters.platforms[1]",
     "no platform 'twiter' in the rules"),
    ({"filters": {"documents": ["x.terms-of-servce"]}}, "filters.documents[0]",
     "no document 'x.terms-of-servce' in the rules"),
    ({"filters": {"clauses": ["x.nope"]}}, "filters.clauses[0]", "no clause 'x.nope'"),
    ({"events": ["terms.observed", "terms.observed"]}, "events[1]", "given twice"),
    ({"filters": {"platforms": ["x", "x"]}}, "filters.platforms[1]", "given twice"),
])
def test_a_subscription_filter_naming_nothing_is_refused_by_its_place(client, body, field,
                                                                     words):
    response = client.post("/v1/subscriptions", json={"url": HOOK, **body})
    assert response.status_code == 422
    (problem,) = response.get_json()["errors"]
    assert problem["field"] == field and words in problem["message"]
    assert client.get("/v1/subscriptions").get_json() == []  # nothing was stored


def test_a_subscription_filter_naming_what_the_rules_hold_is_taken(client):
    response = client.post("/v1/subscriptions", json={"url": HOOK, "filters": {
        "platforms": ["x"], "documents": ["x.terms-of-service"],
        "clauses": ["x.terms-of-service.liquidated-damages"]}})
    assert response.status_code == 201


def test_an_observation_list_filtered_on_a_typo_is_404_as_the_change_feed_is(client):
    for path in ("/v1/observations?platform=twiter", "/v1/changes?platform=twiter",
                 "/v1/observations?document=x.nope"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["detail"].startswith(("no platform 'twiter'",
                                                        "no document 'x.nope'"))
    assert client.get("/v1/observations?platform=x").status_code == 200
