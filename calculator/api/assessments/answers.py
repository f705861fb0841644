"""How POST /v1/assessments answers: assessed inside the request (201), or kept as a job
(202), or held as it arrives when its length is not said; a retry with the same
Idempotency-Key answers what the first request stored (decision 0022)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import BinaryIO

from flask import Response, current_app, url_for

from calculator.api.assessments.log_request import (
    Log,
    max_content,
    parse_options,
    parse_reference,
    request_log,
)
from calculator.api.jobs.routes import (
    discard,
    job_limit,
    job_response,
    job_url,
    jobs,
    limit_body_for_a_job,
    new_job_id,
    prefers_async,
    spool,
)
from calculator.api.records import created
from calculator.damages.assessment import assess
from calculator.errors import InputTooLarge
from calculator.ingest.many import digest_of_files
from calculator.ingest.source import open_source
from calculator.jobs.options import options_to_json, refuse_early
from calculator.jobs.queue import Job
from calculator.jobs.uploads import hold
from calculator.storage import Store
from calculator.storage.assessments import KIND, request_fingerprint, save_assessment
from calculator.storage.repository import IdempotencyConflict, Record


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


def job_advice() -> str:
    limit = job_limit()
    return (f"split the log by period and send the parts, or send it with the header "
            f"`Prefer: respond-async` to have it assessed as a job (GET /v1/jobs/{{id}} tells "
            f"its progress), which takes logs of up to {limit:,} bytes "
            f"({limit / 2**30:,.1f} GiB)")


def _same_request(earlier: Record | Job, fingerprint: str) -> None:
    if fingerprint != earlier.request_hash:
        raise IdempotencyConflict()


def submit_job(key: str | None, store: Store, owner: str | None,
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
    if not made:
        discard(kept)
        return _replayed_job(job, store, owner)
    headers = {"Location": job_url(job.id)}
    if prefers_async():
        headers["Preference-Applied"] = "respond-async"
    return job_response(job, 202, headers)


def _replayed_job(job: Job, store: Store, owner: str | None) -> Response:
    """The answer to a retry of the request that queued ``job``: its assessment once done
    (201), else the job (202)."""
    if job.state == "done" and job.assessment_id:
        return _created(store.get(KIND, job.assessment_id, owner=owner), replayed=True)
    headers = {"Location": job_url(job.id), "Idempotent-Replayed": "true"}
    if prefers_async():
        headers["Preference-Applied"] = "respond-async"
    return job_response(job, 202, headers)


def measured_as_it_arrives(key: str | None, store: Store, owner: str | None,
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
        answer = (submit_job(key, store, owner, log) if over
                  else assess_in_request(key, store, owner, log))
    return answer


def assess_in_request(key: str | None, store: Store, owner: str | None,
                      log: Log) -> Response:
    """Assess the log inside the request and store it: 201 with its Location."""
    stream, fmt, form, name = log
    reference = parse_reference(form)
    options = parse_options(form)
    if key is not None:
        earlier = store.find_by_idempotency_key(KIND, key, owner=owner)
        # A key first used for a job (sent as one, or over the size for an answer in the
        # request) names that job until its assessment is stored: a retry in the request
        # assessed the log again and stored a second assessment under the same key.
        queued = None if earlier is not None else jobs().find_by_idempotency_key(owner, key)
        if earlier is not None or queued is not None:
            fingerprint = request_fingerprint(_digest_only(stream, name), options, reference,
                                              fmt)
            if earlier is not None:
                _same_request(earlier, fingerprint)
                return _created(earlier, replayed=True)
            _same_request(queued, fingerprint)
            return _replayed_job(queued, store, owner)
    try:
        result = assess(stream, rules=current_app.extensions["calculator.lookup"],
                        name=name, format_hint=fmt, max_bytes=max_content(), **options)
    except InputTooLarge as exc:
        raise InputTooLarge(f"{exc.detail}; or {job_advice().split(', or ', 1)[1]}",
                            **exc.extensions) from None
    fingerprint = (None if key is None else
                   request_fingerprint(result.input.sha256, options, reference, fmt))
    saved = save_assessment(store, result, owner=owner, reference=reference,
                            idempotency_key=key, request_hash=fingerprint)
    return _created(saved.record, replayed=not saved.created)

