"""Options of a curve request: an assessment's options, and how many points to draw."""

from marshmallow import Schema, fields, validate

from calculator.api.assessments.schemas import AssessOptionsSchema
from calculator.damages.curve import DEFAULT_POINTS, MAX_POINTS, MIN_POINTS


def points_field() -> fields.Integer:
    return fields.Integer(load_default=DEFAULT_POINTS,
                          validate=validate.Range(MIN_POINTS, MAX_POINTS), metadata={
        "description": f"At most this many points ({MIN_POINTS} to {MAX_POINTS}); a longer "
                       "curve keeps each span's lowest and highest point, and the peak."})


class CurveOptionsSchema(AssessOptionsSchema):
    points = points_field()


class CurvePointsSchema(Schema):
    points = points_field()
