"""One JSON name per fact: the digest of an assessed log is ``input.sha256`` in the
assessment, its list item, its curve and its replay; lists of assessments stored before
the name was settled are served under it too (decision 0064)."""

from __future__ import annotations

import hashlib
from typing import Any

from calculator.storage.assessments import KIND, summary_of

LOG = b"timestamp,posts\n2025-03-01T18:00:00Z,600000\n2025-03-02T06:00:00Z,600000\n"


def key_paths(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        paths = set()
        for key, inner in value.items():
            paths |= {f"{prefix}{key}"} | key_paths(inner, f"{prefix}{key}.")
        return paths
    if isinstance(value, list):
        return set().union(*(key_paths(item, prefix) for item in value)) if value else set()
    return set()


def test_the_log_digest_has_one_name_in_every_document(stored_client):
    created = stored_client.post("/v1/assessments", data=LOG, content_type="text/csv")
    document = created.get_json()
    location = created.headers["Location"]
    listed = stored_client.get("/v1/assessments").get_json()["items"][0]
    curve = stored_client.get(f"{location}/curve").get_json()
    replay = stored_client.post(f"{location}/replay").get_json()["document"]
    digest = hashlib.sha256(LOG).hexdigest()
    for answer in (document, listed, curve, replay):
        assert answer["input"]["sha256"] == digest
        assert not any(path.endswith("_sha256") for path in key_paths(answer))


def test_the_openapi_document_names_the_digest_the_same_way(client):
    spec = client.get("/openapi.json").get_json()
    listed = spec["components"]["schemas"]["ListedAssessment"]["properties"]
    assert "input_sha256" not in listed and "input" in listed


def test_an_assessment_listed_before_the_name_was_settled_is_served_under_it(make_app):
    app = make_app()
    client = app.test_client()
    document = client.post("/v1/assessments", data=LOG, content_type="text/csv").get_json()
    old_summary = summary_of(document)
    old_summary["input_sha256"] = old_summary.pop("input")["sha256"]  # as stored before
    store = app.extensions["calculator.store"]
    store.save(KIND, {k: v for k, v in document.items()
                      if k not in ("id", "created_at", "reference")},
               owner=None, platform="x", summary=old_summary)
    items = client.get("/v1/assessments").get_json()["items"]
    assert len(items) == 2
    assert [item["input"] for item in items] == [{"sha256": document["input"]["sha256"]}] * 2
    assert all("input_sha256" not in item for item in items)
