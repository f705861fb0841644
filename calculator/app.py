"""The application factory: one Flask app over one validated ruleset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from flask import Flask, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from calculator import __version__
from calculator.api import health
from calculator.api.assessments import routes as assessment_routes
from calculator.api.extensions import Api
from calculator.api.problems import register_problem_handlers
from calculator.api.rules import routes as rules_routes
from calculator.rules import RuleLookup, load_ruleset


class DefaultConfig:
    API_TITLE = "Scraping cost calculator"
    API_VERSION = __version__
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    # Swagger UI's files come from the swagger-ui-bundle package: the docs work offline.
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"
    API_SPEC_OPTIONS: ClassVar[dict[str, Any]] = {
        "info": {"description": "What scraping a platform costs under its terms, and which "
                                "terms applied when. Every response carries the "
                                "X-Ruleset-Revision header."},
    }
    RULES_DIR: str | None = None  # None: the bundled rules (or CALCULATOR_RULES_DIR)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; refuse (``RulesetError``) when the rule files do not validate."""
    app = Flask("calculator", instance_relative_config=True)
    app.json.sort_keys = False  # keep the documents' field order, which reads best
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env(prefix="CALCULATOR")
    if config:
        app.config.update(config)

    ruleset = load_ruleset(app.config["RULES_DIR"])
    app.extensions["calculator.lookup"] = RuleLookup(ruleset)

    register_problem_handlers(app)
    api = Api(app)
    api.register_blueprint(health.blp)
    api.register_blueprint(rules_routes.blp)
    api.register_blueprint(assessment_routes.blp)

    @app.get("/docs/assets/<path:filename>")
    def _swagger_assets(filename: str) -> Response:
        return send_from_directory(swagger_ui_path, filename)

    @app.after_request
    def _revision_header(response: Response) -> Response:
        response.headers["X-Ruleset-Revision"] = ruleset.revision
        return response

    return app
