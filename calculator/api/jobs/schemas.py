"""The job document: where an assessment job stands; a page of the caller's jobs."""

from marshmallow import Schema, fields, validate

from calculator.api.paging import PageQuerySchema
from calculator.jobs.queue import STATES
from calculator.schemas.stored import PageSchema


class JobProgressSchema(Schema):
    bytes_read = fields.Integer(required=True, metadata={
        "description": "Bytes of the upload read so far (as sent, before decompression)."})
    bytes_total = fields.Integer(required=True, metadata={
        "description": "Bytes of the upload (of all its files)."})
    rows_read = fields.Integer(required=True, metadata={
        "description": "Rows or records of the log read so far."})
    percent = fields.Integer(required=True, metadata={
        "description": "bytes_read as a whole percent of bytes_total (100 once done)."})


class JobSchema(Schema):
    id = fields.String(required=True)
    state = fields.String(required=True, metadata={
        "description": "queued, running, done, failed or cancelled.",
        "enum": list(STATES)})
    phase = fields.String(required=True, metadata={
        "description": "What a job is doing: queued; reading the log; assessing (the last "
                       "rows and the windows, once every byte is read); storing the "
                       "assessment; ended.",
        "enum": ["queued", "reading", "assessing", "storing", "ended"]})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    started_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})
    finished_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    reference = fields.String(allow_none=True)
    attempts = fields.Integer(required=True, metadata={
        "description": "Workers that took the job up (more than 1: a worker stopped and "
                       "another took it over)."})
    progress = fields.Nested(JobProgressSchema, required=True)
    assessment = fields.String(allow_none=True, metadata={
        "description": "Once done: the stored assessment's URL (GET it, or its /curve)."})
    problem = fields.Dict(allow_none=True, metadata={
        "description": "Once failed: the problem details (RFC 9457) a request would have "
                       "answered, e.g. the row and field that could not be read."})


class ListedJobSchema(JobSchema):
    href = fields.String(required=True, metadata={"description": "The job's own URL."})


class JobPageSchema(PageSchema):
    """One page of the caller's jobs, newest first."""

    items = fields.List(fields.Nested(ListedJobSchema))


class JobListQuerySchema(PageQuerySchema):
    """Paging and the state filter of the caller's jobs."""

    state = fields.List(fields.String(validate=validate.OneOf(STATES)), load_default=None,
                        metadata={"description": "Only jobs in this state; repeat it for "
                                                 "several (state=queued&state=running)."})
