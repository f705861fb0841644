"""The review document: the same JSON from ``calculator review --json``, ``POST /v1/reviews``
and ``calculator.review(profile).to_document()``."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from calculator.review.findings import CODES, SEVERITIES
from calculator.schemas.common import IntervalSchema, JsonValue, SourceSchema


class CitationSchema(Schema):
    clause = fields.String(allow_none=True, metadata={
        "description": "The clause id; null only when a document version is cited because no "
                       "clause the rules hold changed with it."})
    title = fields.String()
    document = fields.String()
    region = fields.String()
    version = fields.Date(metadata={"description": "The clause version (or document version)."})
    document_version = fields.Date(allow_none=True, metadata={
        "description": "The document version the clause version came with."})
    quote = fields.String(allow_none=True, metadata={
        "description": "The words relied on, exactly as printed."})
    context = fields.List(fields.String(), metadata={
        "description": "Further exact passages of the same clause version."})
    in_force = fields.Nested(IntervalSchema)
    source = fields.Nested(SourceSchema)
    evidence = fields.String(metadata={"description": "verified or secondary"})


class FindingSchema(Schema):
    code = fields.String(metadata={"description": "Stable code: " + "; ".join(
        f"{code}: {meaning}" for code, meaning in CODES.items()), "enum": list(CODES)})
    severity = fields.String(metadata={"enum": list(SEVERITIES), "description":
                                       "high, warning or info (docs/decisions/0033)."})
    date = fields.Date(metadata={"description": "The day the finding is about: the first day "
                                                "of collection, or the day a version took "
                                                "effect during it."})
    title = fields.String(metadata={"description": "One sentence."})
    detail = fields.String()
    citations = fields.List(fields.Nested(CitationSchema), metadata={
        "description": "At least one: every finding rests on words of the rules."})
    facts = JsonValue(metadata={"description": "The finding's structured values (amounts as "
                                               "decimal strings, dates, versions).",
                                "type": "object"})


class GapSchema(Schema):
    topic = fields.String()
    note = fields.String()
    document = fields.String(allow_none=True)


class ReviewPeriodSchema(Schema):
    start = fields.Date(attribute="start")
    end = fields.Date(attribute="end", metadata={"description": "Exclusive: the first day not "
                                                                "collected."})
    days = fields.Integer()


class ReviewSummarySchema(Schema):
    high = fields.Integer()
    warning = fields.Integer()
    info = fields.Integer()
    projected_damages = JsonValue(allow_none=True, metadata={
        "description": "currency, headline, low, high; null when nothing is projected."})
    licensed_cost = JsonValue(allow_none=True, metadata={
        "description": "complete (every month priced), known cost by currency, months "
                       "unpriced; null when the rules hold no prices."})


def _summary(review: Any) -> dict[str, Any]:
    projection = review.projection
    licensed = review.licensed
    return ReviewSummarySchema().dump({
        **review.counts,
        "projected_damages": None if projection is None else {
            "currency": projection.currency, "headline": projection.headline.amount,
            "reading": projection.headline.reading.key, "low": projection.low,
            "high": projection.high},
        "licensed_cost": None if licensed is None else {
            "complete": licensed.complete,
            "known_cost": {c: v for c, v in licensed.as_facts()["known_cost"].items()},
            "months_unpriced": [m.month for m in licensed.unpriced]},
    })


class ReviewSchema(Schema):
    """A review of a usage profile: findings by severity then date, each with citations."""

    reference = fields.String(attribute="profile.reference", allow_none=True)
    platform = fields.String(attribute="profile.platform")
    region = fields.String(attribute="profile.region")
    channel = fields.String(attribute="profile.channel")
    period = fields.Nested(ReviewPeriodSchema, attribute="profile")
    profile = JsonValue(attribute="profile.document", metadata={
        "description": "The profile as read, with defaults filled in.", "type": "object"})
    profile_sha256 = fields.String(attribute="profile.sha256", metadata={
        "description": "sha256 of the profile's canonical JSON (sorted keys, no spaces)."})
    summary = fields.Function(lambda review: _summary(review), metadata={
        "description": "Counts by severity, the projected damages and the licensed cost."})
    findings = fields.List(fields.Nested(FindingSchema))
    not_in_rules = fields.List(fields.Nested(GapSchema), metadata={
        "description": "What the review needed and the rules do not hold, or hold as unknown."})
    assumptions = fields.List(fields.String())
    ruleset_revision = fields.String()
    engine_version = fields.String()
