"""Usage-profile reviews as stored records.

Kept: the review document as answered (findings, citations, the profile as read) and, as
its basis, the profile itself, so that it can be reviewed again under other rules. A
profile holds no rows, URLs or post ids: only what a vendor said about a collection.
"""

from __future__ import annotations

from typing import Any

from calculator.review.engine import Review
from calculator.storage.repository import Saved, Store, fingerprint

KIND = "review"


def request_fingerprint(profile_document: dict[str, Any]) -> str:
    """What makes two review requests "the same" for an Idempotency-Key: the profile as
    read (defaults filled in, so two spellings of one profile are one request)."""
    return fingerprint({"profile": profile_document})


def summary_of(document: dict[str, Any]) -> dict[str, Any]:
    """What a list shows of a review, without its findings."""
    return {"platform": document["platform"], "region": document["region"],
            "channel": document["channel"], "period": document["period"],
            "summary": document["summary"], "profile_sha256": document["profile_sha256"],
            "ruleset_revision": document["ruleset_revision"],
            "engine_version": document["engine_version"]}


def save_review(store: Store, review: Review, *, owner: str | None,
                idempotency_key: str | None = None) -> Saved:
    """Store a review: its document, and the profile it was made from."""
    document = review.to_document()
    return store.save(
        KIND, document, owner=owner, reference=document["reference"],
        platform=review.platform, summary=summary_of(document),
        basis={"profile": document["profile"]}, ruleset_revision=review.ruleset_revision,
        engine_version=review.engine_version, input_sha256=document["profile_sha256"],
        idempotency_key=idempotency_key,
        request_hash=None if idempotency_key is None else request_fingerprint(
            document["profile"]))
