"""Budgets and reservations as the API reads and documents them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

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


class ReservationSchema(Schema):
    posts = fields.Integer(required=True, strict=True,
                           validate=validate.Range(min=1, max=MAX_POSTS),
                           metadata={"description": "Posts the fleet is about to fetch."})


class LimitSchema(Schema):
    posts = fields.Integer(metadata={"description": "The most any window may hold: the "
                                                    "threshold × margin, rounded down."})
    threshold = fields.Integer(metadata={"description": "The clause's threshold: a window "
                                                        "owes nothing at or under it."})
    margin_percent = fields.Integer()
    window_seconds = fields.Integer()
    clause = fields.String(metadata={"description": "The damages clause's id."})
    version = fields.String(metadata={"description": "The clause version in force (date)."})


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


class GrantSchema(BudgetSchema):
    granted = fields.Boolean()
    posts = fields.Integer(metadata={"description": "The posts granted and recorded."})
