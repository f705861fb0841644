"""The repository on SQLite and PostgreSQL: save, get, list, delete, idempotency, owners."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from calculator.errors import RecordNotFound
from calculator.storage import IdempotencyConflict

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def save(store, n=0, **fields):
    fields.setdefault("created_at", T0 + timedelta(minutes=n))
    return store.save("assessment", {"n": n, "amount": "18000.00"}, summary={"n": n}, **fields)


def test_a_saved_record_is_found_again_with_its_document(store):
    saved = save(store, reference="LEGAL-1", platform="x", ruleset_revision="r" * 64,
                 engine_version="0.1.0", input_sha256="a" * 64, basis={"k": [1, 2]},
                 payload=b"\x00\x01")
    assert saved.created
    found = store.get("assessment", saved.record.id, owner=None, with_basis=True)
    assert found.document == {"n": 0, "amount": "18000.00"}
    assert found.created_at == T0 and found.created_at.tzinfo is not None
    assert (found.reference, found.platform, found.engine_version) == ("LEGAL-1", "x", "0.1.0")
    assert found.basis == {"k": [1, 2]} and found.payload == b"\x00\x01"
    assert store.get("assessment", saved.record.id, owner=None).payload is None


def test_lists_are_newest_first_and_page(store):
    ids = [save(store, n).record.id for n in range(7)]
    first = store.list("assessment", owner=None, page_size=3)
    assert (first.total, first.pages) == (7, 3)
    assert [r.id for r in first.items] == ids[::-1][:3]
    assert first.items[0].document is None and first.items[0].summary == {"n": 6}
    last = store.list("assessment", owner=None, page=3, page_size=3)
    assert [r.id for r in last.items] == [ids[0]]
    assert store.list("assessment", owner=None, page=4, page_size=3).items == []


def test_lists_filter_by_platform_reference_and_creation_instant(store):
    save(store, 0, platform="x", reference="A")
    save(store, 1, platform="x", reference="B")
    save(store, 2, platform="reddit", reference="A")
    assert store.list("assessment", owner=None, platform="x").total == 2
    assert store.list("assessment", owner=None, reference="A").total == 2
    assert store.list("assessment", owner=None, platform="x", reference="A").total == 1
    between = store.list("assessment", owner=None, created_from=T0 + timedelta(minutes=1),
                         created_to=T0 + timedelta(minutes=2))
    assert [r.summary["n"] for r in between.items] == [1]  # from inclusive, to exclusive


def test_a_deleted_record_is_gone_for_good(store):
    record = save(store).record
    store.delete("assessment", record.id, owner=None)
    with pytest.raises(RecordNotFound):
        store.get("assessment", record.id, owner=None)
    with pytest.raises(RecordNotFound):
        store.delete("assessment", record.id, owner=None)
    assert store.count() == 0


def test_another_owner_finds_nothing(store):
    mine = save(store, owner="ci").record
    with pytest.raises(RecordNotFound):
        store.get("assessment", mine.id, owner="counsel")
    with pytest.raises(RecordNotFound):
        store.delete("assessment", mine.id, owner="counsel")
    with pytest.raises(RecordNotFound):
        store.get("assessment", mine.id, owner=None)
    assert store.list("assessment", owner="counsel").total == 0
    assert store.list("assessment", owner="ci").total == 1


def test_a_retry_with_the_same_idempotency_key_stores_once(store):
    first = save(store, idempotency_key="k-1", request_hash="h")
    again = save(store, idempotency_key="k-1", request_hash="h")
    assert first.created and not again.created
    assert again.record.id == first.record.id
    assert again.record.document == first.record.document
    assert store.count() == 1
    assert store.find_by_idempotency_key("assessment", "k-1", owner=None).id == first.record.id


def test_the_same_idempotency_key_with_another_request_is_a_conflict(store):
    save(store, idempotency_key="k-1", request_hash="h")
    with pytest.raises(IdempotencyConflict):
        save(store, idempotency_key="k-1", request_hash="other")
    assert store.count() == 1


def test_idempotency_keys_belong_to_their_owner_and_kind(store):
    a = save(store, owner="ci", idempotency_key="k", request_hash="h")
    b = save(store, owner="counsel", idempotency_key="k", request_hash="other")
    c = store.save("review", {"r": 1}, owner="ci", idempotency_key="k", request_hash="x")
    assert a.created and b.created and c.created
    assert store.find_by_idempotency_key("assessment", "k", owner="counsel").id == b.record.id
    assert store.find_by_idempotency_key("assessment", "k", owner=None) is None


def test_a_deleted_records_idempotency_key_can_be_used_again(store):
    first = save(store, idempotency_key="k", request_hash="h").record
    store.delete("assessment", first.id, owner=None)
    again = save(store, idempotency_key="k", request_hash="other")
    assert again.created and again.record.id != first.id


def test_concurrent_requests_with_one_idempotency_key_store_one_record(store):
    results, errors = [], []
    start = threading.Barrier(8)

    def attempt():
        try:
            start.wait()
            results.append(save(store, idempotency_key="race", request_hash="h"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({r.record.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert store.count() == 1


def test_reviews_are_kept_beside_assessments_and_apart_from_them(store):
    """The shape the review engineer uses: kind "review", their document a JSON dict."""
    assessment = save(store).record
    review = store.save("review", {"profile": {"purpose": "training"}, "verdict": "allowed"},
                        platform="x", reference="LEGAL-7", summary={"verdict": "allowed"},
                        basis={"profile": {"purpose": "training"}},
                        ruleset_revision="r" * 64, engine_version="0.1.0").record
    assert store.get("review", review.id, owner=None).document["verdict"] == "allowed"
    shown = store.get("review", review.id, owner=None).as_document()
    assert list(shown)[:3] == ["id", "created_at", "reference"] and shown["reference"] == "LEGAL-7"
    assert store.list("review", owner=None).items[0].as_listed()["verdict"] == "allowed"
    with pytest.raises(RecordNotFound):
        store.get("review", assessment.id, owner=None)
    with pytest.raises(RecordNotFound):
        store.get("assessment", review.id, owner=None)
    assert [r.id for r in store.list("review", owner=None).items] == [review.id]
    assert store.list("assessment", owner=None).total == 1


def test_records_made_before_any_key_can_be_claimed_by_a_key_name(store):
    unowned = save(store).record
    assert store.unowned() == {"assessment": 1}
    assert store.claim_unowned("ci") == {"assessment": 1}
    assert store.unowned() == {}
    assert store.get("assessment", unowned.id, owner="ci").id == unowned.id
    with pytest.raises(RecordNotFound):
        store.get("assessment", unowned.id, owner=None)
