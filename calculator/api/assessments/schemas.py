"""Options of an assessment request, given as query parameters or multipart form fields."""

from marshmallow import Schema, fields

from calculator.api.arguments import region_arg


class AssessOptionsSchema(Schema):
    platform = fields.String(load_default="x", metadata={"description": "Platform id."})
    region = region_arg()
    tz = fields.String(load_default="UTC", metadata={
        "description": "IANA zone of the calendar_day windows.", "example": "America/Chicago"})
    assume_tz = fields.String(load_default="UTC", metadata={
        "description": "IANA zone of timestamps without an offset."})
    format = fields.String(load_default=None, allow_none=True, metadata={
        "description": "Force the format (csv, jsonl, json); detected from the content "
                       "otherwise."})
    headline = fields.String(load_default=None, allow_none=True, metadata={
        "description": "The reading to headline, window/rate/basis.",
        "example": "rolling_worst_case/pro_rata/all_posts"})
