"""RFC 9457 problem details for every error the HTTP API returns.

Each problem ``type`` is a relative URI, ``/problems/{slug}``, that the service
itself documents; core errors keep their own slug, HTTP errors get one per status.
Nothing a user sees carries a traceback or a server path.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, json, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from calculator.errors import (
    CalculatorError,
    Conflict,
    InputTooLarge,
    InvalidArgument,
    InvalidInput,
    NotFound,
    NotInForce,
    RulesetError,
    StorageUnavailable,
    Unauthorized,
    shown_id,
)
from calculator.validation import flatten_messages

PROBLEM_MIMETYPE = "application/problem+json"

log = logging.getLogger(__name__)

_STATUS = {
    NotFound: 404,
    NotInForce: 404,
    InvalidArgument: 422,
    InvalidInput: 422,
    RulesetError: 500,
    Unauthorized: 401,
    Conflict: 409,
    InputTooLarge: 413,
    StorageUnavailable: 503,
}

# Headers a problem of that class carries (RFC 6750: a 401 names the scheme it wants).
_HEADERS = {
    Unauthorized: {"WWW-Authenticate": 'Bearer realm="calculator"'},
}

# What each problem type means, served at /problems/{slug} for whoever follows a type URI.
PROBLEM_TYPES: dict[str, str] = {
    "not-found": "The platform, document, clause or record named in the path is not known.",
    "not-in-force": "A recorded version of the document in force at that instant for that "
                    "region was read for the clause and does not hold it; checked_version names "
                    "it, first_in_force and last_in_force say when the clause was in force.",
    "not-recorded": "The rules do not cover the clause at that instant for that region: no "
                    "recorded version of the document was read for it then. This says nothing "
                    "of whether the clause existed; recorded_from and recorded_until give the "
                    "dates the rules cover it, first_in_force and last_in_force when it was in "
                    "force.",
    "invalid-argument": "A query or form parameter has a value the service cannot use; "
                        "errors[] names each parameter and what was expected.",
    "invalid-input": "The uploaded log or profile cannot be read; errors[] names the row or "
                     "line and the field, and what was expected.",
    "invalid-ruleset": "The rule files are broken; the service refuses to answer from them.",
    "bad-request": "The request itself is malformed.",
    "unauthorized": "A valid API key is needed: send Authorization: Bearer KEY.",
    "method-not-allowed": "This path does not accept that HTTP method.",
    "conflict": "The request conflicts with an earlier one (for example, an Idempotency-Key "
                "reused with another body).",
    "payload-too-large": "The request body, or its decompressed content, is larger than the "
                         "configured limit.",
    "unsupported-media-type": "The body's content type is not one this endpoint reads.",
    "validation-error": "A parameter failed validation; errors[] lists each one.",
    "budget-spent": "A reservation would put a window of the damages clause over the "
                    "budget's limit; Retry-After and retry_at say when the posts fit, "
                    "left_now how many fit now.",
    "storage-unavailable": "The database cannot be reached, or the service has no room to hold "
                           "the log while it reads it; retry later.",
    "job-abandoned": "An assessment job whose workers stopped (killed, out of memory, or unable "
                     "to read its upload) every time they took it up; it is not tried again. "
                     "Split the log by period and send the parts.",
    "webhook-target-refused": "The webhook URL is not one the service calls: only http and "
                              "https, no credentials in it, and no loopback, private or "
                              "link-local host unless the operator allows them "
                              "(WEBHOOKS_ALLOW_PRIVATE_TARGETS); detail says which.",
    "uri-too-long": "The request line (method, path and query) is longer than the server "
                    "accepts.",
    "header-fields-too-large": "The request has too many header fields, or one longer than "
                               "the server accepts.",
    "internal-error": "The service failed, or a request took longer than the server allows; "
                      "the failure was logged.",
}

_HTTP_SLUG = {
    400: "bad-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    414: "uri-too-long",
    422: "validation-error",
    431: "header-fields-too-large",
}


# The longest path the problem's ``instance`` repeats: the service's own paths are far shorter
# (a clause's history with its id, about 60 characters).
MAX_INSTANCE = 256


def http_slug(status: int) -> str:
    """The problem type of an HTTP error that has no core error behind it."""
    return _HTTP_SLUG.get(status, "bad-request" if status < 500 else "internal-error")


def problem(status: int, slug: str, title: str, detail: str,
            headers: dict[str, str] | None = None, **extensions: Any) -> Response:
    """A problem+json response. Its ``instance`` is the request's path, unless the path is
    longer than any of the service's own (a 5,000-character id): a path a caller made up is
    not sent back whole (decision 0156)."""
    path = request.path if request else None
    body = problem_body(status, slug, title, detail,
                        path if path is not None and len(path) <= MAX_INSTANCE else None,
                        **extensions)
    response = Response(body, status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_body(status: int, slug: str, title: str, detail: str, instance: str | None,
                 **extensions: Any) -> str:
    """A problem document as sent (also by answers made without a request context)."""
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status,
                            "detail": detail}
    if instance is not None:
        body["instance"] = instance
    body.update({k: v for k, v in extensions.items() if v is not None})
    return json.dumps(body)


def status_of(error: CalculatorError) -> int:
    for cls in type(error).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


def from_calculator_error(error: CalculatorError) -> Response:
    errors = [p.as_dict() for p in error.problems] or None
    headers = next((h for cls, h in _HEADERS.items() if isinstance(error, cls)), None)
    return problem(status_of(error), error.slug, error.title, error.detail, headers=headers,
                   errors=errors, **error.extensions)


def from_http_exception(error: HTTPException) -> Response:
    if isinstance(error, RequestEntityTooLarge):
        return too_large(error)
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = None
    detail = error.description or error.name
    messages = data.get("errors") or data.get("messages")
    if isinstance(messages, dict):
        # The caller's own keys are named as every problem names them (shortened: an
        # unknown key of a million characters came back twice, decision 0051).
        errors = [{"location": location, "field": ".".join(map(str, path)), "message": message}
                  for location, by_field in messages.items()
                  for path, message in flatten_messages(by_field)]
        # A message about the whole body (JSON that does not parse) has no field to name.
        detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"]
                           for e in errors) or detail
    elif data.get("message"):
        detail = data["message"]
    # The exception's own headers (405's Allow, RFC 9110), less the HTML content type.
    headers = {name: value for name, value in error.get_headers()
               if name.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return problem(status, http_slug(status), error.name, detail, headers=headers,
                   errors=errors)


# What to do about a body over the limit, unless the view said otherwise (body_limit).
_LOG_ADVICE = ("split the log by period and send the parts, or assess it with the command "
               "line (`calculator assess`), which has no size limit")


def body_limit(limit: int, advice: str) -> None:
    """Give this request's body its own size limit, and the advice its 413 carries."""
    request.max_content_length = limit
    g.body_limit_advice = advice


