"""Stored answers replayed under new rules: which assessments and reviews moved, and why.

An assessment moved when its headline or range differs from the document as filed; a review
when its summary (severity counts, projected damages) or its findings differ. The clause
versions that caused it are the rule changes of the new revision that touch a clause the
replayed answer cites, and the clause versions the replay uses that the filed answer did not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from calculator.damages.assessment import replay
from calculator.damages.diff import diff_documents
from calculator.errors import CalculatorError
from calculator.review import review
from calculator.rules import RuleLookup
from calculator.storage.assessments import basis_from_record
from calculator.storage.repository import Store
from calculator.storage.schema import records

KINDS = ("assessment", "review")


def _stored(store: Store) -> Iterator[tuple[str, str, str | None]]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(records.c.kind, records.c.id, records.c.owner)
                                  .where(records.c.kind.in_(KINDS))
                                  .order_by(records.c.created_at, records.c.id)).all()
    yield from rows


def _cited(document: dict[str, Any]) -> set[str]:
    """The clause ids a stored document cites, wherever it does."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("clause", "clause_id") and isinstance(item, str):
                    found.add(item)
                elif key == "clause" and isinstance(item, dict) and "id" in item:
                    found.add(item["id"])  # an assessment's clause, with its versions
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and value.count(".") >= 2 and "@" in value:
            found.add(value.split("@", 1)[0])  # "x.terms-of-service.liquidated-damages@..."

    walk(document)
    return found


def _causes(filed: dict[str, Any], new: dict[str, Any],
            rule_changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cited = _cited(filed) | _cited(new)
    platform = new.get("platform")
    return [c for c in rule_changes
            if c.get("clause") in cited or (c.get("clause") is None and
                                            c.get("platform") == platform)]


def _assessment_change(filed: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    changes = diff_documents(filed, new)
    if not (changes["headline"]["changed"] or changes["range"]["changed"]):
        return None
    return {"currency": {"old": filed.get("currency"), "new": new.get("currency")},
            "headline": changes["headline"], "range": changes["range"],
            "clause": (new.get("clause") or {}).get("id"),
            "clause_versions": changes["clause_versions"]}


def _finding_keys(document: dict[str, Any]) -> list[tuple]:
    return [(f.get("code"), f.get("severity"), f.get("date"), f.get("title"))
            for f in document.get("findings", [])]


def _review_change(filed: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    old_findings, new_findings = _finding_keys(filed), _finding_keys(new)
    old_summary, new_summary = filed.get("summary"), new.get("summary")
    if old_findings == new_findings and old_summary == new_summary:
        return None
    projected = (old_summary or {}).get("projected_damages") or {}
    projected_new = (new_summary or {}).get("projected_damages") or {}
    return {"headline": {"old": projected.get("headline"), "new": projected_new.get("headline"),
                         "changed": projected.get("headline") != projected_new.get("headline")},
            "summary": {"old": old_summary, "new": new_summary},
            "findings": {
                "added": [f for f in new.get("findings", [])
                          if (f.get("code"), f.get("severity"), f.get("date"), f.get("title"))
                          not in old_findings],
                "removed": [f for f in filed.get("findings", [])
                            if (f.get("code"), f.get("severity"), f.get("date"), f.get("title"))
                            not in new_findings]}}


def exposure_changes(store: Store, lookup: RuleLookup,
                     rule_changes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """For each stored assessment and review whose figures move under ``lookup``: the record,
    old and new figures, and the rule changes that caused it (``_owner``: whose it is)."""
    for kind, record_id, owner in _stored(store):
        record = store.get(kind, record_id, owner=owner, with_basis=True)
        filed = record.document or {}
        try:
            if kind == "assessment":
                new = replay(basis_from_record(record), lookup).to_document()
                change = _assessment_change(filed, new)
            else:
                new = review((record.basis or {})["profile"], rules=lookup).to_document()
                change = _review_change(filed, new)
        except (CalculatorError, KeyError, ValueError) as exc:
            # The new rules no longer answer this record (a platform or region gone): that
            # is a change of exposure too, said in words.
            yield {"_owner": owner, "record": _ref(kind, record), "replayable": False,
                   "reason": str(getattr(exc, "detail", exc)),
                   "caused_by": [c for c in rule_changes
                                 if c.get("platform") == record.platform]}
            continue
        if change is None:
            continue
        yield {"_owner": owner, "record": _ref(kind, record), "replayable": True, **change,
               "caused_by": _causes(filed, new, rule_changes)}


def _ref(kind: str, record: Any) -> dict[str, Any]:
    return {"kind": kind, "id": record.id, "reference": record.reference,
            "platform": record.platform,
            "href": f"/v1/{kind}s/{record.id}"}
