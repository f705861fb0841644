"""Marshmallow fields for rule files: strict about types, because a rule is evidence."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields

from calculator.errors import excerpt
from calculator.timeutil import parse_duration

_MONEY = re.compile(r"^\d+(\.\d+)?$")


class StrictInt(fields.Integer):
    """A whole number written as a number: ``"5"``, ``5.0`` and ``true`` are refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"expected a whole number, got {excerpt(value)}")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBool(fields.Boolean):
    """Only ``true`` or ``false``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"expected true or false, got {excerpt(value)}")
        return value


class StrictStr(fields.String):
    """Text that is not empty."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(f"expected text, got {excerpt(value)}")
        if not value.strip():
            raise ValidationError("must not be empty")
        return value


class Money(fields.Field):
    """An amount written as a quoted decimal (``"15000.00"``): never a float."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str) or not _MONEY.match(value):
            raise ValidationError(
                "expected an amount as a quoted decimal such as \"15000.00\", got "
                f"{excerpt(value)}")
        return Decimal(value)


class IsoDuration(fields.Field):
    """An ISO 8601 duration such as ``PT24H``; kept as text, checked on load."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        try:
            parse_duration(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        return value


class Period(fields.Field):
    """A retention period: an ISO 8601 duration or one of a fixed set of words."""

    WORDS = (
        "life-of-account",
        "life-of-account-or-until-removed",
        "while-using-paid-services",
        "while-in-programme",
        "indefinite",
        "soon-after-processing",
    )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and value in self.WORDS:
            return value
        try:
            parse_duration(value)
        except ValueError as exc:
            raise ValidationError(
                f"expected an ISO 8601 duration or one of {', '.join(self.WORDS)}; got "
                f"{excerpt(value)}"
            ) from exc
        return value


class Currency(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
            raise ValidationError("expected an ISO 4217 currency code such as USD, got "
                                  f"{excerpt(value)}")
        return value


class Slug(fields.String):
    """A lower-case id made of letters, digits and hyphens."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value):
            raise ValidationError(
                f"expected a lower-case id of letters, digits and hyphens, got {excerpt(value)}")
        return value
