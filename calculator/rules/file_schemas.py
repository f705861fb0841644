"""The shape of the rule files in ``data/``: what a human may write there, and nothing else."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from calculator.rules.fields import Slug, StrictStr
from calculator.rules.kinds import KINDS


class SourceSchema(Schema):
    url = StrictStr()
    archive = StrictStr()
    path = StrictStr()
    # Full ids only: an abbreviated id can become ambiguous as an archive grows.
    commit = fields.String(validate=validate.Regexp(
        r"^[0-9a-f]{40}$", error="expected a full git commit id (40 hex digits)"))
    captured = fields.Date()
    # Who holds the text when no archive does (an X help page none tracks): named in the
    # archive check's "not checkable here" line.
    held_by = StrictStr()
    # Other files of the same archive that record the same page (Open Terms Archive files X's
    # data-processing page twice): the capture dates are read from all of them.
    also_at = fields.List(StrictStr(), load_default=list)

    @validates_schema
    def _has_a_place(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "url" not in data and not ("archive" in data and "path" in data):
            raise ValidationError("a source needs a url, or an archive and a path in it")
        if "archive" in data and "commit" in data and "path" not in data:
            raise ValidationError("an archived source needs the path of the file in the "
                                  "archive", "path")


class RegionSourceSchema(Schema):
    url = StrictStr(required=True)
    quote = StrictStr(required=True)
    members = fields.List(StrictStr(), load_default=list)


class RegionSchema(Schema):
    title = StrictStr(required=True)
    # ISO 3166-1 alpha-2 codes of the countries whose users this part binds.
    countries = fields.List(fields.String(validate=validate.Regexp(
        r"^[A-Z]{2}$", error="expected an ISO 3166-1 alpha-2 country code such as DE")),
        load_default=list)
    # The part for every country no other part lists (one region has it).
    other_countries = fields.Boolean(load_default=False)
    source = fields.Nested(RegionSourceSchema)


class RegionsFileSchema(Schema):
    regions = fields.Dict(keys=Slug(), values=fields.Nested(RegionSchema), required=True,
                          validate=validate.Length(min=1))
    default = Slug(required=True)


class PartSchema(Schema):
    title = StrictStr(required=True)
    party = StrictStr()
    # The words that open this part in the archived text, where one file holds several parts:
    # the archive check then looks for the part's quotes between its heading and the next.
    heading = StrictStr()


class PlatformFileSchema(Schema):
    id = Slug(required=True)
    name = StrictStr(required=True)
    hosts = fields.List(StrictStr(), load_default=list)
    media_hosts = fields.List(StrictStr(), load_default=list)
    aliases = fields.List(StrictStr(), load_default=list)
    note = StrictStr()


class TextByPart(fields.Field):
    """Text for every part of a version, or a mapping of part to its own text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> str | dict[str, str]:
        if isinstance(value, str):
            return StrictStr()._deserialize(value, attr, data)
        if isinstance(value, dict) and value:
            for key, text in value.items():
                Slug()._deserialize(key, attr, data)
                StrictStr()._deserialize(text, attr, data)
            return dict(value)
        raise ValidationError("expected text, or a mapping of regional part to text")


class DocumentVersionSchema(Schema):
    date = fields.Date(required=True)
    dating = fields.String(required=True, validate=validate.OneOf(["printed", "observed"]))
    parts = fields.List(Slug(), validate=validate.Length(min=1))
    published = fields.Date()
    observed = fields.Date()
    last_absent = fields.Date()
    printed_date = fields.Date()
    source = fields.Nested(SourceSchema, required=True)
    # The clauses this version was read for (their keys in this file). Left out: the
    # clauses with a version on or before this date (docs/decisions/0071).
    read_for = fields.List(Slug())
    # One text for every part, or {part: text} where the parts' words differ.
    summary = TextByPart()
    note = StrictStr()

    @validates_schema
    def _observed_dates_agree(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("dating") == "observed" and "observed" in data \
                and data["observed"] != data.get("date"):
            raise ValidationError("for an observed version, date is the first date it was seen "
                                  "in force; leave out 'observed' or make it equal", "observed")
        if "last_absent" in data and "date" in data:
            # A printed version may be first seen after its printed date: then the captures
            # without it can be later than that date, but not later than the first one with it.
            seen = [data[k] for k in ("published", "observed") if k in data]
            first = min(seen) if data.get("dating") == "printed" and seen else data["date"]
            # The same day is allowed: the archive may capture a page twice in one day.
            if data["last_absent"] > first or (data["last_absent"] == data["date"]
                                               and data.get("dating") == "observed"):
                raise ValidationError("last_absent must be before the first capture showing the "
                                      "version", "last_absent")


class ClauseVersionSchema(Schema):
    date = fields.Date(required=True)
    parts = fields.List(Slug(), validate=validate.Length(min=1))
    status = fields.String(load_default="present", validate=validate.OneOf(["present", "absent"]))
    quote = StrictStr()
    context = fields.List(StrictStr(), load_default=list)
    parameters = fields.Dict(keys=fields.String())
    source = fields.Nested(SourceSchema)
    evidence = fields.String(load_default="verified",
                             validate=validate.OneOf(["verified", "secondary"]))
    note = StrictStr()

    @validates_schema
    def _present_or_absent(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("status", "present") == "present":
            if "quote" not in data:
                raise ValidationError("a present clause version needs its quoted words", "quote")
        else:
            for name in ("quote", "parameters", "context"):
                if data.get(name):
                    raise ValidationError("an absent clause version has no words or parameters",
                                          name)


class ClauseSchema(Schema):
    title = StrictStr(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(sorted(KINDS)))
    section = StrictStr()
    versions = fields.List(fields.Nested(ClauseVersionSchema), required=True,
                           validate=validate.Length(min=1))


class UnknownSchema(Schema):
    topic = StrictStr(required=True)
    note = StrictStr(required=True)


class DocumentFileSchema(Schema):
    id = Slug(required=True)
    title = StrictStr(required=True)
    url = StrictStr()
    zone = StrictStr(load_default="UTC")
    parts = fields.Dict(keys=Slug(), values=fields.Nested(PartSchema))
    versions = fields.List(fields.Nested(DocumentVersionSchema), required=True,
                           validate=validate.Length(min=1))
    clauses = fields.Dict(keys=Slug(), values=fields.Nested(ClauseSchema), required=True,
                          validate=validate.Length(min=1))
    unknowns = fields.List(fields.Nested(UnknownSchema), load_default=list)
    # The date of the last archive capture checked against these rules: no later version is
    # known up to it (OpenFisca's last_value_still_valid_on).
    checked_through = fields.Date()
    note = StrictStr()
