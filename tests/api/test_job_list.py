"""GET /v1/jobs: the caller's own jobs, newest first, paged, by state, on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from tests.api.test_jobs_api import ASYNC, post, run_jobs


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


def made(client, count: int, headers=None) -> list[str]:
    """Queue ``count`` jobs; their ids, oldest first."""
    return [post(client, headers={**ASYNC, **(headers or {})},
                 query=f"?reference=T-{n}").get_json()["id"] for n in range(count)]


def test_the_list_holds_every_job_newest_first_each_as_its_own_get_answers(client):
    ids = made(client, 3)
    listed = client.get("/v1/jobs")
    assert listed.status_code == 200
    page = listed.get_json()
    assert [job["id"] for job in page["items"]] == ids[::-1]
    assert (page["total"], page["pages"], page["page"]) == (3, 1, 1)
    for job in page["items"]:
        one = client.get(job["href"]).get_json()
        assert {k: v for k, v in job.items() if k != "href"} == one
        assert job["href"] == f"/v1/jobs/{job['id']}"


def test_pages_follow_their_links_and_jobs_made_meanwhile_do_not_shift_them(client):
    ids = made(client, 5)
    first = client.get("/v1/jobs?page_size=2").get_json()
    assert [j["id"] for j in first["items"]] == [ids[4], ids[3]]
    assert first["links"]["previous"] is None and first["pages"] == 3
    made(client, 1)  # a job made while the client pages
    second = client.get(first["links"]["next"]).get_json()
    third = client.get(second["links"]["next"]).get_json()
    assert [j["id"] for j in second["items"]] == [ids[2], ids[1]]
    assert [j["id"] for j in third["items"]] == [ids[0]]
    assert third["links"]["next"] is None
    assert client.get(third["links"]["previous"]).get_json()["items"] == second["items"]


def test_the_state_filter_lists_only_jobs_in_those_states(app, client):
    done_id = made(client, 1)[0]
    run_jobs(app)
    queued_id, cancelled_id = made(client, 2)
    client.delete(f"/v1/jobs/{cancelled_id}")

    def listed(query: str) -> list[str]:
        return [j["id"] for j in client.get(f"/v1/jobs?{query}").get_json()["items"]]

    assert listed("state=done") == [done_id]
    assert listed("state=queued") == [queued_id]
    assert listed("state=cancelled&state=done") == [cancelled_id, done_id]
    assert listed("state=running") == []
    page = client.get("/v1/jobs?state=queued&state=done&page_size=1").get_json()
    assert "state=queued" in page["links"]["next"] and "state=done" in page["links"]["next"]
    assert [j["id"] for j in client.get(page["links"]["next"]).get_json()["items"]] == [done_id]


def test_a_state_that_does_not_exist_is_422_naming_the_states(client):
    response = client.get("/v1/jobs?state=finished")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "queued" in response.get_data(as_text=True)


def test_each_key_lists_only_the_jobs_it_made(app, client):
    store = app.extensions["calculator.store"]
    alice, bob = store.keys.create("alice")[1], store.keys.create("bob")[1]
    mine = made(client, 2, {"Authorization": f"Bearer {alice}"})
    theirs = made(client, 1, {"Authorization": f"Bearer {bob}"})
    as_alice = client.get("/v1/jobs", headers={"Authorization": f"Bearer {alice}"}).get_json()
    assert [j["id"] for j in as_alice["items"]] == mine[::-1] and as_alice["total"] == 2
    as_bob = client.get("/v1/jobs", headers={"Authorization": f"Bearer {bob}"}).get_json()
    assert [j["id"] for j in as_bob["items"]] == theirs
    assert client.get("/v1/jobs").status_code == 401


def test_an_empty_list_is_one_empty_page(client):
    page = client.get("/v1/jobs").get_json()
    assert (page["items"], page["total"], page["pages"]) == ([], 0, 1)
    assert page["links"] == {"next": None, "previous": None}


def test_the_list_is_documented_with_its_state_filter(client):
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/v1/jobs"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"page", "page_size", "state", "created_to"} <= names
    assert "200" in operation["responses"]
