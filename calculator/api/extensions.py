"""The Api and Blueprint every resource uses, so errors and docs look the same everywhere."""

from __future__ import annotations

import http
from typing import ClassVar

import flask_smorest
from flask import current_app
from flask_smorest.utils import prepare_response
from marshmallow import RAISE, Schema, ValidationError, fields, missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

from calculator.api.problems import PROBLEM_MIMETYPE, body_limit, from_http_exception
from calculator.errors import shown_id
from calculator.review.profile import parse_profile_json


class FieldErrorSchema(Schema):
    location = fields.String()
    field = fields.String()
    row = fields.Integer()
    line = fields.Integer()
    file = fields.String()
    message = fields.String()


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(metadata={"description": "A URI reference naming the problem type; "
                                                  "GET it for a description."})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String(metadata={"description": "What went wrong, in one sentence."})
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema),
                         metadata={"description": "Each field, row or line at fault."})
    first_in_force = fields.String(allow_none=True, metadata={
        "description": "not-in-force: when the clause is first in force after the instant."})
    last_in_force = fields.String(allow_none=True, metadata={
        "description": "not-in-force: when the clause last stopped being in force."})
    checked_version = fields.String(allow_none=True, metadata={
        "description": "not-in-force: the document version read for the clause that holds "
                       "no such clause."})
    recorded_from = fields.String(allow_none=True, metadata={
        "description": "not-recorded: the first document version read for the clause."})
    recorded_until = fields.String(allow_none=True, metadata={
        "description": "not-recorded: the version from which the rules stop covering it."})
    checked_through = fields.String(allow_none=True, metadata={
        "description": "The last archive capture checked against the rules."})
    region = fields.String(allow_none=True, metadata={"description": "The part asked about."})
    country = fields.String(allow_none=True, metadata={
        "description": "The ISO 3166-1 alpha-2 code the part was chosen by."})


class Api(flask_smorest.Api):
    """flask-smorest's Api, answering and documenting errors as RFC 9457 problem details."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException):
        return from_http_exception(error)

    def _register_responses(self) -> None:
        # As the library does, but with the problem+json media type.
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def given_once_each(values: MultiDict, names: set[str]) -> dict[str, list[str]]:
    """The problems of parameters among ``names`` that a query string or form gives more
    than once, by name (empty when there are none)."""
    return {name: [f"given {len(values.getlist(name))} times; give it once"]
            for name in sorted(names) if len(values.getlist(name)) > 1}


class _ArgumentsParser(FlaskParser):
    """webargs' parser for Flask, refusing a query parameter given more than once where its
    schema takes one value. webargs reads the first and drops the others without a word:
    ``?region=eu-efta-uk&region=rest-of-world`` priced the EU part and said nothing of the
    other (decision 0159). Parameters that take a list (``state`` of the job list) may repeat.
    A query parameter the operation does not take is refused by name: webargs dropped it,
    so that a filter spelt wrong (``?platfrom=x``) answered the whole feed unfiltered."""

    DEFAULT_UNKNOWN_BY_LOCATION: ClassVar[dict[str, str | None]] = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}

    def load_querystring(self, req, schema: Schema):
        single = {field.data_key or name for name, field in schema.fields.items()
                  if not isinstance(field, fields.List | fields.Tuple)}
        problems = given_once_each(req.args, single)
        if problems:
            raise ValidationError(problems)
        return super().load_querystring(req, schema)

    def _raw_load_json(self, req):
        """A JSON body read as a usage profile is (decision 0051): within the small limit of
        a profile's (a budget or a subscription is a few hundred bytes too), a key given
        twice and nesting too deep refused in words. Flask's own reading recursed past
        Python's limit on a body nested 5,000 deep (a 500), and parsed 16 MB bodies whole."""
        body_limit(current_app.config["MAX_REVIEW_LENGTH"],
                   "a JSON request body here is a few hundred bytes")
        if not is_json_request(req):
            if req.content_length or req.headers.get("Transfer-Encoding"):
                # A body of another type was read as no body at all: "platform: missing"
                # answered a budget sent as text/plain.
                sent = shown_id(req.mimetype or "a body without a type")
                raise UnsupportedMediaType(f"{sent} is not read here; send application/json")
            return missing
        encoding = req.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding != "identity":
            raise UnsupportedMediaType(f"Content-Encoding {shown_id(encoding)} is not read "
                                       "here; send the JSON as it is (it is small)")
        return parse_profile_json(req.get_data(cache=True), "the request body")


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, with error responses documented as problem details and
    query parameters read once each."""

    ARGUMENTS_PARSER = _ArgumentsParser()

    def arguments(self, schema, *, location: str = "json", **kwargs):
        """As the library's, and a JSON body's 413 and 415 documented with it: every view
        that takes one answers them (``_raw_load_json``)."""
        read = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return read
        too_large = self.problem(413, "A body over the limit of a JSON request here (1 MiB by "
                                      "default; these bodies are a few hundred bytes).")
        wrong_type = self.problem(415, "A body that is not application/json, or one sent "
                                       "with a Content-Encoding.")
        return lambda view: too_large(wrong_type(read(view)))

    def problem(self, status: int, description: str, schema: type[Schema] = ProblemSchema):
        """Document that a view may answer ``status`` with problem details (``schema`` when
        the problem carries members of its own)."""
        return self.alt_response(status, schema=schema, content_type=PROBLEM_MIMETYPE,
                                 description=description)
