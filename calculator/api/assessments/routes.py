"""/v1/assessments: assess a crawl log and keep the answer; find, list, replay, delete it.

POST stores every assessment and answers 201 with its Location. With an
``Idempotency-Key`` a retry of the same request returns the first assessment instead
of storing a second; the same key with another request is 409 (docs/decisions/0022).
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any, BinaryIO

from flask import Response, current_app, request, url_for
from flask.views import MethodView
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from calculator.api import auth
from calculator.api.assessments.schemas import (
    REFERENCE_LENGTH,
    AssessOptionsSchema,
    CreateAssessmentQuerySchema,
    RecordListQuerySchema,
)
from calculator.api.curves.schemas import CurvePointsSchema
from calculator.api.extensions import Blueprint
from calculator.api.jobs.routes import (
    async_threshold,
    discard,
    job_limit,
    job_response,
    job_url,
    jobs,
    limit_body_for_a_job,
    new_job_id,
    prefers_async,
    spool,
    wants_job,
)
from calculator.api.jobs.schemas import JobSchema
from calculator.api.problems import body_limit
from calculator.api.records import (
    created,
    idempotency_key,
    idempotency_parameter,
    json_response,
    page_of,
)
from calculator.damages.assessment import assess
from calculator.damages.assessment import replay as replay_assessment
from calculator.damages.curve import stored_curve_document
from calculator.damages.diff import diff_documents
from calculator.errors import FieldProblem, InputTooLarge, InvalidArgument, InvalidInput
from calculator.ingest.many import digest_of_files
from calculator.ingest.source import open_source
from calculator.jobs.options import options_to_json, refuse_early
from calculator.jobs.queue import Job
from calculator.jobs.uploads import hold
from calculator.schemas.curve import CurveDocumentSchema
from calculator.schemas.stored import AssessmentPageSchema, ReplaySchema, StoredAssessmentSchema
from calculator.storage import Store
from calculator.storage.assessments import (
    KIND,
    basis_from_record,
    listed_assessment,
    request_fingerprint,
    save_assessment,
    stored_document,
)
from calculator.storage.repository import IdempotencyConflict, Record
from calculator.timeutil import format_instant
from calculator.validation import flatten_messages

blp = Blueprint("assessments", __name__, url_prefix="/v1",
                description="Assess crawl logs against a platform's damages clause, and keep "
                            "the assessments: find, list, replay and delete them.")
auth.protect(blp)

# Content types that name a format; others leave it to the content.
_FORMAT_OF_TYPE = {"application/vnd.apache.parquet": "parquet",
                   "application/vnd.apache.arrow.file": "arrow",
                   "application/vnd.apache.arrow.stream": "arrow",
                   "text/csv": "csv", "application/x-ndjson": "jsonl",
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
            **{name: {"type": "string"} for name in CreateAssessmentQuerySchema().fields}}}},
    },
}

IDEMPOTENCY_PARAMETER = idempotency_parameter("assessment")
PREFER_PARAMETER = {
    "in": "header", "name": "Prefer", "required": False,
    "schema": {"type": "string", "enum": ["respond-async"]},
    "description": "respond-async: assess the log as a job (202 with its Location), whatever "
                   "its size. Bodies over 32 MiB (the service's ASYNC_ABOVE) become jobs "
                   "without asking; a body sent without its length (chunked) once it passes "
                   "that size."}

LOCATION_HEADER = {"Location": {"description": "/v1/assessments/{id}", "schema": {
    "type": "string"}}}
JOB_HEADERS = {
    "Location": {"description": "/v1/jobs/{id}", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds before asking the job's progress.",
                    "schema": {"type": "integer"}},
    "Preference-Applied": {"description": "respond-async, when the request asked for it.",
                           "schema": {"type": "string"}}}


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
    if mimetype == "multipart/form-data":
        if not request.mimetype_params.get("boundary"):
            raise BadRequest("multipart/form-data without a boundary cannot be read; let the "
                             "client library build the Content-Type (it adds ;boundary=...)")
        uploads = request.files.getlist("log")
        if not uploads:
            raise InvalidInput("the multipart body has no file field named 'log'",
                               problems=[FieldProblem("missing file", field="log")])
        if len(uploads) > 1:
            return [u.stream for u in uploads], None, request.form.to_dict(), "the uploads"
        upload = uploads[0]
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


def parse_options(form: dict[str, Any], schema: type[Schema] = AssessOptionsSchema
                  ) -> dict[str, Any]:
    """The options of a log request, from its query and (multipart) form fields."""
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


def location(record_id: str) -> str:
    return url_for("assessments.Assessment", assessment_id=record_id)


def _created(record: Record, replayed: bool) -> Response:
    return created(record, location(record.id), replayed)


def _digest_only(stream: BinaryIO | list[BinaryIO], name: str) -> str:
    """The sha256 of the log as received, read (within the limit) but not assessed (of
    several uploads, the digest of their digests, as their assessment names them)."""
    if isinstance(stream, list):
        return digest_of_files([_digest_only(s, name) for s in stream])
    with open_source(stream, name, max_content()) as log:
        log.finish()
    return log.sha256


def _job_advice() -> str:
    limit = job_limit()
    return (f"split the log by period and send the parts, or send it with the header "
            f"`Prefer: respond-async` to have it assessed as a job (GET /v1/jobs/{{id}} tells "
            f"its progress), which takes logs of up to {limit:,} bytes "
            f"({limit / 2**30:,.1f} GiB)")


def _same_request(earlier: Record | Job, fingerprint: str) -> None:
    if fingerprint != earlier.request_hash:
        raise IdempotencyConflict()


def _submit_job(key: str | None, store: Store, owner: str | None,
                log: Log | None = None) -> Response:
    """Keep the upload on disk and queue a job for it: 202 with the job's Location. A retry
    with the same Idempotency-Key answers the assessment stored (201) or the same job.
    ``log``: the request's log when already opened (a body of unknown length, measured)."""
    if log is None:
        limit_body_for_a_job()
        log = request_log()
    stream, fmt, form, _name = log
    reference = parse_reference(form)
    options = parse_options(form)
    refuse_early(current_app.extensions["calculator.lookup"], options)
    job_id = new_job_id()
    kept = spool(stream, job_id)
    try:
        digest = kept[0].sha256 if len(kept) == 1 else digest_of_files(
            [k.sha256 for k in kept])
        fingerprint = request_fingerprint(digest, options, reference, fmt)
        if key is not None:
            earlier = store.find_by_idempotency_key(KIND, key, owner=owner)
            if earlier is not None:
                _same_request(earlier, fingerprint)
                discard(kept)
                return _created(earlier, replayed=True)
        job, made = jobs().submit(
            job_id, owner=owner, uploads=[k.location for k in kept],
            upload_bytes=sum(k.size for k in kept), log_sha256=digest,
            options=options_to_json(options), format_hint=fmt, reference=reference,
            max_bytes=current_app.config.get("JOB_MAX_DECOMPRESSED_LENGTH") or job_limit(),
            idempotency_key=key, request_hash=fingerprint)
    except BaseException:
        discard(kept)
        raise
    headers = {"Location": job_url(job.id)}
    if not made:
        discard(kept)
        if job.state == "done" and job.assessment_id:
            return _created(store.get(KIND, job.assessment_id, owner=owner), replayed=True)
        headers["Idempotent-Replayed"] = "true"
    if prefers_async():
        headers["Preference-Applied"] = "respond-async"
    return job_response(job, 202, headers)


