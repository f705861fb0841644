"""Observations and the change feed as the API documents them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from calculator.api.arguments import InstantArg
from calculator.watch.observations import KINDS, STATES

MAX_PAGE_SIZE = 100


class ObservationQuerySchema(Schema):
    platform = fields.String(load_default=None, metadata={"example": "x"})
    document = fields.String(load_default=None, metadata={"example": "x.terms-of-service"})
    state = fields.String(load_default=None, validate=validate.OneOf(STATES))
    since = InstantArg(load_default=None, metadata={
        "description": "Only captures from this instant on (a date is its 00:00 UTC)."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1,
                                                                        max=MAX_PAGE_SIZE))


class ObservationSchema(Schema):
    id = fields.String()
    platform = fields.String()
    document = fields.String(metadata={"description": "The rules' document id."})
    archive = fields.String(metadata={"description": "The archive that holds the capture."})
    commit = fields.String(metadata={"description": "The capture's full 40-hex commit."})
    path = fields.String()
    captured_at = fields.String(metadata={"format": "date-time",
                                          "description": "When the archive recorded it."})
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={
        "description": "terms_change, or technical_upgrade: the archive's own re-extraction "
                       "(\"technical or declaration upgrade\", \"Refilter\"), not a legal "
                       "event."})
    legal_event = fields.Boolean()
    message = fields.String(metadata={"description": "The archive's commit message."})
    checked_commit = fields.String(allow_none=True, metadata={
        "description": "The last capture checked against the rules, which the diff compares "
                       "with."})
    state = fields.String(validate=validate.OneOf(STATES))
    clauses = fields.List(fields.String(), metadata={
        "description": "Clause ids whose encoded words or parameters the capture affects."})
    impact = fields.Dict(metadata={
        "description": "missing_quotes (clause, version, role, expected, closest), "
                       "parameters (clause, version, parameter, encoded, found) and "
                       "effective_dates (date, recorded_version)."})
    created_at = fields.String(metadata={"format": "date-time"})
    acknowledged_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    acknowledged_by = fields.String(allow_none=True)
    encoded_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class ObservationWithDiffSchema(ObservationSchema):
    diff = fields.Dict(metadata={
        "description": "paragraphs: [{op (added, removed, changed), old_index, new_index, "
                       "old, new, words: [{op (same, removed, added), text}]}], with counts."})


class ObservationPageSchema(Schema):
    items = fields.List(fields.Nested(ObservationSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class ChangesQuerySchema(Schema):
    since = InstantArg(load_default=None, metadata={
        "description": "Only changes from this instant on."})
    platform = fields.String(load_default=None)
    document = fields.String(load_default=None)
    clause = fields.String(load_default=None, metadata={
        "example": "x.terms-of-service.liquidated-damages"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000),
                           metadata={"description": "At most this many entries, the newest."})


class ChangeEntrySchema(Schema):
    id = fields.String(metadata={"description": "Stable: a feed reader's key."})
    type = fields.String(validate=validate.OneOf(["document_version", "clause_version",
                                                  "observation"]))
    date = fields.String(metadata={"format": "date-time"})
    platform = fields.String()
    document = fields.String()
    clause = fields.String(allow_none=True)
    clauses = fields.List(fields.String())
    version = fields.String()
    regions = fields.List(fields.String())
    change = fields.String()
    parameters = fields.List(fields.Dict())
    title = fields.String()
    summary = fields.String(allow_none=True)
    href = fields.String()
    observation = fields.Nested(ObservationSchema)


class ChangesSchema(Schema):
    entries = fields.List(fields.Nested(ChangeEntrySchema), metadata={
        "description": "Oldest first."})
    total = fields.Integer()
    truncated = fields.Boolean()
    generated_at = fields.String(metadata={"format": "date-time"})
    ruleset_revision = fields.String()
