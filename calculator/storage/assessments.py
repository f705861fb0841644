"""Assessments as stored records: what is kept, and how it becomes an assessment again.

Kept: the document as answered; for replay, the per-instant counts (``counts``), the
options (with the region assessed), what was read (digest, format, rows, column names)
and left out while reading, and the notes reading made; the ruleset revision and engine
version. Never kept: rows, URLs, post ids, actors, file names (crawler readers report an
unreadable line by its number and the reason, never its text).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from calculator.damages.assessment import (
    Assessment,
    Exclusions,
    InputInfo,
    Options,
    ReplayBasis,
    parse_reading,
    replay_basis,
)
from calculator.damages.pricing import Reading
from calculator.ingest.columns import ColumnNames
from calculator.storage.counts import decode_volume, encode_volume
from calculator.storage.repository import Record, Saved, Store, fingerprint

KIND = "assessment"
BASIS_VERSION = 1


def request_fingerprint(log_sha256: str, options: dict[str, Any], reference: str | None,
                        format_hint: str | None = None) -> str:
    """What makes two requests "the same" for an Idempotency-Key: the sha256 of the log's
    bytes as received, the options as understood (defaults filled in), the reference and
    the format the content type named. A multipart retry has a new boundary but the same
    log, so it is the same request."""
    return fingerprint({"log_sha256": log_sha256, "options": options, "reference": reference,
                        "format_hint": format_hint})


def _to_json(value: Any) -> Any:
    if isinstance(value, Reading):
        return value.key
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, ColumnNames):
        return value.as_options()
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def _fields_to_json(obj: Any, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    return {f.name: _to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)
            if f.name not in leave_out}


def _from_json(cls: type, data: dict[str, Any], **special: Any) -> Any:
    """``cls`` from stored fields: fields it no longer has are dropped, fields it has gained
    take their defaults, lists become tuples where the field is a tuple."""
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in special:
            values[f.name] = special[f.name]
        elif f.name in data:
            value = data[f.name]
            if isinstance(value, list) and str(f.type).startswith("tuple"):
                value = tuple(value)
            values[f.name] = value
    return cls(**values)


def _window(value: list[str] | None) -> tuple[datetime, datetime] | None:
    return None if value is None else (datetime.fromisoformat(value[0]),
                                       datetime.fromisoformat(value[1]))


def basis_to_json(basis: ReplayBasis) -> dict[str, Any]:
    """Everything of the basis but the counts (kept apart, as a blob), as JSON."""
    return {"version": BASIS_VERSION,
            "options": _fields_to_json(basis.options),
            "input": _fields_to_json(basis.input),
            "excluded": {"rows": dict(basis.excluded.rows), "posts": dict(basis.excluded.posts)},
            **_fields_to_json(basis, leave_out=("volume", "options", "input", "excluded",
                                                "ruleset_revision", "engine_version"))}


def basis_from_record(record: Record) -> ReplayBasis:
    if record.basis is None or record.payload is None:
        raise ValueError(f"record {record.id} was read without its replay basis")
    data = record.basis
    if data.get("version") != BASIS_VERSION:
        raise ValueError(f"record {record.id}: replay basis version {data.get('version')} is "
                         "not known to this engine")
    options = data["options"]
    return _from_json(
        ReplayBasis, data, volume=decode_volume(record.payload),
        options=_from_json(Options, options, headline=parse_reading(options["headline"]),
                           **({"collection_window": _window(options["collection_window"])}
                              if "collection_window" in options else {}),
                           columns=ColumnNames.of(**options.get("columns", {}))),
        input=_from_json(InputInfo, data["input"]),
        excluded=Exclusions(dict(data["excluded"]["rows"]), dict(data["excluded"]["posts"])),
        ruleset_revision=record.ruleset_revision or "",
        engine_version=record.engine_version or "")


def summary_of(document: dict[str, Any]) -> dict[str, Any]:
    """What a list shows of an assessment, without its readings and windows. Each fact has
    the name and place it has in the assessment itself (``input.sha256``), decision 0064."""
    return {"platform": document["platform"], "region": document["region"],
            "currency": document["currency"], "headline": document["headline"],
            "range": document["range"], "counted": document["counted"],
            "input": {"sha256": document["input"]["sha256"]},
            "ruleset_revision": document["ruleset_revision"],
            "engine_version": document["engine_version"]}


def listed_assessment(record: Record) -> dict[str, Any]:
    """A stored assessment as a list shows it. Summaries stored before decision 0064 named
    the digest ``input_sha256``: they are shown under today's name, unchanged in value."""
    listed = record.as_listed()
    if "input_sha256" in listed:
        listed["input"] = {"sha256": listed.pop("input_sha256")}
    return listed


def save_assessment(store: Store, assessment: Assessment, *, owner: str | None,
                    reference: str | None = None, idempotency_key: str | None = None,
                    request_hash: str | None = None) -> Saved:
    """Store an assessment: its document, and what replaying it needs."""
    document = assessment.to_document()
    basis = replay_basis(assessment)
    return store.save(
        KIND, document, owner=owner, reference=reference, platform=assessment.platform,
        summary=summary_of(document), basis=basis_to_json(basis),
        payload=encode_volume(basis.volume), ruleset_revision=assessment.ruleset_revision,
        engine_version=assessment.engine_version, input_sha256=assessment.input.sha256,
        idempotency_key=idempotency_key, request_hash=request_hash)


def stored_document(record: Record) -> dict[str, Any]:
    """The document as first answered, with the record's id, creation instant, reference."""
    return record.as_document()
