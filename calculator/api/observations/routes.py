"""/v1/observations, /v1/changes and /feeds/changes.atom: what the watch saw, and one feed
of every change (the rules' versions and the observations)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, request, url_for
from flask.views import MethodView

from calculator.api import auth
from calculator.api.extensions import Blueprint
from calculator.api.observations.schemas import (
    ChangesQuerySchema,
    ChangesSchema,
    ObservationPageSchema,
    ObservationQuerySchema,
    ObservationWithDiffSchema,
)
from calculator.timeutil import format_instant
from calculator.watch import atom, feed
from calculator.watch.observations import Observations

blp = Blueprint("observations", __name__, url_prefix="",
                description="What the watch saw in the terms archive, and one change feed of "
                            "the rules and the observations (also as Atom).")

READ_ENDPOINTS = ("observations.ObservationList", "observations.ObservationById",
                  "observations.Changes", "observations.atom_feed")


def observations() -> Observations:
    return Observations(auth.store().engine)


def _read_guard() -> None:
    # Observations are facts about a public archive, open like the rule lookups unless the
    # operator closes those (REQUIRE_KEY_FOR_RULES).
    if request.endpoint in READ_ENDPOINTS:
        if current_app.config.get("REQUIRE_KEY_FOR_RULES"):
            auth.require_key()
    else:
        auth.require_key()


blp.before_request(_read_guard)


# Decision 0160: a filter that can never match is a typo, not a quiet feed.
_FILTER_NOT_FOUND = ("The platform, document or clause filter names nothing the rules "
                     "hold.")


@blp.route("/v1/observations")
class ObservationList(MethodView):
    @blp.arguments(ObservationQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ObservationPageSchema, description="Newest capture first.")
    @blp.problem(404, description=_FILTER_NOT_FOUND)
    def get(self, platform: str | None, document: str | None, state: str | None,
            since: Any, page: int, page_size: int) -> Any:
        """Observations of tracked documents, filtered by platform, document, state and
        capture date."""
        feed.check_filters(current_app.extensions["calculator.lookup"], platform, document,
                           None)
        found = observations().list(platform=platform, document=document, state=state,
                                    since=since, page=page, page_size=page_size)
        return {"items": found.items, "page": found.page, "page_size": found.page_size,
                "total": found.total, "pages": found.pages}


@blp.route("/v1/observations/<string:observation_id>")
class ObservationById(MethodView):
    @blp.response(200, ObservationWithDiffSchema)
    @blp.problem(404, "No observation with this id.")
    def get(self, observation_id: str) -> Any:
        """One observation with its paragraph-level diff against the last checked capture."""
        return observations().get(observation_id)


@blp.route("/v1/observations/<string:observation_id>/acknowledge")
class Acknowledge(MethodView):
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, ObservationWithDiffSchema, description=(
        "The observation, acknowledged (by this key). Acknowledging again, or an encoded "
        "observation, changes nothing."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No observation with this id.")
    def post(self, observation_id: str) -> Any:
        """Say that a person has seen an observation."""
        return observations().acknowledge(observation_id, by=auth.owner())


def _changes(query: dict[str, Any]) -> dict[str, Any]:
    return feed.changes(current_app.extensions["calculator.lookup"], observations(), **query)


@blp.route("/v1/changes")
class Changes(MethodView):
    @blp.arguments(ChangesQuerySchema, location="query")
    @blp.response(200, ChangesSchema)
    @blp.problem(404, description=_FILTER_NOT_FOUND)
    def get(self, query: dict[str, Any]) -> Any:
        """Every change in time order: document and clause versions from the rules (with
        old and new parameters) and the watch's observations."""
        return _changes(query)


@blp.route("/feeds/changes.atom")
@blp.arguments(ChangesQuerySchema, location="query")
@blp.response(200, description="An Atom feed (RFC 4287), newest entry first.",
              content_type="application/atom+xml")
@blp.problem(404, description=_FILTER_NOT_FOUND)
def atom_feed(query: dict[str, Any]) -> Response:
    """The change feed as Atom, with the same filters, for any feed reader."""
    base = request.host_url.rstrip("/")
    # The self link is rebuilt from the filters as understood, never copied from the request.
    shown = {k: (format_instant(v) if k == "since" else v) for k, v in query.items()
             if v is not None and not (k == "limit" and v == 100)}
    self_url = base + url_for("observations.atom_feed") + (f"?{urlencode(shown)}" if shown
                                                            else "")
    body = atom.render(_changes(query), base_url=base, self_url=self_url,
                       title="Scraping cost calculator: changes of the terms and the rules")
    return Response(body, mimetype="application/atom+xml")
