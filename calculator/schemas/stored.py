"""Stored assessments as the API returns them: one by id, a page of them, a replay."""

from __future__ import annotations

from marshmallow import Schema, fields

from calculator.schemas.assessment import AssessmentSchema
from calculator.schemas.review import ReviewSchema


class StoredAssessmentSchema(AssessmentSchema):
    """An assessment as stored: the document first answered, with its id, when it was
    stored, and the caller's reference."""

    id = fields.String(metadata={"description": "The assessment's id, as in its Location."})
    created_at = fields.String(metadata={"format": "date-time",
                                         "description": "When it was stored (UTC)."})
    reference = fields.String(allow_none=True, metadata={
        "description": "The caller's reference given when it was made (e.g. a ticket id), "
                       "or null."})


class ListedHeadlineSchema(Schema):
    window = fields.String()
    rate = fields.String()
    basis = fields.String()
    amount = fields.String(metadata={"example": "18000.00"})


class ListedRangeSchema(Schema):
    low = fields.String()
    high = fields.String()


class ListedCountedSchema(Schema):
    posts = fields.Integer()
    accesses = fields.Integer()


class ListedInputSchema(Schema):
    sha256 = fields.String(metadata={"description": "sha256 of the log's bytes as received, "
                                                    "as in the assessment's input.sha256."})


class ListedRecordSchema(Schema):
    """What every stored record in a list opens with: its id, when it was stored, the
    caller's reference, and the platform and part it is about."""

    id = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})
    reference = fields.String(allow_none=True)
    platform = fields.String()
    region = fields.String()


class ListedAssessmentSchema(ListedRecordSchema):
    """An assessment in a list: what tells it apart, without its readings."""

    currency = fields.String()
    headline = fields.Nested(ListedHeadlineSchema)
    range = fields.Nested(ListedRangeSchema)
    counted = fields.Nested(ListedCountedSchema)
    input = fields.Nested(ListedInputSchema)
    ruleset_revision = fields.String()
    engine_version = fields.String()
    href = fields.String(metadata={"description": "Where the whole assessment is."})


class PageLinksSchema(Schema):
    next = fields.String(allow_none=True, metadata={
        "description": "The next page (older records), or null on the last page."})
    previous = fields.String(allow_none=True, metadata={
        "description": "The previous page (newer records), or null on the first."})


class PageSchema(Schema):
    """One page of stored records, newest first; each kind names its items."""

    page = fields.Integer(metadata={"description": "This page's number, from 1."})
    page_size = fields.Integer()
    total = fields.Integer(metadata={"description": "How many records match the filters."})
    pages = fields.Integer(metadata={"description": "How many pages there are (at least 1)."})
    links = fields.Nested(PageLinksSchema)


class AssessmentPageSchema(PageSchema):
    """One page of stored assessments, newest first."""

    items = fields.List(fields.Nested(ListedAssessmentSchema))


class StoredReviewSchema(ReviewSchema):
    """A review as stored: the document first answered, with its id and when it was
    stored (its reference is the profile's)."""

    id = fields.String(metadata={"description": "The review's id, as in its Location."})
    created_at = fields.String(metadata={"format": "date-time",
                                         "description": "When it was stored (UTC)."})


class ListedReviewSchema(ListedRecordSchema):
    """A review in a list: what tells it apart, without its findings."""

    channel = fields.String()
    period = fields.Dict()
    summary = fields.Dict(metadata={"description": "Counts by severity, projected damages and "
                                                   "licensed cost."})
    profile_sha256 = fields.String()
    ruleset_revision = fields.String()
    engine_version = fields.String()
    href = fields.String(metadata={"description": "Where the whole review is."})


class ReviewPageSchema(PageSchema):
    """One page of stored reviews, newest first."""

    items = fields.List(fields.Nested(ListedReviewSchema))


class ReplayPairSchema(Schema):
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)
    changed = fields.Boolean()


class ReplayVersionsChangeSchema(Schema):
    old = fields.List(fields.String())
    new = fields.List(fields.String())
    added = fields.List(fields.String())
    removed = fields.List(fields.String())
    changed = fields.Boolean()


class ReplayOldNewSchema(Schema):
    old = fields.String(allow_none=True)
    new = fields.String(allow_none=True)


class ReplayRangeChangeSchema(Schema):
    low = fields.Nested(ReplayOldNewSchema)
    high = fields.Nested(ReplayOldNewSchema)
    changed = fields.Boolean()


class ReplayReadingChangeSchema(Schema):
    window = fields.String()
    rate = fields.String()
    basis = fields.String()
    old = fields.String(allow_none=True, metadata={"description": "The amount as filed."})
    new = fields.String(allow_none=True, metadata={"description": "The amount today."})
    changed = fields.Boolean()
    windows_added = fields.List(fields.Dict(), metadata={
        "description": "Windows of the new reading that the filed one did not have."})
    windows_removed = fields.List(fields.Dict(), metadata={
        "description": "Windows of the filed reading that the new one does not have."})


class ReplayAssumptionsChangeSchema(Schema):
    added = fields.List(fields.String())
    removed = fields.List(fields.String())
    changed = fields.Boolean()


class ReplayChangesSchema(Schema):
    """What differs between the assessment as filed and as priced again today."""

    changed = fields.List(fields.String(), metadata={
        "description": "The names of the parts below that differ; empty when the replay "
                       "gives the same document."})
    ruleset_revision = fields.Nested(ReplayPairSchema)
    engine_version = fields.Nested(ReplayPairSchema)
    clause_versions = fields.Nested(ReplayVersionsChangeSchema)
    counted = fields.Nested(ReplayPairSchema)
    excluded = fields.Nested(ReplayPairSchema)
    headline = fields.Nested(ReplayPairSchema)
    range = fields.Nested(ReplayRangeChangeSchema)
    readings = fields.List(fields.Nested(ReplayReadingChangeSchema))
    assumptions = fields.Nested(ReplayAssumptionsChangeSchema)


class ReplaySchema(Schema):
    """A stored assessment's counts priced again under today's rules and engine."""

    id = fields.String(metadata={"description": "The stored assessment replayed."})
    replayed_at = fields.String(metadata={"format": "date-time"})
    document = fields.Nested(AssessmentSchema, metadata={
        "description": "The assessment as today's rules and engine give it (not stored)."})
    changes = fields.Nested(ReplayChangesSchema)
