"""/v1/subscriptions: webhooks of an API key, their delivery logs."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from calculator.api import auth
from calculator.api.extensions import Blueprint
from calculator.api.records import json_response
from calculator.errors import FieldProblem, InvalidArgument, NotFound
from calculator.webhooks.subscriptions import EVENTS, Subscriptions
from calculator.webhooks.targets import ALLOW_SETTING, MAX_URL_LENGTH, URL_PATTERN

blp = Blueprint("subscriptions", __name__, url_prefix="/v1",
                description="Webhooks: terms.observed, rules.changed and exposure.changed, "
                            "signed per Standard Webhooks, retried for up to a day.")
auth.protect(blp)

_IDS = fields.List(fields.String(validate=validate.Length(min=1, max=130)),
                   validate=validate.Length(max=100), load_default=list)


class FiltersSchema(Schema):
    platforms = _IDS
    documents = fields.List(fields.String(validate=validate.Length(min=1, max=130)),
                            validate=validate.Length(max=100), load_default=list)
    clauses = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                          validate=validate.Length(max=100), load_default=list)


_URL_DOCUMENTED = {
    "description": "http or https; loopback, private and link-local hosts are refused unless "
                   "the operator allows them.",
    # Documentation only: ``targets.check`` refuses a URL with the reason in words.
    "pattern": URL_PATTERN,
    "example": "https://hooks.example.com/terms"}


class NewSubscriptionSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=MAX_URL_LENGTH),
                        metadata=_URL_DOCUMENTED)
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS)),
                         validate=validate.Length(min=1), load_default=lambda: list(EVENTS))
    filters = fields.Nested(FiltersSchema, load_default=dict, metadata={
        "description": "Only events about one of these platforms, documents or clauses "
                       "(each list that is given must match)."})


class SubscriptionSchema(Schema):
    id = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    filters = fields.Nested(FiltersSchema)
    state = fields.String(metadata={"description": "active; failing: a delivery was given "
                                                   "up after a day of retries; or gone: the "
                                                   "receiver answered 410 Gone, and nothing "
                                                   "more is sent to it (subscribe again to "
                                                   "resume)."})
    created_at = fields.String(metadata={"format": "date-time"})
    failing_since = fields.String(allow_none=True, metadata={"format": "date-time"})


class CreatedSubscriptionSchema(SubscriptionSchema):
    secret = fields.String(metadata={
        "description": "The signing secret (whsec_...), shown this once: keep it to verify "
                       "the webhook-signature header."})


class DeliverySchema(Schema):
    id = fields.String(metadata={"description": "The webhook-id header: dedupe by it."})
    event_type = fields.String()
    state = fields.String(metadata={"description": "pending, delivered or failed."})
    attempts = fields.Integer()
    created_at = fields.String(metadata={"format": "date-time"})
    last_attempt_at = fields.String(allow_none=True)
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.String(allow_none=True)
    delivered_at = fields.String(allow_none=True)


def _check_named(body: dict[str, Any]) -> None:
    """Every filter names something the rules hold, and no event or filter value is given
    twice: a subscription filtered on a typo never fires, and says nothing of it (decision
    0160 refuses the same typo on the change feeds)."""
    lookup = current_app.extensions["calculator.lookup"]
    checks = {"platforms": lookup.platform, "documents": lookup.document,
              "clauses": lookup.clause}
    problems = []
    for field, values in (("events", body["events"]),
                          *((f"filters.{k}", body["filters"].get(k, [])) for k in checks)):
        for index, value in enumerate(values):
            path = f"{field}[{index}]"
            if value in values[:index]:
                problems.append(FieldProblem("given twice; give each once", field=path))
            elif field != "events":
                try:
                    checks[field.split(".")[1]](value)
                except NotFound as exc:
                    problems.append(FieldProblem(exc.detail, field=path))
    if problems:
        raise InvalidArgument("; ".join(str(p) for p in problems), problems=problems)


def subscriptions() -> Subscriptions:
    return Subscriptions(auth.store().engine)


@blp.route("/subscriptions")
class SubscriptionList(MethodView):
    @blp.doc(security=auth.SECURITY)
    @blp.arguments(NewSubscriptionSchema)
    @blp.response(201, CreatedSubscriptionSchema)
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(422, "A URL the service will not call (not http(s), or a loopback, private "
                      "or link-local host), unknown events, a filter naming a platform, "
                      "document or clause the rules do not hold, or a value given twice.")
    def post(self, body: dict[str, Any]) -> Response:
        """Subscribe a URL to events; the answer holds the signing secret, once."""
        _check_named(body)
        made = subscriptions().create(
            owner=auth.owner(), url=body["url"], events=body["events"],
            filters=body["filters"],
            allow_private=bool(current_app.config.get(ALLOW_SETTING)))
        return json_response(made, 201, {"Location": url_for(
            "subscriptions.SubscriptionById", subscription_id=made["id"])})

    @blp.doc(security=auth.SECURITY)
    @blp.response(200, SubscriptionSchema(many=True))
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    def get(self) -> Any:
        """This key's subscriptions (never their secrets)."""
        return subscriptions().list(owner=auth.owner())


@blp.route("/subscriptions/<string:subscription_id>")
class SubscriptionById(MethodView):
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, SubscriptionSchema)
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No subscription with this id that this key may see.")
    def get(self, subscription_id: str) -> Any:
        """One subscription of this key."""
        return subscriptions().get(subscription_id, owner=auth.owner())

    @blp.doc(security=auth.SECURITY)
    @blp.response(204)
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No subscription with this id that this key may see.")
    def delete(self, subscription_id: str) -> Response:
        """Delete a subscription and its delivery log; nothing more is sent."""
        subscriptions().delete(subscription_id, owner=auth.owner())
        return Response(status=204)


@blp.route("/subscriptions/<string:subscription_id>/deliveries")
class Deliveries(MethodView):
    @blp.doc(security=auth.SECURITY)
    @blp.response(200, DeliverySchema(many=True), description="Newest first, at most 100.")
    @blp.problem(401, "No API key, or not a valid one, once keys exist.")
    @blp.problem(404, "No subscription with this id that this key may see.")
    def get(self, subscription_id: str) -> Any:
        """The delivery log of a subscription: each event, its attempts and outcome."""
        return subscriptions().deliveries(subscription_id, owner=auth.owner())
