"""Observations over HTTP and the command line: filters, the diff, acknowledgement by a key,
"encoded" once the rules are checked through a capture; the change feed's filters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import feedparser
import pytest

from calculator.cli import main
from calculator.watch.observations import Observations

CLAUSE = "x.terms-of-service.liquidated-damages"
IMPACT = {"missing_quotes": [{"clause": CLAUSE, "version": "2026-01-15",
                              "regions": ["rest-of-world"], "role": "quote",
                              "expected": "x", "closest": "y"}],
          "parameters": [], "effective_dates": []}
EMPTY = {"missing_quotes": [], "parameters": [], "effective_dates": []}


def record(observations, commit, document="x.terms-of-service", platform="x",
           day=date(2026, 9, 2), impact=None, kind="terms_change"):
    return observations.record(
        archive="OpenTermsArchive/pga-versions", commit=commit * 40, path="X/Terms.md",
        platform=platform, document=document,
        captured_at=datetime(day.year, day.month, day.day, 1, tzinfo=UTC), kind=kind,
        message="Record new changes of X Terms of Service", checked_commit="c" * 40,
        diff={"paragraphs": [], "unchanged": 3, "added": 0, "removed": 0, "changed": 0},
        impact=impact or EMPTY)


@pytest.fixture
def seeded(make_app):
    app = make_app()
    observations = Observations(app.extensions["calculator.store"].engine)
    first = record(observations, "a", impact=IMPACT)
    second = record(observations, "b", document="reddit.user-agreement", platform="reddit",
                    day=date(2026, 9, 5), kind="technical_upgrade")
    return app, observations, first, second


def test_a_capture_is_recorded_once_however_often_the_watch_sees_it(seeded):
    _app, observations, first, _ = seeded
    assert record(observations, "a", impact=IMPACT) is None
    assert observations.count() == 2
    assert first["clauses"] == [CLAUSE]


def test_observations_are_listed_newest_first_and_filtered(seeded):
    app, _, first, second = seeded
    client = app.test_client()
    listed = client.get("/v1/observations").get_json()
    assert [o["id"] for o in listed["items"]] == [second["id"], first["id"]]
    assert "diff" not in listed["items"][0]
    assert client.get("/v1/observations?platform=x").get_json()["total"] == 1
    assert client.get("/v1/observations?document=reddit.user-agreement").get_json()[
        "items"][0]["legal_event"] is False
    assert client.get("/v1/observations?since=2026-09-03").get_json()["total"] == 1
    assert client.get("/v1/observations?state=acknowledged").get_json()["total"] == 0
    bad = client.get("/v1/observations?state=done")
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    shown = client.get(f"/v1/observations/{first['id']}").get_json()
    assert shown["diff"]["unchanged"] == 3
    missing = client.get("/v1/observations/nope")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"


def test_acknowledging_needs_a_key_once_keys_exist_and_names_it(seeded):
    app, _, first, _ = seeded
    client = app.test_client()
    key = app.extensions["calculator.store"].keys.create("counsel")[1]
    assert client.post(f"/v1/observations/{first['id']}/acknowledge").status_code == 401
    assert client.get("/v1/observations").status_code == 200  # reading stays open
    done = client.post(f"/v1/observations/{first['id']}/acknowledge",
                       headers={"Authorization": f"Bearer {key}"}).get_json()
    assert (done["state"], done["acknowledged_by"]) == ("acknowledged", "counsel")
    assert done["acknowledged_at"]


def test_an_observation_becomes_encoded_when_the_rules_are_checked_through_its_capture(seeded):
    _, observations, first, second = seeded
    assert observations.mark_encoded({"x.terms-of-service": date(2026, 9, 1)}) == 0
    assert observations.mark_encoded({"x.terms-of-service": date(2026, 9, 2)}) == 1
    assert observations.get(first["id"])["state"] == "encoded"
    assert observations.get(second["id"])["state"] == "new"


def test_the_feed_filters_by_clause_platform_and_date_and_atom_parses(seeded):
    app, _, first, _ = seeded
    client = app.test_client()
    by_clause = client.get(f"/v1/changes?clause={CLAUSE}").get_json()["entries"]
    assert {e["type"] for e in by_clause} == {"clause_version", "observation"}
    assert all(e["clause"] == CLAUSE or CLAUSE in e.get("clauses", []) for e in by_clause)
    dates = [e["date"] for e in by_clause]
    assert dates == sorted(dates)
    recent = client.get("/v1/changes?since=2026-09-01").get_json()["entries"]
    assert [e["type"] for e in recent] == ["observation", "observation"]
    reddit = client.get("/v1/changes?platform=reddit&since=2026-01-01").get_json()["entries"]
    assert {e["platform"] for e in reddit} == {"reddit"}
    parsed = feedparser.parse(client.get("/feeds/changes.atom?platform=x").data)
    assert not parsed.bozo and parsed.version == "atom10"
    assert parsed.entries[0].id.endswith(f"observation:{first['id']}")  # newest first
    assert client.get("/feeds/changes.atom?since=yesterday").status_code == 422


def test_the_command_line_lists_shows_and_acknowledges(seeded, runner, database_url):
    _, _, first, _ = seeded
    listed = runner.invoke(main, ["observations", "list", "--platform", "x",
                                  "--database-url", database_url])
    assert listed.exit_code == 0 and first["id"] in listed.output and CLAUSE in listed.output
    shown = runner.invoke(main, ["observations", "show", first["id"],
                                 "--database-url", database_url])
    assert shown.exit_code == 0 and "words gone: " + CLAUSE in shown.output
    acked = runner.invoke(main, ["observations", "ack", first["id"], "--by", "counsel",
                                 "--database-url", database_url])
    assert acked.exit_code == 0 and "acknowledged" in acked.output
    missing = runner.invoke(main, ["observations", "show", "nope", "--database-url",
                                   database_url])
    assert missing.exit_code == 2 and "no observation with id" in missing.output
