"""/v1/budgets: live budgets under a damages clause's threshold, and reservations.

A reservation answers 201 when the posts fit in every window (and records them), or 429
with ``Retry-After`` and a problem document saying how many posts are left now and when
the posts asked for fit. Every answer about a budget carries the IETF ``RateLimit-Policy``
and ``RateLimit`` headers (draft-ietf-httpapi-ratelimit-headers). See decision 0100.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request, stream_with_context, url_for
from flask.views import MethodView

from calculator.api import auth
from calculator.api.budgets.schemas import (
    BudgetCurveSchema,
    BudgetSchema,
    BudgetSpentSchema,
    CreateBudgetSchema,
    GiveBackSchema,
    GivenBackSchema,
    GrantSchema,
    RecordedSchema,
    ReservationSchema,
    UsageSchema,
)
from calculator.api.extensions import Blueprint
from calculator.api.problems import PROBLEM_MIMETYPE, problem_body
from calculator.api.records import json_response
from calculator.budget import Budgets, Standing
from calculator.budget.curve import budget_curve
from calculator.budget.limits import largest_threshold
from calculator.budget.log import csv_lines
from calculator.budget.results import Decision, Recorded, Reservation
from calculator.budget.store import NAME_PATTERN
from calculator.errors import FieldProblem, InvalidArgument
from calculator.timeutil import format_instant

blp = Blueprint("budgets", __name__, url_prefix="/v1",
                description="Live budgets: reserve posts before fetching them, so that no "
                            "window of the damages clause in force goes over its threshold.")
auth.protect(blp)

CLOCK = "BUDGET_CLOCK"  # app config: a callable giving now (tests inject one)

RATE_HEADERS = {
    "RateLimit-Policy": {"description": "The budget's policy: q posts per w seconds.",
                         "schema": {"type": "string"}},
    "RateLimit": {"description": "r posts left now; t seconds until more are left.",
                  "schema": {"type": "string"}},
}


def budgets() -> Budgets:
    return Budgets(auth.store().engine, current_app.extensions["calculator.lookup"],
                   auth.owner())


def now() -> datetime:
    return injected_now() or datetime.now(UTC)


def injected_now() -> datetime | None:
    """The test clock's now; None on a real clock, which a reservation reads itself once
    the budget is locked (decision 0114)."""
    clock = current_app.config.get(CLOCK)
    return clock() if clock is not None else None


def document(standing: Standing) -> dict[str, Any]:
    budget, limit = standing.budget, standing.limit
    body: dict[str, Any] = {
        "name": budget.name, "platform": budget.platform, "region": budget.region,
        "country": budget.country, "margin_percent": budget.margin_percent,
        "created_at": format_instant(budget.created_at), "at": format_instant(standing.at),
        "in_force": limit is not None,
        "limit": None if limit is None else {
            "posts": limit.posts, "threshold": limit.threshold,
            "margin_percent": limit.margin_percent, "window_seconds": limit.window,
            "clause": limit.clause, "version": limit.version.isoformat()},
        "used": standing.used, "left": standing.left,
        "refills_at": None if standing.refills_at is None else format_instant(
            standing.refills_at),
        "note": None}
    if limit is None:
        body["note"] = (f"no damages clause of {budget.platform} is in force now for the "
                        f"{budget.region} part: reservations are granted without limit")
    return body


def rate_headers(standing: Standing, retry_at: datetime | None = None) -> dict[str, str]:
    limit = standing.limit
    if limit is None:
        return {}
    until = retry_at or standing.refills_at
    seconds = 0 if until is None else max(0, math.ceil((until - standing.at).total_seconds()))
    left = standing.left or 0
    return {"RateLimit-Policy": f'"budget";q={limit.posts};w={limit.window}',
            "RateLimit": f'"budget";r={left};t={seconds}'}


# Path parameters as the service accepts them, so that generated and hand-written calls alike
# know a valid name before they send one.
NAME_PARAMETER = {"in": "path", "name": "name", "required": True, "schema": {
    "type": "string", "pattern": NAME_PATTERN, "maxLength": 64,
    "description": "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit."}}
RESERVATION_PARAMETER = {"in": "path", "name": "reservation", "required": True, "schema": {
    "type": "string", "pattern": "^[0-9a-f]{32}$",
    "description": "The id a returnable reservation answered with."}}
# A returnable reservation's answer leads to giving back what it did not use.
GIVE_BACK_LINK = {"GiveBack": {
    "operationRef": "#/paths/~1v1~1budgets~1{name}~1reservations~1{reservation}~1return/post",
    "parameters": {"name": "$request.path.name",
                   "reservation": "$response.body#/reservation/id"}}}


def document_the_largest_reservation(spec: Any, lookup: Any) -> None:
    """Say in the OpenAPI document how many posts one reservation can ask for: at most the
    largest threshold of a damages clause in the rules (more never fits any limit). The
    number comes from the rules the service runs, so it is set when the app is made."""
    largest = largest_threshold(lookup)
    if largest is None:
        return
    for name in ("Reservation", "GiveBack"):
        schema = spec.components.schemas.get(name)
        if schema is not None:
            schema["properties"]["posts"]["maximum"] = largest


# A name the budgets could not hold (check_name) is refused before it is looked up.
NAME_REFUSED = "The name is not 1 to 64 letters, digits, '.', '_' or '-', starting with one."


@blp.route("/budgets/<string:name>", parameters=[NAME_PARAMETER])
class Budget(MethodView):
    @blp.arguments(CreateBudgetSchema)
    @blp.doc(security=auth.SECURITY)
    @blp.response(201, BudgetSchema, headers=RATE_HEADERS, description=(
        "The budget, created, with its limit now (from the clause in force)."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "The platform is not in the rules.")
    @blp.problem(409, "This key has a budget of that name already.")
    @blp.problem(422, "A field has a value that cannot be used: which, and what was expected.")
    def put(self, body: dict[str, Any], name: str) -> Any:
        """Create a budget for a platform and region, with an optional safety margin."""
        store, at = budgets(), now()
        store.create(name, body["platform"], body.get("region"), body["margin_percent"], at)
        standing = store.standing(name, at)
        headers = {"Location": url_for("budgets.Budget", name=name), **rate_headers(standing)}
        return json_response(document(standing), 201, headers)

    @blp.doc(security=auth.SECURITY)
    @blp.response(200, BudgetSchema, headers=RATE_HEADERS, description=(
        "The limit in force now, the posts used in the trailing window and those left."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No budget of that name for this key.")
    @blp.problem(422, NAME_REFUSED)
    def get(self, name: str) -> Any:
        """A budget now: its limit, used and left, and the trailing count over the last
        window."""
        at = now()
        standing, rows = budgets().recent(name, at)
        window = standing.window or 86400
        curve = BudgetCurveSchema().dump(budget_curve(rows, at, window))
        return json_response({**document(standing), "curve": curve}, 200,
                             rate_headers(standing))

    @blp.doc(security=auth.SECURITY)
    @blp.response(204, description="Deleted, with its recorded usage.")
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No budget of that name for this key.")
    @blp.problem(422, NAME_REFUSED)
    def delete(self, name: str) -> Any:
        """Delete a budget and its recorded usage."""
        budgets().delete(name)
        return Response(status=204)


@blp.route("/budgets/<string:name>/reservations", parameters=[NAME_PARAMETER])
class Reservations(MethodView):
    @blp.arguments(ReservationSchema)
    @blp.doc(security=auth.SECURITY, responses={201: {"links": GIVE_BACK_LINK}})
    @blp.response(201, GrantSchema, headers=RATE_HEADERS, description=(
        "Granted: the posts are recorded at now; fetch them."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No budget of that name for this key.")
    @blp.problem(422, "posts is not a whole number from 1, or is more than the whole limit "
                      "(it would never fit: reserve fewer at a time).")
    @blp.problem(429, "Refused: the posts would put a window over the limit. Retry-After "
                      "says when they fit; left_now how many fit now.", BudgetSpentSchema)
    def post(self, body: dict[str, Any], name: str) -> Any:
        """Reserve posts before fetching them."""
        decision = budgets().reserve(name, body["posts"], injected_now(), body["returnable"])
        return reservation_answer(decision)


def reservation_answer(decision: Decision) -> Response:
    """201 with the budget after the grant, 429 with when the posts fit, or 422 for posts
    that never fit."""
    status, content_type, headers, body = reservation_parts(decision, request.path)
    return Response(body, status, headers, content_type=content_type)


def reservation_parts(decision: Decision, path: str
                      ) -> tuple[int, str, dict[str, str], bytes]:
    """A reservation's answer as status, content type, headers and body: 201 with the
    budget after the grant, 429 (a problem document, ``path`` its instance) with when the
    posts fit. Raises InvalidArgument (422) for posts that never fit. Made without Flask,
    so that the route and the lean way in front of it (decision 0119) answer byte for
    byte alike."""
    standing = decision.standing
    if decision.granted:
        answer = {"granted": True, "posts": decision.posts, **document(standing)}
        if decision.reservation is not None:
            answer["reservation"] = reservation_document(decision.reservation)
        # As Flask's JSON answers are: compact, ASCII, and a line end.
        body = json.dumps(answer, separators=(",", ":")).encode() + b"\n"
        return 201, "application/json", rate_headers(standing), body
    limit = standing.limit
    assert limit is not None  # a budget without limit grants everything
    if decision.never:
        message = (f"{decision.posts:,} posts are more than the whole limit of "
                   f"{limit.posts:,} posts per {limit.window:,} seconds; reserve fewer "
                   "at a time")
        raise InvalidArgument(f"posts: {message}",
                              problems=[FieldProblem(message, field="posts")])
    retry = decision.retry_after
    assert retry is not None
    seconds = max(1, math.ceil((retry - standing.at).total_seconds()))
    detail = (f"{decision.posts:,} posts now would put a {limit.window:,}-second window "
              f"over the limit of {limit.posts:,} posts ({limit.clause}); "
              f"{standing.left:,} posts are left now, and {decision.posts:,} fit from "
              f"{format_instant(retry)}")
    body = problem_body(429, "budget-spent", "Too Many Requests", detail, path,
                        posts=decision.posts, left_now=standing.left,
                        retry_at=format_instant(retry), limit=limit.posts,
                        window_seconds=limit.window)
    return 429, PROBLEM_MIMETYPE, {"Retry-After": str(seconds),
                                   **rate_headers(standing, retry)}, body.encode()


def reservation_document(reservation: Reservation) -> dict[str, Any]:
    return {"id": reservation.id, "posts": reservation.posts, "returned": reservation.returned,
            "kept": reservation.kept, "at": format_instant(reservation.at)}


def recorded_document(recorded: Recorded) -> dict[str, Any]:
    return {"posts": recorded.posts, "at": format_instant(recorded.at),
            "busiest": recorded.busiest, "over_by": recorded.over_by,
            "over_threshold_by": recorded.over_threshold_by}


@blp.route("/budgets/<string:name>/reservations/<string:reservation>/return",
           parameters=[NAME_PARAMETER, RESERVATION_PARAMETER])
class GiveBack(MethodView):
    @blp.arguments(GiveBackSchema)
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, GivenBackSchema, headers=RATE_HEADERS, description=(
        "Given back: the posts are taken off the second the reservation recorded them at."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No budget of that name for this key, or no returnable reservation "
                      "with that id within the last window.")
    @blp.problem(422, "posts is not a whole number from 1, or more than the reservation "
                      "still keeps.")
    def post(self, body: dict[str, Any], name: str, reservation: str) -> Any:
        """Give back the posts a returnable reservation did not use."""
        given, standing = budgets().give_back(name, reservation, body["posts"], now())
        return json_response({**document(standing),
                              "reservation": reservation_document(given)}, 200,
                             rate_headers(standing))


@blp.route("/budgets/<string:name>/usage", parameters=[NAME_PARAMETER])
class UsageRecords(MethodView):
    @blp.arguments(UsageSchema)
    @blp.doc(security=auth.SECURITY)
    @blp.response(201, RecordedSchema, headers=RATE_HEADERS, description=(
        "Recorded, even over the limit: `recorded.over_by` says how far the busiest window "
        "containing them is over the limit, `over_threshold_by` over the clause's threshold "
        "(damages are owed when it is above 0)."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No budget of that name for this key.")
    @blp.problem(422, "posts is not a whole number from 1, or at is not an instant with an "
                      "offset, or is later than now.")
    def post(self, body: dict[str, Any], name: str) -> Any:
        """Record posts fetched without asking: they count like reserved ones."""
        recorded = budgets().record(name, body["posts"], now(), body["at"])
        standing = recorded.standing
        return json_response({**document(standing), "recorded": recorded_document(recorded)},
                             201, rate_headers(standing))


@blp.route("/budgets/<string:name>/log", parameters=[NAME_PARAMETER])
class Log(MethodView):
    @blp.doc(security=auth.SECURITY, responses={"200": {
        "description": "The recorded usage, oldest first, as CSV (timestamp,platform,posts; "
                       "one row per second with posts): a crawl log the calculator assesses "
                       "like any other.",
        "content": {"text/csv": {"schema": {"type": "string"}}}}})
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No budget of that name for this key.")
    @blp.problem(422, NAME_REFUSED)
    def get(self, name: str) -> Any:
        """The recorded usage as a crawl log (CSV), streamed."""
        store = budgets()
        platform = store.get(name).platform
        chunks = store.log_chunks(name)
        return Response(stream_with_context(csv_lines(platform, chunks)),
                        mimetype="text/csv", headers={
                            "Content-Disposition": f'attachment; filename="{name}.csv"'})
