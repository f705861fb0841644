"""Reservations answered in front of Flask, as plain WSGI.

A crawler fleet sends a reservation before every fetch, so ``POST
/v1/budgets/{name}/reservations`` is the service's hottest call. For the ordinary request
(a bearer key, a JSON object with a whole ``posts`` and perhaps a boolean ``returnable``),
``LeanReservations`` answers it before Flask makes a request context: the same store call
and the same answer, byte for byte (``routes.reservation_parts``), with the key checked in
the reservation's own database call. Anything else (another path or method, another
content type, a field the route would refuse, no key, a key or budget the call does not
accept, posts that never fit) goes on to Flask and its route, which answers it as before:
the lean way only ever answers 201 or 429, and it records nothing when it leaves a request
to the route. See docs/decisions/0113-the-lean-reservation-route.md and
0119-reservations-in-front-of-flask.md.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES

from calculator.api import auth
from calculator.api.budgets.routes import CLOCK, reservation_parts
from calculator.api.budgets.schemas import MAX_POSTS
from calculator.budget import Budgets
from calculator.budget.records import NAME_PATTERN
from calculator.errors import CalculatorError
from calculator.storage.keys import KEY_PATTERN, digest

_PATH = re.compile(r"/v1/budgets/(" + NAME_PATTERN.strip("^$") + r")/reservations")
_FIELDS = frozenset(("posts", "returnable"))
_BODY_LIMIT = 4096  # a reservation's body is a few dozen bytes; a larger one takes the route
_OWNERS_KEPT = 4096  # whose each key is, for this many keys per worker (never whether valid)
_STATUS = {code: f"{code} {HTTP_STATUS_CODES[code].upper()}" for code in (201, 429)}

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def serve_reservations_leanly(app: Flask, revision: str) -> None:
    """Answer ordinary reservations in front of the app (``revision``: the ruleset's, which
    every answer names in ``X-Ruleset-Revision``)."""
    app.wsgi_app = LeanReservations(app, app.wsgi_app, revision)  # type: ignore[method-assign]


class LeanReservations:
    """WSGI middleware: ordinary reservations answered here, everything else by ``inner``."""

    def __init__(self, app: Flask, inner: WSGIApp, revision: str) -> None:
        self.app, self.inner, self.revision = app, inner, revision
        self.owners: dict[str, str] = {}  # key digest -> whose key it is

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            found = _PATH.fullmatch(environ.get("PATH_INFO", ""))
            if found is not None:
                try:
                    answer = self.answer(environ, found[1])
                except Exception as exc:  # answered as Flask answers it
                    return self.failed(environ, start_response, exc)
                if answer is not None:
                    status, content_type, headers, body = answer
                    start_response(_STATUS[status], [
                        ("Content-Type", content_type), ("Content-Length", str(len(body))),
                        *headers.items(), ("X-Ruleset-Revision", self.revision)])
                    return [body]
        return self.inner(environ, start_response)

    def answer(self, environ: Environ, name: str
               ) -> tuple[int, str, dict[str, str], bytes] | None:
        """The answer to this reservation, or None to leave it to the route (its body put
        back to be read again)."""
        key = bearer_key(environ)
        if key is None or not _json_content(environ):
            return None
        length = _content_length(environ)
        if length is None:
            return None
        data = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(data)  # the route reads it again if it answers
        body = reservation_body(data)
        if body is None:
            return None
        store = self.app.extensions[auth.STORE]
        if not store.keys.any():
            return None  # an open service: the route's key check says what the call sees
        hashed = digest(key)
        owner = self.owners.get(hashed)
        if owner is None:
            # Whose key it is: kept, since a key's name never changes. Whether it is still
            # active is checked by the reservation's own call, every time.
            owner = store.keys.verify(key)
            if owner is None:
                return None
            if len(self.owners) >= _OWNERS_KEPT:
                self.owners.clear()
            self.owners[hashed] = owner
        budgets = Budgets(store.engine, self.app.extensions["calculator.lookup"], owner, hashed)
        clock = self.app.config.get(CLOCK)
        try:
            decision = budgets.reserve(name, body["posts"], clock() if clock else None,
                                       body.get("returnable", False))
            return reservation_parts(decision, environ["PATH_INFO"])
        except CalculatorError:
            # Refused before anything was recorded (a revoked key, no such budget, posts that
            # never fit): the route answers it, with its problem document.
            self.owners.pop(hashed, None)
            return None

    def failed(self, environ: Environ, start_response: StartResponse,
               error: Exception) -> Iterable[bytes]:
        """An unexpected failure (the database gone, say), answered by the app's own error
        handlers and after-request hooks, as if it had happened in the route."""
        with self.app.request_context(environ):
            try:
                answer = self.app.handle_user_exception(error)
            except Exception as unhandled:  # Flask's last resort answers it
                answer = self.app.handle_exception(unhandled)
            response = self.app.finalize_request(answer, from_error_handler=True)
        return response(environ, start_response)


def bearer_key(environ: Environ) -> str | None:
    """The key of an ``Authorization: Bearer`` header in the form keys have, or None."""
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not KEY_PATTERN.match(token):
        return None
    return token


def _json_content(environ: Environ) -> bool:
    return environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() == \
        "application/json"


def _content_length(environ: Environ) -> int | None:
    """The body's declared length when it is small enough to be an ordinary reservation."""
    if environ.get("HTTP_TRANSFER_ENCODING"):
        return None
    declared = environ.get("CONTENT_LENGTH", "")
    if not declared.isdigit() or not declared.isascii():
        return None
    length = int(declared)
    return length if length <= _BODY_LIMIT else None


def reservation_body(data: bytes) -> dict[str, Any] | None:
    """The body when it is a JSON object the route would take as it is, or None."""
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict) or not body.keys() <= _FIELDS:
        return None
    posts, returnable = body.get("posts"), body.get("returnable", False)
    if type(posts) is not int or not 1 <= posts <= MAX_POSTS or type(returnable) is not bool:
        return None
    return body
