"""Query parameters of the rule lookups."""

from marshmallow import Schema

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
