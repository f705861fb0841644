"""Fields and small schemas shared by every answer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from marshmallow import Schema, fields

from calculator.timeutil import format_instant


def to_json(value: Any) -> Any:
    """Core values as JSON: decimals as exact strings, dates as ISO 8601, UTC instants with Z."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


class JsonValue(fields.Field):
    """Any core value (parameters, old and new values of a change) as plain JSON."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return to_json(value)


class Instant(fields.Field):
    """A UTC instant, written RFC 3339 with a Z."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).setdefault("format", "date-time")
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else format_instant(value)


class IntervalSchema(Schema):
    start = Instant(data_key="from", required=True,
                    metadata={"description": "In force from this instant (inclusive)."})
    end = Instant(data_key="until", allow_none=True,
                  metadata={"description": "Until this instant (exclusive); null while still "
                                           "in force."})


class SourceSchema(Schema):
    url = fields.String(allow_none=True)
    archive = fields.String(allow_none=True)
    path = fields.String(allow_none=True)
    commit = fields.String(allow_none=True)
    captured = fields.Date(allow_none=True)
    archived_copy = fields.Method("_archived_copy", allow_none=True, metadata={
        "description": "A link to the archived text at that commit, where the archive is a "
                       "GitHub repository."})

    def _archived_copy(self, source: Any) -> str | None:
        if not (source.archive and source.path and source.commit):
            return None
        return (f"https://github.com/{source.archive}/blob/{source.commit}/"
                f"{quote(source.path)}")
