"""/health: whether the service is up, and which rules it answers from."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields

from calculator import __version__
from calculator.api.extensions import Blueprint

blp = Blueprint("health", __name__, description="Liveness for load balancers and containers.")


class HealthSchema(Schema):
    status = fields.String()
    version = fields.String()
    ruleset_revision = fields.String()


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self) -> Any:
        """The service is up and its rules are loaded."""
        ruleset = current_app.extensions["calculator.lookup"].ruleset
        return {"status": "ok", "version": __version__, "ruleset_revision": ruleset.revision}
