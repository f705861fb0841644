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
    commit = fields.String(validate=validate.Regexp(
        r"^[0-9a-f]{7,40}$", error="expected a git commit id (7 to 40 hex digits)"))
    captured = fields.Date()

    @validates_schema
    def _has_a_place(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "url" not in data and not ("archive" in data and "path" in data):
            raise ValidationError("a source needs a url, or an archive and a path in it")


class RegionSchema(Schema):
    title = StrictStr(required=True)


class RegionsFileSchema(Schema):
    regions = fields.Dict(keys=Slug(), values=fields.Nested(RegionSchema), required=True,
                          validate=validate.Length(min=1))
    default = Slug(required=True)


class PartSchema(Schema):
    title = StrictStr(required=True)
    party = StrictStr()


class PlatformFileSchema(Schema):
    id = Slug(required=True)
    name = StrictStr(required=True)
    hosts = fields.List(StrictStr(), load_default=list)
    media_hosts = fields.List(StrictStr(), load_default=list)
    note = StrictStr()


class DocumentVersionSchema(Schema):
    date = fields.Date(required=True)
    dating = fields.String(required=True, validate=validate.OneOf(["printed", "observed"]))
    parts = fields.List(Slug(), validate=validate.Length(min=1))
    published = fields.Date()
    observed = fields.Date()
    last_absent = fields.Date()
    printed_date = fields.Date()
    source = fields.Nested(SourceSchema, required=True)
    summary = StrictStr()
    note = StrictStr()

    @validates_schema
    def _observed_dates_agree(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("dating") == "observed" and "observed" in data \
                and data["observed"] != data.get("date"):
            raise ValidationError("for an observed version, date is the first date it was seen "
                                  "in force; leave out 'observed' or make it equal", "observed")
        if "last_absent" in data and "date" in data and data["last_absent"] >= data["date"]:
            raise ValidationError("last_absent must be before the version's date", "last_absent")


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
    note = StrictStr()
