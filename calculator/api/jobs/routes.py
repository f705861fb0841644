"""/v1/jobs: assessment jobs, made by ``POST /v1/assessments`` for big uploads.

A job is made when the body is over ``ASYNC_ABOVE`` bytes (32 MiB by default) or the
request says ``Prefer: respond-async``: the upload is kept on disk (or object storage) as it
arrives, the answer is 202 with the job's ``Location``, and a worker assesses it. See
docs/decisions/0093-assessment-jobs.md.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, BinaryIO

from flask import Response, current_app, request, url_for
from flask.views import MethodView

from calculator.api import auth
from calculator.api.extensions import Blueprint
from calculator.api.jobs.schemas import JobListQuerySchema, JobPageSchema, JobSchema
from calculator.api.problems import _STATUS, body_limit
from calculator.api.records import json_response, page_document, pinned_instant
from calculator.errors import CalculatorError
from calculator.jobs.queue import Job, Jobs
from calculator.jobs.uploads import Spooled, Uploads, delete_upload
from calculator.timeutil import format_instant

blp = Blueprint("jobs", __name__, url_prefix="/v1",
                description="Assessment jobs: big logs assessed by a worker, not inside the "
                            "request. POST /v1/assessments makes them.")
auth.protect(blp)

POLL_SECONDS = 1  # Retry-After while a job is queued or running


def jobs() -> Jobs:
    return Jobs(auth.store().engine)


def uploads() -> Uploads:
    """The uploads folder: JOB_UPLOADS (a path or an fsspec URL), else the instance's
    ``jobs/``."""
    return Uploads(current_app.config.get("JOB_UPLOADS")
                   or os.path.join(current_app.instance_path, "jobs"))


def prefers_async() -> bool:
    """Whether the request says ``Prefer: respond-async`` (RFC 7240)."""
    for header in request.headers.getlist("Prefer"):
        for preference in header.split(","):
            if preference.split(";", 1)[0].strip().lower() == "respond-async":
                return True
    return False


def async_threshold() -> int | None:
    """The body size past which a log becomes a job without asking: ASYNC_ABOVE, or the
    limit of a request if lower (only a job could take more); None: never by size."""
    threshold = current_app.config.get("ASYNC_ABOVE")
    if threshold is None:
        return None
    return min(threshold, current_app.config["MAX_CONTENT_LENGTH"])


def wants_job() -> bool:
    """A job when the client prefers one, or for a body whose length is said to be over
    ``async_threshold`` (a body whose length is not said is measured as it arrives)."""
    if prefers_async():
        return True
    threshold, length = async_threshold(), request.content_length
    return threshold is not None and length is not None and length > threshold


def job_limit() -> int:
    return current_app.config["JOB_MAX_CONTENT_LENGTH"]


def limit_body_for_a_job() -> None:
    limit = job_limit()
    body_limit(limit, f"a job takes logs of up to {limit:,} bytes ({limit / 2**30:,.1f} GiB); "
                      "split the log by period and send the parts, or assess it with the "
                      "command line (`calculator assess`), which has no size limit")


def new_job_id() -> str:
    return uuid.uuid4().hex


def spool(streams: BinaryIO | list[BinaryIO], job_id: str) -> list[Spooled]:
    """Keep the upload (each file of it) for the worker, in blocks, within the job limit."""
    kept: list[Spooled] = []
    folder = uploads()
    try:
        for index, stream in enumerate(streams if isinstance(streams, list) else [streams]):
            kept.append(folder.spool(stream, f"{job_id}-{index}.log", job_limit()))
    except BaseException:
        discard(kept)
        raise
    return kept


def discard(kept: list[Spooled]) -> None:
    for spooled in kept:
        delete_upload(spooled.location)


def job_url(job_id: str) -> str:
    return url_for("jobs.AssessmentJob", job_id=job_id)


def _status_of_slug(slug: str) -> int:
    """The HTTP status a request would have answered with a core error of this type."""
    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    for cls in subclasses(CalculatorError):
        if getattr(cls, "slug", None) == slug:
            return next((_STATUS[k] for k in cls.__mro__ if k in _STATUS), 400)
    return 500


def job_document(job: Job) -> dict[str, Any]:
    def instant(value: Any) -> str | None:
        return None if value is None else format_instant(value)

    total = job.upload_bytes
    read = total if job.state == "done" else min(job.bytes_read, total)
    problem = job.problem
    if problem is not None and "status" not in problem:
        problem = {**problem, "status": _status_of_slug(problem["type"].rsplit("/", 1)[-1])}
    if problem is not None:
        problem = {**problem, "instance": job_url(job.id)}
    return {"id": job.id, "state": job.state, "phase": job.phase,
            "created_at": instant(job.created_at), "started_at": instant(job.started_at),
            "updated_at": instant(job.updated_at), "finished_at": instant(job.finished_at),
            "reference": job.reference, "attempts": job.attempts,
            "progress": {"bytes_read": read, "bytes_total": total, "rows_read": job.rows_read,
                         "percent": 100 if not total else read * 100 // total},
            "assessment": None if job.assessment_id is None else url_for(
                "assessments.Assessment", assessment_id=job.assessment_id),
            "problem": problem}


def job_response(job: Job, status: int = 200, headers: dict[str, str] | None = None
                 ) -> Response:
    extra = dict(headers or {})
    if not job.ended:
        extra["Retry-After"] = str(POLL_SECONDS)
    return json_response(JobSchema().dump(job_document(job)), status, extra)


@blp.route("/jobs")
class AssessmentJobs(MethodView):
    @blp.arguments(JobListQuerySchema, location="query")
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, JobPageSchema, description=(
        "A page of this key's jobs, newest first (by when they were made), each as GET "
        "/v1/jobs/{id} answers it. Page with `page` (from 1) and `page_size` (1 to 100), or "
        "follow `links.next`; `total` counts every job that matches the filter. Ended jobs "
        "are listed until the workers delete them (30 days after they ended by default)."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    def get(self, query: dict[str, Any]) -> Any:
        """List this key's assessment jobs, newest first, optionally by state."""
        states = None if query["state"] is None else tuple(dict.fromkeys(query["state"]))
        page = jobs().list(auth.owner(), states=states, created_to=query["created_to"],
                           page=query["page"], page_size=query["page_size"])
        items = [{**job_document(job), "href": job_url(job.id)} for job in page.items]
        filters = {} if states is None else {"state": list(states)}
        return {"items": items, **page_document(page, url_for("jobs.AssessmentJobs"),
                                                filters, pinned_instant(query))}


@blp.route("/jobs/<string:job_id>")
class AssessmentJob(MethodView):
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, JobSchema, headers={"Retry-After": {
        "description": "While queued or running: seconds before asking again.",
        "schema": {"type": "integer"}}}, description=(
        "Where the job stands: state, phase and progress; once done, the assessment's URL; "
        "once failed, the problem a request would have answered."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No job with this id that this key may see.")
    def get(self, job_id: str) -> Any:
        """Where an assessment job stands."""
        return job_response(jobs().get(job_id, auth.owner()))

    @blp.doc(security=auth.SECURITY)
    @blp.response(200, JobSchema, description=(
        "Cancelled: its worker stops at its next progress report, its upload is deleted and "
        "no assessment is stored."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No job with this id that this key may see.")
    @blp.problem(409, "The job has ended (done, failed or cancelled): nothing to cancel.")
    def delete(self, job_id: str) -> Any:
        """Cancel a queued or running job."""
        job = jobs().cancel(job_id, auth.owner())
        for location in job.uploads:
            delete_upload(location)
        jobs().forget_upload(job.id)
        return job_response(job)
