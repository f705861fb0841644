"""The trailing-count document: the 24-hour post count over time, for a chart of a log."""

from __future__ import annotations

from marshmallow import Schema, fields

from calculator.schemas.assessment import InputSchema, NsInstant, PeakSchema


class ThresholdSchema(Schema):
    clause_version = fields.String(metadata={"description": "The clause version whose "
                                                           "threshold_posts this is."})
    start = NsInstant(attribute="start_ns", data_key="from")
    end = NsInstant(attribute="end_ns", data_key="until", allow_none=True,
                    metadata={"description": "null while still in force."})
    posts = fields.Integer(metadata={"description": "A window owes nothing unless it holds "
                                                    "more posts than this."})


class AboveThresholdSchema(Schema):
    first = NsInstant(attribute="first_ns", metadata={
        "description": "The first instant the trailing count was above the threshold."})
    until = NsInstant(attribute="until_ns", metadata={
        "description": "When the last stretch above the threshold ended."})
    seconds = fields.Function(lambda a: a.total_ns / 1e9, metadata={
        "description": "Time above the threshold, all stretches together."})
    stretches = fields.Integer(metadata={"description": "Separate stretches above."})


class CurvePointSchema(Schema):
    at = NsInstant(attribute="at_ns", metadata={"description": "An instant at which the count "
                                                               "changed."})
    posts = fields.Integer(metadata={"description": "Posts accessed in the window of the "
                                                    "clause's length that ends just after at."})


class CurveSchema(Schema):
    """The trailing count of counted posts over a window of the clause's length, over time."""

    window_seconds = fields.Function(lambda c: c.window_ns // 10**9, metadata={
        "description": "The clause's window (86400 for 24 hours)."})
    changes = fields.Integer(metadata={
        "description": "How many times the count changes: the points of the exact curve."})
    sampled = fields.Boolean(metadata={
        "description": "true when the exact curve has more points than asked for: then each "
                       "of equal spans of time keeps its lowest and highest point, and the "
                       "peak is always kept."})
    peak_24h = fields.Nested(PeakSchema, attribute="peak", allow_none=True, metadata={
        "description": "The same peak as the assessment's: the curve's highest point."})
    thresholds = fields.List(fields.Nested(ThresholdSchema), metadata={
        "description": "The threshold of each clause version, from the rules."})
    above_threshold = fields.Nested(AboveThresholdSchema, attribute="above", allow_none=True,
                                    metadata={"description": "null when never above."})
    points = fields.List(fields.Nested(CurvePointSchema), metadata={
        "description": "The curve, oldest first; the count holds from each point to the next."})


class CurveDocumentSchema(Schema):
    """The trailing count of a crawl log, with what ties it to the log's assessment."""

    platform = fields.String()
    region = fields.String()
    clause = fields.String(metadata={"description": "The damages clause whose window and "
                                                    "thresholds are used."})
    ruleset_revision = fields.String()
    input = fields.Nested(InputSchema)
    counted = fields.Dict(keys=fields.String(), values=fields.Integer())
    curve = fields.Nested(CurveSchema)
