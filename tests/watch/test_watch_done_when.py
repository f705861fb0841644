"""The issue's "done when", end to end: a test commit in a clone of the real archive raises
X's damages amount; the watch records one observation naming the clause and the amount; the
feed and the Atom feed list it; a subscriber receives terms.observed, signed; once a rule file
encodes the new version, rules.changed and exposure.changed (old and new headline of a
stored assessment) arrive; a second watch records nothing new."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
from standardwebhooks import Webhook

from calculator.cli import main
from calculator.webhooks.delivery import run_once

PGA = "OpenTermsArchive/pga-versions"
CLAUSE = "x.terms-of-service.liquidated-damages"
TERMS = "X/Terms of Service.md"
OLD_AMOUNT, NEW_AMOUNT = "$15,000 USD per 1,000,000 posts", "$25,000 USD per 1,000,000 posts"
# 2,000,000 posts on one day in October 2026: USD 30,000 at $15,000, USD 50,000 at $25,000
# (headline reading: worst-case window, pro rata, all posts).
PROFILE = {"platform": "x", "region": "rest-of-world",
           "period": {"start": "2026-10-01", "end": "2026-10-03"}, "channel": "scraping",
           "volume": {"posts_per_day": 2000000}, "purposes": ["ai_training"],
           "data_categories": ["public_posts"], "user_regions": ["rest-of-world"],
           "opted_out_users_excluded": False, "retention": "P2Y", "reference": "DL-1"}
LOG = b"timestamp,posts\n2026-10-01T10:00:00Z,1000000\n2026-10-01T12:00:00Z,1000000\n"


def encode_new_version(rules: Path, commit: str, set_checked_through) -> None:
    """What counsel does after reading the observation: a document version and a clause
    version of 2026-09-02 for the US part, with the new amount."""
    path = rules / "x" / "terms-of-service.yaml"
    text = path.read_text(encoding="utf-8")
    document_version = (
        "  - date: 2026-09-02\n    dating: observed\n    parts: [rest-of-world]\n"
        "    source:\n      url: https://x.com/tos\n"
        f"      archive: {PGA}\n      path: {TERMS}\n      commit: {commit}\n"
        "    summary: US part; liquidated damages raised to $25,000 per 1,000,000 posts.\n")
    text = text.replace("\nclauses:\n", "\n" + document_version + "\nclauses:\n", 1)
    start = text.index("      - date: 2026-01-15\n        parts: [rest-of-world]\n        quote:")
    end = text.index("      - date:", start + 10)
    block = text[start:end]
    new_block = (block.replace("2026-01-15", "2026-09-02").replace(OLD_AMOUNT, NEW_AMOUNT)
                 .replace('amount: "15000.00"', 'amount: "25000.00"'))
    new_block = re.sub(r"        note: .*\n", "", new_block)
    insert_at = text.index("\n\n", end) + 1  # after the clause's last version
    text = text[:insert_at] + new_block.rstrip("\n") + "\n" + text[insert_at:]
    path.write_text(text, encoding="utf-8")
    set_checked_through(rules, "2026-09-02")


def watch(runner, rules: Path, clone: Path, database_url: str):
    result = runner.invoke(main, ["--rules", str(rules), "watch", "--archive",
                                  f"{PGA}={clone}", "--database-url", database_url])
    assert result.exit_code == 0, result.output
    return result


def test_a_raised_damages_amount_is_observed_fed_and_told_to_subscribers_end_to_end(
        archive, rules_copy, make_app, database_url, runner, webhook_receiver, monkeypatch,
        tmp_path, checked_through):
    monkeypatch.setenv("CALCULATOR_INSTANCE_PATH", str(tmp_path / "instance"))
    clone, commit = archive
    checked_through(rules_copy, "2026-08-22")
    app = make_app(RULES_DIR=str(rules_copy), WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
    client = app.test_client()
    engine = app.extensions["calculator.store"].engine
    # Counsel follows the damages clause (other documents' captures are observed too, as the
    # real archive has them, but are not this subscriber's business).
    subscription = client.post("/v1/subscriptions", json={"url": webhook_receiver.url,
                                                          "filters": {"clauses": [CLAUSE]}})
    assert subscription.status_code == 201
    secret = subscription.get_json()["secret"]
    stored = client.post("/v1/assessments?reference=crawl-october", data=LOG,
                         content_type="text/csv")
    assert stored.status_code == 201
    assert stored.get_json()["headline"]["amount"] == "30000.00"
    reviewed = client.post("/v1/reviews", json=PROFILE)
    assert reviewed.status_code == 201
    assert reviewed.get_json()["summary"]["projected_damages"]["headline"] == "60000.00"

    # -- the watch records one observation, naming the clause and the amount
    first = watch(runner, rules_copy, clone, database_url)
    recorded = int(re.search(r"(\d+) new observation\(s\)", first.output).group(1))
    assert f"observed x.terms-of-service {commit}" in first.output
    second = watch(runner, rules_copy, clone, database_url)  # nothing new the second time
    assert f"0 new observation(s), {recorded} capture(s) already observed" in second.output
    listed = client.get("/v1/observations?document=x.terms-of-service").get_json()
    assert listed["total"] == 1
    observation = client.get(f"/v1/observations/{listed['items'][0]['id']}").get_json()
    assert observation["commit"] == commit
    assert observation["kind"] == "terms_change" and observation["state"] == "new"
    assert observation["clauses"] == [CLAUSE]
    assert {(p["clause"], p["parameter"], p["encoded"], tuple(p["found"]))
            for p in observation["impact"]["parameters"]} == {
        (CLAUSE, "amount", "15000", ("25000",))}
    changed = [p for p in observation["diff"]["paragraphs"] if p["op"] == "changed"]
    assert len(changed) == 1
    assert {"op": "removed", "text": "$15,000"} in changed[0]["words"]
    assert {"op": "added", "text": "$25,000"} in changed[0]["words"]

    # -- the change feed and the Atom feed list it
    feed = client.get(f"/v1/changes?clause={CLAUSE}").get_json()
    assert feed["entries"][-1]["type"] == "observation"
    assert feed["entries"][-1]["observation"]["id"] == observation["id"]
    atom = client.get(f"/feeds/changes.atom?clause={CLAUSE}")
    assert atom.content_type.startswith("application/atom+xml")
    parsed = feedparser.parse(atom.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert any(commit[:10] in e.title and "25000" in e.summary for e in parsed.entries)

    # -- the Changes page shows the diff marked and links the clause
    page = client.get("/changes").get_data(as_text=True)
    assert "<del>$15,000</del> <ins>$25,000</ins>" in page
    assert 'href="/clauses/x.terms-of-service/liquidated-damages"' in page
    assert 'type="application/atom+xml"' in page

    # -- the subscriber receives terms.observed, signed and valid
    assert [o.state for o in run_once(engine, allow_private=True)] == ["delivered"]
    received = webhook_receiver.requests[-1]
    payload = Webhook(secret).verify(received.body, received.headers)
    assert payload["type"] == "terms.observed"
    assert payload["data"]["observation"]["id"] == observation["id"]
    assert payload["data"]["observation"]["clauses"] == [CLAUSE]

    # -- a rule file encodes the new version; the server restarts on it; the worker runs
    encode_new_version(rules_copy, commit, checked_through)
    restarted = make_app(RULES_DIR=str(rules_copy), WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
    worker = runner.invoke(main, ["--rules", str(rules_copy), "webhooks", "run", "--once",
                                  "--allow-private-targets", "--database-url", database_url])
    assert worker.exit_code == 0, worker.output
    events: dict[str, list] = {}
    for request in webhook_receiver.requests[1:]:
        body = Webhook(secret).verify(request.body, request.headers)
        events.setdefault(body["type"], []).append(body["data"])
    assert sorted((t, len(e)) for t, e in events.items()) == [
        ("exposure.changed", 2), ("rules.changed", 1)]
    exposures = {e["record"]["kind"]: e for e in events.pop("exposure.changed")}
    events = {t: e[0] for t, e in events.items()}
    events["exposure.changed"] = exposures["assessment"]
    review_change = exposures["review"]
    assert review_change["record"]["id"] == reviewed.get_json()["id"]
    assert (review_change["headline"]["old"], review_change["headline"]["new"]) == (
        "60000.00", "100000.00")
    assert CLAUSE in {c.get("clause") for c in review_change["caused_by"]}
    added = {(a["type"], a.get("clause"), a["version"]) for a in events["rules.changed"]["added"]}
    assert ("clause_version", CLAUSE, "2026-09-02") in added
    assert ("document_version", None, "2026-09-02") in added
    exposure = events["exposure.changed"]
    assert exposure["record"]["id"] == stored.get_json()["id"]
    assert exposure["headline"]["old"]["amount"] == "30000.00"
    assert exposure["headline"]["new"]["amount"] == "50000.00"
    assert [(c["clause"], c["version"]) for c in exposure["caused_by"]
            if c["type"] == "clause_version"] == [(CLAUSE, "2026-09-02")]
    assert exposure["clause"] == CLAUSE
    assert exposure["clause_versions"]["added"] == ["2026-09-02"]

    # -- with the new version encoded and checked through, the capture is covered
    third = watch(runner, rules_copy, clone, database_url)
    assert "0 new observation(s)" in third.output
    again = restarted.test_client().get("/v1/observations?document=x.terms-of-service").get_json()
    assert again["total"] == 1 and again["items"][0]["state"] == "encoded"
