"""/v1/reviews: review a usage profile and keep the review; find, list and delete it."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, url_for
from flask.views import MethodView
from werkzeug.exceptions import UnsupportedMediaType

from calculator.api import auth
from calculator.api.assessments.schemas import RecordListQuerySchema
from calculator.api.extensions import Blueprint
from calculator.api.problems import body_limit
from calculator.api.records import (
    created,
    idempotency_key,
    idempotency_parameter,
    json_response,
    page_of,
)
from calculator.errors import shown_id
from calculator.review import ProfileSchema, review
from calculator.review.profile import parse_profile_json
from calculator.schemas.stored import ReviewPageSchema, StoredReviewSchema
from calculator.storage.reviews import KIND, save_review

blp = Blueprint("reviews", __name__, url_prefix="/v1",
                description="Review a data-licensing usage profile: terms in force and every "
                            "change, scraping and projected damages, licensed cost, AI "
                            "training, retention, forum; and keep the reviews.")
auth.protect(blp)

EXAMPLE = {
    "platform": "x", "region": "rest-of-world",
    "period": {"start": "2024-10-01", "end": "2025-02-01"},
    "channel": "scraping", "volume": {"posts_per_day": 2000000},
    "purposes": ["ai_training"], "data_categories": ["public_posts"],
    "user_regions": ["rest-of-world", "eu-efta-uk"], "opted_out_users_excluded": False,
    "retention": "P2Y", "reference": "DL-2024-117",
}

REQUEST_BODY = {
    "description": "The usage profile (docs/decisions/0030). Unknown keys and values are "
                   "refused with their field paths.",
    "required": True,
    "content": {"application/json": {"schema": ProfileSchema, "example": EXAMPLE}},
}

LOCATION_HEADER = {"Location": {"description": "/v1/reviews/{id}",
                                "schema": {"type": "string"}}}


def location(record_id: str) -> str:
    return url_for("reviews.Review", review_id=record_id)


@blp.route("/reviews")
class Reviews(MethodView):
    @blp.doc(requestBody=REQUEST_BODY, parameters=[idempotency_parameter("review")],
             security=auth.SECURITY)
    @blp.response(201, StoredReviewSchema, headers=LOCATION_HEADER, description=(
        "The review, stored. A retry with the same Idempotency-Key and profile answers the "
        "same (the first review, same id), with Idempotent-Replayed: true."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(409, "The Idempotency-Key was first used for another profile.")
    @blp.problem(413, "A body over the reviews' limit (1 MiB by default; a profile is a few "
                      "hundred bytes).")
    @blp.problem(415, "A body that is not application/json, or one sent with a "
                      "Content-Encoding.")
    @blp.problem(422, "The profile is not valid: errors[] names each field and what was "
                      "expected.")
    def post(self) -> Any:
        """Review a usage profile, and store the review: findings by severity, then date,
        each with its citations."""
        key = idempotency_key()
        # Checked before the body is read: a profile is small, and is read whole.
        body_limit(current_app.config["MAX_REVIEW_LENGTH"],
                   "a usage profile is a few hundred bytes: send only the profile")
        if not request.is_json:
            sent = shown_id(request.mimetype or "a body without a type")
            raise UnsupportedMediaType(f"{sent} is not a profile; send application/json")
        encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding != "identity":
            raise UnsupportedMediaType(f"Content-Encoding {shown_id(encoding)} is not read on "
                                       "profiles; send the JSON as it is (a profile is small)")
        profile = parse_profile_json(request.get_data(), "the request body")
        result = review(profile, rules=current_app.extensions["calculator.lookup"])
        saved = save_review(auth.store(), result, owner=auth.owner(), idempotency_key=key)
        return created(saved.record, location(saved.record.id), replayed=not saved.created)

    @blp.arguments(RecordListQuerySchema, location="query")
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, ReviewPageSchema, description=(
        "A page of stored reviews, newest first (by when they were stored); `total` counts "
        "every review that matches the filters."))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    def get(self, query: dict[str, Any]) -> Any:
        """List stored reviews, newest first, filtered by platform, reference and when they
        were stored."""
        return page_of(KIND, query, url_for("reviews.Reviews"), location)


@blp.route("/reviews/<string:review_id>")
class Review(MethodView):
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, StoredReviewSchema, description="The review as first answered, with "
                  "its id, when it was stored and its reference.")
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No review with this id that this key may see.")
    def get(self, review_id: str) -> Any:
        """A stored review, the same document that was first answered."""
        return json_response(auth.store().get(KIND, review_id,
                                              owner=auth.owner()).as_document())

    @blp.doc(security=auth.SECURITY)
    @blp.response(204, description="Deleted for good.")
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No review with this id that this key may see.")
    def delete(self, review_id: str) -> Any:
        """Delete a stored review for good."""
        auth.store().delete(KIND, review_id, owner=auth.owner())
        return Response(status=204)