def too_large(error: RequestEntityTooLarge) -> Response:
    """413 that states the limit that was passed and what to do instead."""
    limit, length = request.max_content_length, request.content_length
    if limit is not None and (length is None or length > limit):
        advice = g.get("body_limit_advice", _LOG_ADVICE)
        detail = (f"the body is larger than the limit of {limit:,} bytes for "
                  f"{request.method} {request.path}; {advice}")
    else:
        # Within the body limit, so a multipart form field (not a file) or too many parts.
        detail = (f"a multipart form field is larger than {request.max_form_memory_size:,} "
                  f"bytes, or the form has more than {request.max_form_parts:,} parts; send "
                  "the log as the file field `log` and each option as a short field")
    # One problem type, one title: the core's, whichever layer found the body too large.
    return problem(413, InputTooLarge.slug, InputTooLarge.title, detail)


def register_problem_handlers(app: Flask) -> None:
    app.register_error_handler(CalculatorError, from_calculator_error)
    app.register_error_handler(RequestEntityTooLarge, too_large)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return from_http_exception(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "internal-error", "Internal Server Error",
                       "The service failed while answering; the failure was logged.")

    @app.get("/problems/<slug>")
    def _problem_type(slug: str) -> Response:
        if slug not in PROBLEM_TYPES:
            return problem(404, "not-found", "Not Found", f"No problem type '{shown_id(slug)}'.")
        return Response(json.dumps({"type": f"/problems/{slug}", "description":
                                    PROBLEM_TYPES[slug]}), mimetype="application/json")
