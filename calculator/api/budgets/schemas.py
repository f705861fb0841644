"""Budgets and reservations as the API reads and documents them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from calculator.api.arguments import InstantArg
from calculator.api.extensions import ProblemSchema
from calculator.rules.fields import StrictBool
from calculator.schemas.curve import CurvePointSchema
from calculator.timeutil import format_instant

MAX_POSTS = 1_000_000_000_000  # one request: far above any threshold, within 64-bit sums


class CreateBudgetSchema(Schema):
    platform = fields.String(required=True, metadata={"example": "x"})
    region = fields.String(load_default=None, metadata={
        "description": "A regional part (us, eu...) or an ISO 3166-1 alpha-2 country code; "
                       "the rules' default part when left out.", "example": "DE"})
    margin_percent = fields.Integer(load_default=100, strict=True,
                                    validate=validate.Range(min=1, max=100), metadata={
        "description": "The share of the clause's threshold the budget may use, 1 to 100 "
                       "(95 keeps 5 % in reserve)."})


def posts_field(description: str) -> fields.Integer:
    return fields.Integer(required=True, strict=True,
                          validate=validate.Range(min=1, max=MAX_POSTS),
                          metadata={"description": description, "example": 1})


class ReservationSchema(Schema):
    posts = posts_field("Posts the fleet is about to fetch.")
    # true or false only: "yes", 1 and "off" were read as marshmallow reads a form's words.
    returnable = StrictBool(load_default=False, metadata={
        "description": "Keep the reservation for one window so that the posts it does not "
                       "use can be given back (a client's block of posts)."})


class GiveBackSchema(Schema):
    posts = posts_field("Posts the reservation did not use, to take off the budget.")


class UsageSchema(Schema):
    posts = posts_field("Posts already fetched without a reservation.")
    at = InstantArg(load_default=None, metadata={
        "description": "When they were fetched (not later than now); now when left out."})


class LimitSchema(Schema):
    posts = fields.Integer(metadata={"description": "The most any window may hold: the "
                                                    "threshold × margin, rounded down."})
    threshold = fields.Integer(metadata={"description": "The clause's threshold: a window "
                                                        "owes nothing at or under it."})
    margin_percent = fields.Integer()
    window_seconds = fields.Integer()
    clause = fields.String(metadata={"description": "The damages clause's id."})
    version = fields.String(metadata={"description": "The clause version in force (date)."})


class BudgetCurveSchema(Schema):
    window_seconds = fields.Integer(attribute="window")
    start = fields.Function(lambda c: format_instant(c.start), data_key="from", metadata={
        "format": "date-time", "description": "One window before now: where the curve "
                                              "starts."})
    end = fields.Function(lambda c: format_instant(c.end), data_key="until",
                          metadata={"format": "date-time", "description": "Now."})
    sampled = fields.Boolean(metadata={
        "description": "true when each span of time keeps only its lowest and highest point."})
    busiest = fields.Integer(metadata={
        "description": "The most posts the trailing window held at any point of the curve."})
    points = fields.List(fields.Nested(CurvePointSchema), metadata={
        "description": "Posts in the window that ends just after each point, oldest first."})


class BudgetSchema(Schema):
    name = fields.String()
    platform = fields.String()
    region = fields.String(metadata={"description": "The regional part whose rules apply."})
    country = fields.String(allow_none=True)
    margin_percent = fields.Integer()
    created_at = fields.String(metadata={"format": "date-time"})
    at = fields.String(metadata={"format": "date-time", "description": "The instant of "
                                                                        "used and left."})
    in_force = fields.Boolean(metadata={"description": "Whether a damages clause is in force "
                                                       "now; without one nothing is limited."})
    limit = fields.Nested(LimitSchema, allow_none=True)
    used = fields.Integer(metadata={"description": "Posts in the trailing window."})
    left = fields.Integer(allow_none=True, metadata={
        "description": "Posts that may be reserved now; null: without limit."})
    refills_at = fields.String(allow_none=True, metadata={
        "format": "date-time", "description": "When the oldest post of the window leaves it."})
    note = fields.String(allow_none=True)
    curve = fields.Nested(BudgetCurveSchema, metadata={
        "description": "GET only: the trailing count over the last window."})


class ReservationRecordSchema(Schema):
    id = fields.String(metadata={"description": "Give unused posts back with POST "
                                                "/v1/budgets/{name}/reservations/{id}/return."})
    posts = fields.Integer(metadata={"description": "Posts granted."})
    returned = fields.Integer(metadata={"description": "Posts given back so far."})
    kept = fields.Integer(metadata={"description": "Posts still counted: granted − returned."})
    at = fields.String(metadata={"format": "date-time",
                                 "description": "The second its posts are recorded at."})


class GrantSchema(BudgetSchema):
    granted = fields.Boolean()
    posts = fields.Integer(metadata={"description": "The posts granted and recorded."})
    reservation = fields.Nested(ReservationRecordSchema, metadata={
        "description": "Only for a returnable reservation."})


class GivenBackSchema(BudgetSchema):
    reservation = fields.Nested(ReservationRecordSchema)


class RecordedSchema(BudgetSchema):
    recorded = fields.Dict(metadata={"description": (
        "posts, at (the second recorded), busiest (the most posts any window containing them "
        "holds now), over_by (how far that is over the limit) and over_threshold_by (over "
        "the clause's threshold itself: damages are owed).")})


class BudgetSpentSchema(ProblemSchema):
    """429 /problems/budget-spent: the posts do not fit now; when they do."""

    posts = fields.Integer(metadata={"description": "The posts asked for."})
    left_now = fields.Integer(metadata={"description": "How many posts fit now."})
    retry_at = fields.String(metadata={"format": "date-time", "description": (
        "The earliest instant the posts fit, if nothing else is reserved meanwhile; "
        "Retry-After says the same in seconds.")})
    limit = fields.Integer(metadata={"description": "The most any window may hold."})
    window_seconds = fields.Integer()
