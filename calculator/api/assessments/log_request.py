"""How a request carries its crawl log: the body's content types and encodings, or a
multipart form's file field; the options from its query and form fields. Shared by POST
/v1/assessments and POST /v1/curves, which read a log the same way."""

from __future__ import annotations

from typing import Any, BinaryIO

from flask import current_app, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from calculator.api.assessments.schemas import (
    REFERENCE_LENGTH,
    AssessOptionsSchema,
    CreateAssessmentQuerySchema,
)
from calculator.api.extensions import given_once_each
from calculator.errors import FieldProblem, InvalidArgument, InvalidInput, shown_id
from calculator.validation import flatten_messages

# Content types that name a format; others leave it to the content.
_FORMAT_OF_TYPE = {"application/vnd.apache.parquet": "parquet",
                   "application/vnd.apache.arrow.file": "arrow",
                   "application/vnd.apache.arrow.stream": "arrow",
                   "text/csv": "csv", "text/tab-separated-values": "csv",
                   "application/x-ndjson": "jsonl",
                   "application/jsonl": "jsonl", "application/json-lines": "jsonl"}
_LOG_TYPES = ("text/csv", "application/x-ndjson", "application/json", "application/gzip",
              "application/octet-stream", "text/plain")

_CHARSETS = ("utf-8", "utf8", "us-ascii", "ascii")  # what a log's content is read as

REQUEST_BODY = {
    "description": "The crawl log: CSV with a header (timestamp required; posts, platform, "
                   "authorized optional; fields separated by commas, tabs or semicolons), "
                   "JSON Lines, or a JSON array of objects; gzip by "
                   "Content-Encoding or by content. Or multipart/form-data with the file in "
                   "the field `log` and options as form fields.",
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string"},
                     "example": "timestamp,posts\n2024-11-15T10:00:00Z,600000\n"},
        "application/x-ndjson": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["log"], "properties": {
            "log": {"type": "string", "format": "binary"},
            **{name: {"type": "string"} for name in CreateAssessmentQuerySchema().fields}}}},
    },
}


# A request's log: its stream (a list for several files), the format its content type
# names, the multipart form's options, and its name in messages.
Log = tuple[BinaryIO | list[BinaryIO], str | None, dict[str, Any], str]


def max_content() -> int | None:
    """The most content bytes read from one log, decompressed."""
    config = current_app.config
    return config.get("MAX_DECOMPRESSED_LENGTH") or config.get("MAX_CONTENT_LENGTH")


def request_log() -> Log:
    """The log's stream, the format its content type names, form options, and its name.
    Several files in the field ``log`` of a multipart body are one log (a list of
    streams): the service reads uploads only, never paths or URLs on its own machine."""
    mimetype = request.mimetype
    encoding = (request.headers.get("Content-Encoding") or "identity").lower()
    if mimetype == "multipart/form-data":
        if not request.mimetype_params.get("boundary"):
            raise BadRequest("multipart/form-data without a boundary cannot be read; let the "
                             "client library build the Content-Type (it adds ;boundary=...)")
        if encoding != "identity":
            # Read as it was, the body's gzip was taken for a form without a log.
            raise UnsupportedMediaType(
                f"Content-Encoding {shown_id(encoding)} is not read on a multipart body; send "
                "the form as it is (a gzip log file inside it is read by its content)")
        if None in request.files or None in request.form:
            # A part without a field name was read as the field "None" (a 500 for a file).
            message = ("a part of the multipart body has no field name; give each part one "
                       "(Content-Disposition: form-data; name=\"log\")")
            raise InvalidInput(message, problems=[FieldProblem(message)])
        repeated = given_once_each(request.form, set(request.form))
        if repeated:
            name, (message,) = next(iter(repeated.items()))
            raise InvalidArgument(f"{shown_id(name)}: {message}", problems=[
                FieldProblem(said, field=shown_id(n)) for n, (said,) in repeated.items()])
        uploads = request.files.getlist("log")
        if not uploads and not request.files and not request.form:
            # Nothing could be read from it at all: a wrong boundary or a body cut short
            # was answered as a form without its log field, which sent callers looking for
            # a typo in the field's name.
            raise InvalidInput(
                "the multipart body holds no part that could be read: its boundary does not "
                "match the Content-Type's, or it is cut short; send the log as the file "
                "field 'log'", problems=[FieldProblem("no readable part", field="log")])
        if not uploads:
            raise InvalidInput("the multipart body has no file field named 'log'",
                               problems=[FieldProblem("missing file", field="log")])
        strays = sorted(set(request.files) - {"log"})
        if strays:
            # An option sent as a file, or a file under another name, was read past.
            message = ("a file part; the log is the file field `log`, and each option a "
                       "text field")
            raise InvalidArgument(f"{shown_id(strays[0])}: {message}", problems=[
                FieldProblem(message, field=shown_id(name)) for name in strays])
        if len(uploads) > 1:
            return [u.stream for u in uploads], None, request.form.to_dict(), "the uploads"
        # Named by what it is, never by its file name: that is the caller's own text (a
        # customer's name, a URL), which no answer echoes.
        return uploads[0].stream, None, request.form.to_dict(), "the upload"
    charset = (request.mimetype_params.get("charset") or "utf-8").strip().lower()
    if charset not in _CHARSETS:
        # The content was read as UTF-8 whatever the charset said: a UTF-16 log was called
        # binary data, a Latin-1 one read with its accented letters refused by row.
        raise UnsupportedMediaType(f"charset {shown_id(charset)} is not read; logs are read "
                                   "as UTF-8 (of which ASCII is a part): save the log as UTF-8")
    if encoding not in ("identity", "gzip"):
        raise UnsupportedMediaType(f"Content-Encoding {shown_id(encoding)} is not read; send "
                                   "gzip or plain bytes")
    if mimetype and mimetype not in _LOG_TYPES and mimetype not in _FORMAT_OF_TYPE:
        raise UnsupportedMediaType(
            f"{shown_id(mimetype)} is not a log type; send text/csv, application/x-ndjson, "
            "application/json or multipart/form-data")
    return request.stream, _FORMAT_OF_TYPE.get(mimetype), {}, "the request body"


def parse_options(form: dict[str, Any], schema: type[Schema] = AssessOptionsSchema
                  ) -> dict[str, Any]:
    """The options of a log request, from its query and (multipart) form fields."""
    both = sorted(set(request.args) & set(form))
    if both:
        # The form's value was taken and the query's dropped without a word (decision 0159).
        message = "given in both the query and the form; give it once"
        raise InvalidArgument(f"{shown_id(both[0])}: {message}", problems=[
            FieldProblem(message, field=shown_id(name)) for name in both])
    values = {**request.args.to_dict(), **form}
    values.pop("reference", None)  # the record's, not an option: see parse_reference
    try:
        return schema().load(values)
    except ValidationError as exc:
        problems = [FieldProblem(message, field=".".join(map(str, path)) or None)
                    for path, message in flatten_messages(exc.messages)]
        raise InvalidArgument("; ".join(str(p) for p in problems), problems=problems) from None


def parse_reference(form: dict[str, Any]) -> str | None:
    reference = form.get("reference", request.args.get("reference"))
    if reference is not None and not 1 <= len(reference) <= REFERENCE_LENGTH:
        message = f"expected 1 to {REFERENCE_LENGTH} characters"
        raise InvalidArgument(f"reference: {message}",
                              problems=[FieldProblem(message, field="reference")])
    return reference

