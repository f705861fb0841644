"""/v1/assessments: assess a crawl log and keep the answer; find, list, replay, delete it.

POST stores every assessment and answers 201 with its Location. With an
``Idempotency-Key`` a retry of the same request returns the first assessment instead
of storing a second; the same key with another request is 409 (docs/decisions/0022).
How a request carries its log is in ``log_request``, how POST answers in ``answers``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request, url_for
from flask.views import MethodView
from marshmallow import EXCLUDE

from calculator.api import auth
from calculator.api.assessments.answers import (
    assess_in_request,
    job_advice,
    location,
    measured_as_it_arrives,
    submit_job,
)
from calculator.api.assessments.log_request import REQUEST_BODY, request_log
from calculator.api.assessments.schemas import CreateAssessmentQuerySchema, RecordListQuerySchema
from calculator.api.curves.schemas import CurvePointsSchema
from calculator.api.extensions import Blueprint
from calculator.api.jobs.routes import async_threshold, jobs, wants_job
from calculator.api.jobs.schemas import JobSchema
from calculator.api.problems import body_limit
from calculator.api.records import idempotency_key, idempotency_parameter, json_response, page_of
from calculator.damages.assessment import replay as replay_assessment
from calculator.damages.curve import stored_curve_document
from calculator.damages.diff import diff_documents
from calculator.schemas.curve import CurveDocumentSchema
from calculator.schemas.stored import AssessmentPageSchema, ReplaySchema, StoredAssessmentSchema
from calculator.storage.assessments import (
    KIND,
    basis_from_record,
    listed_assessment,
    stored_document,
)
from calculator.timeutil import format_instant

blp = Blueprint("assessments", __name__, url_prefix="/v1",
                description="Assess crawl logs against a platform's damages clause, and keep "
                            "the assessments: find, list, replay and delete them.")
auth.protect(blp)

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


@blp.route("/assessments")
class Assessments(MethodView):
    @blp.arguments(CreateAssessmentQuerySchema, location="query", as_kwargs=True,
                   unknown=EXCLUDE)  # refused with the form's options, in their words
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
            return submit_job(key, store, owner)
        threshold = async_threshold()
        if request.content_length is None and threshold is not None:
            return measured_as_it_arrives(key, store, owner, threshold)
        body_limit(current_app.config["MAX_CONTENT_LENGTH"], job_advice())
        return assess_in_request(key, store, owner, request_log())

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
        jobs().release_key_of(assessment_id)
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
