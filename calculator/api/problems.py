"""RFC 9457 problem details for every error the HTTP API returns.

Each problem ``type`` is a relative URI, ``/problems/{slug}``, that the service
itself documents; core errors keep their own slug, HTTP errors get one per status.
Nothing a user sees carries a traceback or a server path.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

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
)

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
    "not-in-force": "The clause exists but no version of it was in force at that instant for "
                    "that region; first_in_force and last_in_force say when one was.",
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
    "storage-unavailable": "The database cannot be reached; retry later.",
    "internal-error": "The service failed; the failure was logged with the request's id.",
}

_HTTP_SLUG = {
    400: "bad-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
}


def problem(status: int, slug: str, title: str, detail: str,
            headers: dict[str, str] | None = None, **extensions: Any) -> Response:
    """A problem+json response."""
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail,
            "instance": request.path if request else None}
    body.update({k: v for k, v in extensions.items() if v is not None})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


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
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = None
    detail = error.description or error.name
    messages = data.get("errors") or data.get("messages")
    if isinstance(messages, dict):
        errors = [{"location": location, "field": field, "message": message}
                  for location, by_field in messages.items()
                  for field, message in _flatten(by_field)]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or detail
    elif data.get("message"):
        detail = data["message"]
    return problem(status, _HTTP_SLUG.get(status, "bad-request" if status < 500 else
                                          "internal-error"),
                   error.name, detail, headers=data.get("headers"), errors=errors)


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        pairs = []
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            pairs.extend(_flatten(value, name))
        return pairs
    if isinstance(messages, list):
        return [(prefix, str(m)) for m in messages]
    return [(prefix, str(messages))]


def register_problem_handlers(app: Flask) -> None:
    app.register_error_handler(CalculatorError, from_calculator_error)

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
            return problem(404, "not-found", "Not Found", f"No problem type '{slug}'.")
        return Response(json.dumps({"type": f"/problems/{slug}", "description":
                                    PROBLEM_TYPES[slug]}), mimetype="application/json")
