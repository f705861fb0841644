"""API keys on HTTP: once a key exists, calls need ``Authorization: Bearer KEY``.

Before the first key is created the service is open (a laptop, a trial): calls are
anonymous and see the records made anonymously. ``calculator keys create`` closes it:
from then on each protected call must carry an active key, and sees only the records
of that key's name. Rule lookups stay open unless ``REQUIRE_KEY_FOR_RULES`` is set.
The key is read from the header only (never a query string, which servers log) and is
never logged or echoed.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, request

from calculator.errors import Unauthorized
from calculator.storage import Store
from calculator.storage.keys import KEY_NOT_VALID

STORE = "calculator.store"
SECURITY = [{"apiKey": []}]  # the OpenAPI requirement of a protected operation
SECURITY_SCHEME = {
    "type": "http", "scheme": "bearer",
    "description": "An API key from `calculator keys create NAME`, sent as "
                   "`Authorization: Bearer KEY`. Needed once any key exists, for "
                   "assessments, their curves and reviews; each key sees only the records "
                   "made with its name (records made before the first key belong to no key "
                   "until `calculator keys claim NAME`)."}


def store() -> Store:
    return current_app.extensions[STORE]


def owner() -> str | None:
    """The name of the key of this request, or None when no key exists (open service)."""
    return g.get("calculator_owner")


def require_key() -> None:
    """A ``before_request`` hook: refuse, with 401 problem details, a call without a valid
    key once any key exists."""
    keys = store().keys
    if not keys.any():
        g.calculator_owner = None
        return
    scheme, _, token = (request.headers.get("Authorization") or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("this service needs an API key since one was created: send "
                           "Authorization: Bearer KEY. Assessments, their curves and reports, "
                           "and reviews all need it; each key sees only its own records")
    name = keys.verify(token)
    if name is None:
        raise Unauthorized(KEY_NOT_VALID)
    g.calculator_owner = name


def protect(blueprint: Blueprint) -> None:
    blueprint.before_request(require_key)


def refuse_basic_credentials(app: Flask) -> None:
    """Refuse HTTP Basic on every request, open service or not: a key sent as a Basic user
    name or password is a mistake the caller must hear about, not a header to ignore."""

    @app.before_request
    def _no_basic() -> None:
        scheme = (request.headers.get("Authorization") or "").strip().partition(" ")[0]
        if scheme.lower() == "basic":
            raise Unauthorized("HTTP Basic credentials are not accepted: send the API key as "
                               "Authorization: Bearer KEY")


def guard_rule_lookups(app: Flask, blueprint_name: str) -> None:
    """Rule lookups need a key too when the app's REQUIRE_KEY_FOR_RULES is set."""

    @app.before_request
    def _rules_need_a_key() -> None:
        if app.config.get("REQUIRE_KEY_FOR_RULES") and request.blueprint == blueprint_name:
            require_key()
