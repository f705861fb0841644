"""POST /v1/assessments: a crawl log in, the assessment document out."""

from __future__ import annotations

from typing import Any, BinaryIO

from flask import current_app, request
from flask.views import MethodView
from marshmallow import ValidationError
from werkzeug.exceptions import UnsupportedMediaType

from calculator.api.assessments.schemas import AssessOptionsSchema
from calculator.api.extensions import Blueprint
from calculator.damages.assessment import assess
from calculator.errors import FieldProblem, InvalidArgument, InvalidInput
from calculator.schemas.assessment import AssessmentSchema

blp = Blueprint("assessments", __name__, url_prefix="/v1",
                description="Assess crawl logs against a platform's damages clause.")

# Content types that name a format; others leave it to the content.
_FORMAT_OF_TYPE = {"text/csv": "csv", "application/x-ndjson": "jsonl",
                   "application/jsonl": "jsonl", "application/json-lines": "jsonl"}
_LOG_TYPES = ("text/csv", "application/x-ndjson", "application/json", "application/gzip",
              "application/octet-stream", "text/plain")

REQUEST_BODY = {
    "description": "The crawl log: CSV with a header (timestamp required; posts, platform, "
                   "authorized optional), JSON Lines, or a JSON array of objects; gzip by "
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
            **{name: {"type": "string"} for name in AssessOptionsSchema().fields}}}},
    },
}


def request_log() -> tuple[BinaryIO, str | None, dict[str, Any], str]:
    """The log's stream, the format its content type names, form options, and its name."""
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        upload = request.files.get("log")
        if upload is None:
            raise InvalidInput("the multipart body has no file field named 'log'",
                               problems=[FieldProblem("missing file", field="log")])
        return upload.stream, None, request.form.to_dict(), upload.filename or "the upload"
    encoding = (request.headers.get("Content-Encoding") or "identity").lower()
    if encoding not in ("identity", "gzip"):
        raise UnsupportedMediaType(f"Content-Encoding {encoding} is not read; send gzip or "
                                   "plain bytes")
    if mimetype and mimetype not in _LOG_TYPES and mimetype not in _FORMAT_OF_TYPE:
        raise UnsupportedMediaType(
            f"{mimetype} is not a log type; send text/csv, application/x-ndjson, "
            "application/json or multipart/form-data")
    return request.stream, _FORMAT_OF_TYPE.get(mimetype), {}, "the request body"


def parse_options(form: dict[str, Any]) -> dict[str, Any]:
    try:
        return AssessOptionsSchema().load({**request.args.to_dict(), **form})
    except ValidationError as exc:
        problems = [FieldProblem(str(messages[0]), field=name)
                    for name, messages in exc.messages.items()]
        raise InvalidArgument("; ".join(f"{p.field}: {p.message}" for p in problems),
                              problems=problems) from None


@blp.route("/assessments")
class Assessments(MethodView):
    @blp.arguments(AssessOptionsSchema, location="query", as_kwargs=True)
    @blp.doc(requestBody=REQUEST_BODY)
    @blp.response(200, AssessmentSchema)
    @blp.problem(413, "The body, or its decompressed content, is over the size limit.")
    @blp.problem(415, "A content type or encoding that is not a log.")
    @blp.problem(422, "The log or an option cannot be read: which row, which field, what was "
                      "expected.")
    def post(self, **_query: Any) -> Any:
        """Assess a crawl log under every reading of the platform's damages clause."""
        stream, fmt, form, name = request_log()
        options = parse_options(form)
        return assess(stream, rules=current_app.extensions["calculator.lookup"], name=name,
                      format_hint=fmt, **options)
