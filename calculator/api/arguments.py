"""Query-parameter fields shared by the resources."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import ValidationError, fields

from calculator.errors import InvalidArgument
from calculator.timeutil import parse_instant

ACCEPTED_FORMS = ("Accepted forms: an RFC 3339 date-time with an offset (2024-11-15T09:30:00Z, "
                  "2024-11-15T10:30:00+01:00, fractions of a second allowed), any ISO 8601 "
                  "date-time with an offset, or a date alone (2024-11-15), meaning its 00:00 "
                  "UTC. A date-time without an offset is refused.")


class InstantArg(fields.String):
    """A date (its 00:00 UTC) or an ISO 8601 instant with an offset."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = kwargs.setdefault("metadata", {})
        described = metadata.get("description")
        metadata["description"] = (f"{described} " if described else "") + ACCEPTED_FORMS
        metadata.setdefault("format", "date-time")
        metadata.setdefault("example", "2024-11-15T09:30:00Z")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_instant(text, name=attr or "instant")
        except InvalidArgument as exc:
            raise ValidationError(exc.problems[0].message) from exc


def region_arg(**kwargs: Any) -> fields.String:
    return fields.String(load_default=None, metadata={
        "description": "The regional part: rest-of-world (default; includes the US) or "
                       "eu-efta-uk; or an ISO 3166-1 alpha-2 country code (DE, US), answered "
                       "for the part that binds users there and echoed as country.",
        "example": "rest-of-world"}, **kwargs)
