"""Reservations answered before the framework's argument and response machinery.

A crawler fleet sends a reservation before every fetch, so ``POST
/v1/budgets/{name}/reservations`` is the service's hottest call. For the ordinary request
(a bearer key, a JSON object with a whole ``posts`` and perhaps a boolean ``returnable``)
a ``before_request`` hook answers it directly: the same store call and the same answer
document as the route, without flask-smorest's argument parsing and response wrapping,
and with the key checked in the reservation's own database call. Anything else (another
content type, a field the route would refuse, no key, a key or budget the call does not
accept, posts that never fit) is left to the route, which answers it as before: the lean
way only ever answers 201 or 429, and it records nothing when it leaves a request to the
route. See docs/decisions/0113-the-lean-reservation-route.md.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, current_app, request

from calculator.api import auth
from calculator.api.budgets.routes import injected_now, reservation_answer
from calculator.api.budgets.schemas import MAX_POSTS
from calculator.budget import Budgets
from calculator.errors import CalculatorError
from calculator.storage.keys import KEY_PATTERN, digest

ENDPOINT = "budgets.Reservations"
_FIELDS = frozenset(("posts", "returnable"))
_BODY_LIMIT = 4096  # a reservation's body is a few dozen bytes; a larger one takes the route
_OWNERS = "calculator.key_owners"
_OWNERS_KEPT = 4096  # whose each key is, for this many keys per worker (never whether valid)


def serve_reservations_leanly(app: Flask) -> None:
    """Answer ordinary reservations in a ``before_request`` hook (registered after the
    hooks that must see every request, such as the refusal of HTTP Basic)."""
    app.extensions[_OWNERS] = {}

    @app.before_request
    def _lean_reservation() -> Response | None:
        if request.endpoint != ENDPOINT or request.method != "POST":
            return None
        return lean_reservation()


def lean_reservation() -> Response | None:
    """The answer to this reservation, or None to leave it to the route."""
    key = bearer_key()
    body = reservation_body()
    if key is None or body is None:
        return None
    store = auth.store()
    if not store.keys.any():
        return None  # an open service: the route's key check says what the call sees
    owners: dict[str, str] = current_app.extensions[_OWNERS]
    hashed = digest(key)
    owner = owners.get(hashed)
    if owner is None:
        # Whose key it is: kept, since a key's name never changes. Whether it is still
        # active is checked by the reservation's own call, every time.
        owner = store.keys.verify(key)
        if owner is None:
            return None
        if len(owners) >= _OWNERS_KEPT:
            owners.clear()
        owners[hashed] = owner
    budgets = Budgets(store.engine, current_app.extensions["calculator.lookup"], owner, hashed)
    name = (request.view_args or {})["name"]
    try:
        return reservation_answer(budgets.reserve(name, body["posts"], injected_now(),
                                                  body.get("returnable", False)))
    except CalculatorError:
        # Refused before anything was recorded (a revoked key, no such budget, posts that
        # never fit): the route answers it, with its problem document.
        owners.pop(hashed, None)
        return None


def bearer_key() -> str | None:
    """The key of an ``Authorization: Bearer`` header in the form keys have, or None."""
    scheme, _, token = (request.headers.get("Authorization") or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not KEY_PATTERN.match(token):
        return None
    return token


def reservation_body() -> dict[str, Any] | None:
    """The body when it is a JSON object the route would take as it is, or None."""
    if request.mimetype != "application/json":
        return None
    length = request.content_length
    if length is None or length > _BODY_LIMIT:
        return None
    try:
        body = json.loads(request.get_data())
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict) or not body.keys() <= _FIELDS:
        return None
    posts, returnable = body.get("posts"), body.get("returnable", False)
    if type(posts) is not int or not 1 <= posts <= MAX_POSTS or type(returnable) is not bool:
        return None
    return body
