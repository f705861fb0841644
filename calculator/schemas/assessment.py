"""The assessment document: the same JSON from the CLI, the HTTP API and ``to_document``."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from calculator.damages.pricing import to_cents
from calculator.schemas.common import Instant, IntervalSchema, JsonValue, SourceSchema
from calculator.timeutil import format_instant, format_ns


class NsInstant(Instant):
    """Integer nanoseconds since the epoch, as RFC 3339 UTC."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else format_ns(int(value))


class Cents(fields.Field):
    """An exact amount, rounded once to cents, as a decimal string such as "15000.00"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).update(type="string", example="15000.00")
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return str(to_cents(value))


class ClauseVersionUsedSchema(Schema):
    version = fields.Date(attribute="version.date")
    in_force = fields.Nested(IntervalSchema)
    during_log = fields.Boolean(metadata={
        "description": "Whether this version was in force at some instant from the log's "
                       "first access to its last: the versions that could apply to it."})
    parameters = JsonValue(attribute="version.parameters")
    quote = fields.String(attribute="version.quote")
    source = fields.Nested(SourceSchema, attribute="version.source")


class ClauseUsedSchema(Schema):
    id = fields.String()
    title = fields.String()
    versions = fields.List(fields.Nested(ClauseVersionUsedSchema), metadata={
        "description": "Every version of the clause in force for this region, with the words "
                       "and numbers the readings used."})


class InputSchema(Schema):
    sha256 = fields.String(metadata={"description": "sha256 of the bytes as received (before "
                                                    "any decompression)."})
    format = fields.String()
    rows = fields.Integer(metadata={"description": "Data rows or records read."})
    bytes = fields.Integer()
    compressed = fields.Boolean(metadata={"description": "Whether the bytes were gzip."})
    columns = fields.List(fields.String())
    ignored_columns = fields.List(fields.String())
    time_kind = fields.String(allow_none=True, metadata={
        "description": "Which instant the log records: supplied (its own timestamp column), "
                       "request-start, logged, capture-start, completed, allocated..."})
    details = fields.Dict(allow_none=True, metadata={
        "description": "For crawler formats: lines read, lines that could not be read (with "
                       "the first line numbers), and what was skipped, by reason; for WARC, "
                       "request records paired with their answers by how (request_pairs); "
                       "for X API calls, where their posts were counted from (x_api_posts)."})


class OptionsSchema(Schema):
    tz = fields.String(metadata={"description": "Zone of the calendar_day windows."})
    assume_tz = fields.String(metadata={"description": "Zone for timestamps without an "
                                                       "offset."})
    format = fields.String(allow_none=True, metadata={"description": "The forced format, or "
                                                                      "null when detected."})
    headline = fields.Function(lambda o: o.headline.key)
    count = fields.String(metadata={"description": "What is priced: requested, accessed or "
                                                   "distinct posts."})
    collection_window = fields.Function(
        lambda o: None if o.collection_window is None else
        {"from": format_instant(o.collection_window[0]),
         "to": format_instant(o.collection_window[1])}, allow_none=True)
    embedded_posts = fields.Boolean(metadata={"description": "Whether quoted and reposted "
                                                             "posts count."})
    columns = fields.Function(lambda o: o.columns.as_options(), metadata={
        "description": "The columns the caller named (time_column, posts_column, "
                       "post_id_column, url_column, platform_column); the others were found "
                       "by their common names."})


class CountsSchema(Schema):
    requests = fields.Integer(allow_none=True, metadata={
        "description": "Requests to the platform, whatever their answer."})
    requested_posts = fields.Integer(allow_none=True)
    responses = fields.Integer(allow_none=True, metadata={
        "description": "Requests answered with content (2xx, 304, revisits)."})
    accessed_posts = fields.Integer(allow_none=True)
    distinct_posts = fields.Integer(allow_none=True, metadata={
        "description": "Different post ids obtained; null when the log names no ids."})
    log_requests = fields.Integer(allow_none=True, metadata={
        "description": "Requests (rows) in the whole log, to any host or platform."})
    log_responses = fields.Integer(allow_none=True, metadata={
        "description": "Of those, answered with content; null when the log does not say."})


class CountedSchema(Schema):
    posts = fields.Integer()
    accesses = fields.Integer()


class PeakSchema(Schema):
    posts = fields.Integer()
    start = NsInstant(attribute="start_ns")
    end = NsInstant(attribute="end_ns")


class WindowSchema(Schema):
    start = NsInstant(attribute="start_ns")
    end = NsInstant(attribute="end_ns")
    posts = fields.Integer()
    amount = Cents()
    clause_version = fields.String(metadata={
        "description": "The clause version in force at the window's first counted access, "
                       "whose numbers priced it."})


class ReadingSchema(Schema):
    window = fields.String(attribute="reading.window")
    rate = fields.String(attribute="reading.rate")
    basis = fields.String(attribute="reading.basis")
    amount = Cents(attribute="exact")
    windows = fields.List(fields.Nested(WindowSchema))


class HeadlineSchema(Schema):
    window = fields.String(attribute="reading.window")
    rate = fields.String(attribute="reading.rate")
    basis = fields.String(attribute="reading.basis")
    amount = Cents(attribute="exact")


class RangeSchema(Schema):
    low = fields.String()
    high = fields.String()


class AssessmentSchema(Schema):
    """An assessment of a crawl log: every reading, the range, the headline, and why."""

    platform = fields.String()
    region = fields.String(metadata={"description": "The regional part priced."})
    country = fields.String(allow_none=True, metadata={
        "description": "The ISO 3166-1 alpha-2 code the region was given as, if one was."})
    region_note = fields.String(allow_none=True, metadata={
        "description": "Which part was priced and why: the country's part, or the part "
                       "assumed when no region was given for a platform with regional parts."})
    currency = fields.String()
    clause = fields.Nested(ClauseUsedSchema, attribute="clause_used")
    ruleset_revision = fields.String()
    engine_version = fields.String()
    input = fields.Nested(InputSchema)
    options = fields.Nested(OptionsSchema)
    counts = fields.Nested(CountsSchema, metadata={
        "description": "The log's requested, accessed and distinct counts for the platform, "
                       "side by side, before the in-force test; `counted` is the priced one."})
    counted = fields.Nested(CountedSchema, attribute="counted")
    excluded = fields.Dict(keys=fields.String(), values=fields.Integer(),
                           attribute="excluded.rows", metadata={
        "description": "Rows left out, by reason: before_in_force, other_platforms, "
                       "authorized (and while_not_in_force where the clause had gaps)."})
    excluded_posts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                 attribute="excluded.posts")
    peak_24h = fields.Nested(PeakSchema, attribute="peak", allow_none=True, metadata={
        "description": "The most posts in any window of the clause's length."})
    readings = fields.List(fields.Nested(ReadingSchema))
    range = fields.Nested(RangeSchema, attribute="range")
    headline = fields.Nested(HeadlineSchema)
    assumptions = fields.List(fields.String())
    warnings = fields.List(fields.String(), metadata={
        "description": "What reading found suspicious, such as two clocks disagreeing."})