def _measured_as_it_arrives(key: str | None, store: Store, owner: str | None,
                            threshold: int) -> Response:
    """A body whose length is not said (chunked): held as it arrives up to the size for an
    answer in the request; past it, the job keeps the rest as it arrives and the answer is
    202, as if the length had been said (decision 0128)."""
    limit_body_for_a_job()
    stream, fmt, form, name = request_log()
    with ExitStack() as holding:
        held: list[BinaryIO] = []
        over, left = False, threshold
        for part in stream if isinstance(stream, list) else [stream]:
            if over:
                held.append(part)  # past the size already: kept for the job as it comes
                continue
            again, size, over = hold(part, left)
            holding.callback(again.close)
            held.append(again)
            left -= size
        log = (held if isinstance(stream, list) else held[0], fmt, form, name)
        answer = (_submit_job(key, store, owner, log) if over
                  else _assess_in_request(key, store, owner, log))
    return answer


def _assess_in_request(key: str | None, store: Store, owner: str | None,
                       log: Log) -> Response:
    """Assess the log inside the request and store it: 201 with its Location."""
    stream, fmt, form, name = log
    reference = parse_reference(form)
    options = parse_options(form)
    if key is not None:
        earlier = store.find_by_idempotency_key(KIND, key, owner=owner)
        if earlier is not None:
            _same_request(earlier, request_fingerprint(_digest_only(stream, name),
                                                       options, reference, fmt))
            return _created(earlier, replayed=True)
    try:
        result = assess(stream, rules=current_app.extensions["calculator.lookup"],
                        name=name, format_hint=fmt, max_bytes=max_content(), **options)
    except InputTooLarge as exc:
        raise InputTooLarge(f"{exc.detail}; or {_job_advice().split(', or ', 1)[1]}",
                            **exc.extensions) from None
    fingerprint = (None if key is None else
                   request_fingerprint(result.input.sha256, options, reference, fmt))
    saved = save_assessment(store, result, owner=owner, reference=reference,
                            idempotency_key=key, request_hash=fingerprint)
    return _created(saved.record, replayed=not saved.created)


