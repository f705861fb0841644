"""Query parameters of the rule lookups."""

from marshmallow import Schema, fields, validate

from calculator.api.arguments import InstantArg, region_arg


class ClauseQuerySchema(Schema):
    at = InstantArg(required=True)
    region = region_arg()


class HistoryQuerySchema(Schema):
    region = region_arg()


class ChangesQuerySchema(Schema):
    start = InstantArg(required=True, data_key="from")
    end = InstantArg(required=True, data_key="to")
    region = region_arg()


class CompareQuerySchema(Schema):
    topic = fields.String(required=True, data_key="clause", validate=validate.OneOf(
        ["scraping", "ai-training"]), metadata={
        "description": "What to compare: scraping (prohibited, consent, damages amount, AI "
                       "training) or ai-training (others' training, the platform's, opt-out).",
        "example": "scraping"})
    at = InstantArg(required=True)
    region = region_arg()