@blp.route("/assessments")
class Assessments(MethodView):
    @blp.arguments(CreateAssessmentQuerySchema, location="query", as_kwargs=True)
    # The query's options are listed here too: a manual list of parameters replaces the one
    # the arguments above would document.
    @blp.doc(requestBody=REQUEST_BODY, parameters=[
        {"in": "query", "schema": CreateAssessmentQuerySchema}, IDEMPOTENCY_PARAMETER,
        PREFER_PARAMETER],
        security=auth.SECURITY)
    @blp.response(201, StoredAssessmentSchema, headers=LOCATION_HEADER, description=(
        "The assessment, stored. A retry with the same Idempotency-Key and request answers "
        "the same (the first assessment, same id), with Idempotent-Replayed: true."))
    @blp.alt_response(202, schema=JobSchema, headers=JOB_HEADERS, description=(
        "A job: the body was over the size for an answer in the request (32 MiB by "
        "default; a chunked body, once it passed that size), or the request said `Prefer: "
        "respond-async`. The upload is kept; follow "
        "the Location (/v1/jobs/{id}) for its progress and, once done, the assessment."))
    @blp.problem(400, "A multipart body without a boundary.")
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(409, "The Idempotency-Key was first used for another request.")
    @blp.problem(413, "The body, or its decompressed content, is over the size limit (for "
                      "an answer in the request, or for a job); the detail says which and "
                      "how to send it as a job.")
    @blp.problem(415, "A content type or encoding that is not a log.")
    @blp.problem(422, "The log or an option cannot be read: which row, which field, what was "
                      "expected.")
    def post(self, **_query: Any) -> Any:
        """Assess a crawl log under every reading of the platform's damages clause, and
        store the assessment; a big log (or one sent with Prefer: respond-async) becomes a
        job (202)."""
        key = idempotency_key()
        store, owner = auth.store(), auth.owner()
        if wants_job():
            return _submit_job(key, store, owner)
        threshold = async_threshold()
        if request.content_length is None and threshold is not None:
            return _measured_as_it_arrives(key, store, owner, threshold)
        body_limit(current_app.config["MAX_CONTENT_LENGTH"], _job_advice())
        return _assess_in_request(key, store, owner, request_log())

    @blp.arguments(RecordListQuerySchema, location="query")
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, AssessmentPageSchema, description=(
        "A page of stored assessments, newest first (by when they were stored). Page with "
        "`page` (from 1) and `page_size` (1 to 100), or follow `links.next`; `total` counts "
        "every assessment that matches the filters."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    def get(self, query: dict[str, Any]) -> Any:
        """List stored assessments, newest first, filtered by platform, reference and when
        they were stored."""
        return page_of(KIND, query, url_for("assessments.Assessments"), location,
                       listed_assessment)


@blp.route("/assessments/<string:assessment_id>")
class Assessment(MethodView):
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, StoredAssessmentSchema, description="The assessment as first answered, "
                  "with its id, when it was stored and its reference.")
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No assessment with this id that this key may see.")
    def get(self, assessment_id: str) -> Any:
        """A stored assessment, the same document that was first answered."""
        record = auth.store().get(KIND, assessment_id, owner=auth.owner())
        return json_response(stored_document(record))

    @blp.doc(security=auth.SECURITY)
    @blp.response(204, description="Deleted for good: its counts and document are gone.")
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No assessment with this id that this key may see.")
    def delete(self, assessment_id: str) -> Any:
        """Delete a stored assessment for good."""
        auth.store().delete(KIND, assessment_id, owner=auth.owner())
        return Response(status=204)


@blp.route("/assessments/<string:assessment_id>/replay")
class Replay(MethodView):
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, ReplaySchema, description=(
        "The stored counts priced under today's rules and engine (not stored), beside what "
        "changed from the document as filed."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No assessment with this id that this key may see.")
    @blp.problem(422, "The stored options no longer fit today's rules (e.g. a region or "
                      "platform the rules no longer hold).")
    def post(self, assessment_id: str) -> Any:
        """Replay a stored assessment under today's rules, with a diff of what changed."""
        record = auth.store().get(KIND, assessment_id, owner=auth.owner(), with_basis=True)
        filed = record.document or {}
        new = replay_assessment(basis_from_record(record),
                                current_app.extensions["calculator.lookup"]).to_document()
        return json_response({"id": record.id, "replayed_at": format_instant(datetime.now(UTC)),
                      "document": new, "changes": diff_documents(filed, new)})


@blp.route("/assessments/<string:assessment_id>/curve")
class StoredCurve(MethodView):
    @blp.arguments(CurvePointsSchema, location="query", as_kwargs=True)
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, CurveDocumentSchema, description=(
        "The trailing 24-hour count of the stored assessment's counted accesses, from its "
        "stored counts (the log is not sent again), under today's rules."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No assessment with this id that this key may see.")
    def get(self, assessment_id: str, points: int) -> Any:
        """The chart of a stored assessment: its trailing 24-hour post count over time."""
        record = auth.store().get(KIND, assessment_id, owner=auth.owner(), with_basis=True)
        return stored_curve_document(basis_from_record(record),
                                     current_app.extensions["calculator.lookup"], points)
