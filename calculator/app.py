"""The application factory: one Flask app over one validated ruleset."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from flask import Flask, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from calculator import __version__
from calculator.api import auth, health
from calculator.api.assessments import routes as assessment_routes
from calculator.api.budgets import routes as budget_routes
from calculator.api.budgets.lean import serve_reservations_leanly
from calculator.api.curves import routes as curve_routes
from calculator.api.extensions import Api
from calculator.api.jobs import routes as job_routes
from calculator.api.observations import routes as observation_routes
from calculator.api.problems import register_problem_handlers
from calculator.api.request_body import WholeBody
from calculator.api.reviews import routes as review_routes
from calculator.api.rules import routes as rules_routes
from calculator.api.rules.caching import serve_lookups_from_cache
from calculator.api.subscriptions import routes as subscription_routes
from calculator.review.profile import MAX_PROFILE_BYTES
from calculator.rules import RuleLookup, load_ruleset
from calculator.storage import Store, database_url
from calculator.web import blp as web_pages


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
    # Storage (docs/decisions/0020): None means CALCULATOR_DATABASE_URL or DATABASE_URL from
    # the environment, else a SQLite file in the instance folder, created on first start.
    DATABASE_URL: str | None = None
    MIGRATE_ON_START = True  # `calculator serve` migrates once and turns this off for workers
    # Limits (docs/decisions/0023): the body as sent, and a log's content once decompressed
    # (None: the same as MAX_CONTENT_LENGTH).
    MAX_CONTENT_LENGTH = 256 * 1024 * 1024
    MAX_DECOMPRESSED_LENGTH: int | None = None
    # Jobs (docs/decisions/0093-0095): a log body over ASYNC_ABOVE bytes, or sent with
    # `Prefer: respond-async`, is kept on disk (JOB_UPLOADS: a folder or an fsspec URL;
    # default the instance's jobs/) and assessed by a worker; 202 with the job's Location.
    # A job's body, and its content decompressed, may be up to JOB_MAX_CONTENT_LENGTH.
    ASYNC_ABOVE: int | None = 32 * 1024 * 1024
    JOB_MAX_CONTENT_LENGTH = 4 * 1024 * 1024 * 1024
    JOB_UPLOADS: str | None = None
    # A usage profile is a few hundred bytes and is parsed whole: its own, small limit.
    MAX_REVIEW_LENGTH = MAX_PROFILE_BYTES
    # Rule lookups stay open once API keys exist, unless this is set.
    REQUIRE_KEY_FOR_RULES = False
    # Webhooks (docs/decisions/0080): loopback, private and link-local targets are refused
    # unless the operator allows them (CALCULATOR_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true).
    WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    # Ordinary reservations are answered in front of Flask (decisions 0113, 0119);
    # off, every reservation goes through the route (the two answer alike).
    LEAN_RESERVATIONS = True


def instance_path(config: Mapping[str, Any] | None = None) -> str | None:
    """The instance folder: INSTANCE_PATH in the app's config, CALCULATOR_INSTANCE_PATH, or
    None for Flask's default (``instance/`` beside the package in a source checkout)."""
    chosen = (config or {}).get("INSTANCE_PATH") or os.environ.get("CALCULATOR_INSTANCE_PATH")
    return os.path.abspath(chosen) if chosen else None


def default_instance_path() -> str:
    """The instance folder an app would use, without building one (for the command line)."""
    return instance_path() or Flask("calculator").instance_path


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; refuse (``RulesetError``) when the rule files do not validate."""
    app = Flask("calculator", instance_relative_config=True, instance_path=instance_path(config))
    app.json.sort_keys = False  # keep the documents' field order, which reads best
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env(prefix="CALCULATOR")
    if config:
        app.config.update(config)

    ruleset = load_ruleset(app.config["RULES_DIR"])
    app.extensions["calculator.lookup"] = RuleLookup(ruleset)

    app.extensions[auth.STORE] = Store.open(
        database_url(app.config.get("DATABASE_URL"), app.instance_path),
        migrate=app.config["MIGRATE_ON_START"])

    # -- The watch and webhooks (issue 11): remember the ruleset revision served, so that
    #    the delivery worker announces rules.changed and exposure.changed once.
    from calculator.webhooks.rule_events import record_served

    record_served(app.extensions[auth.STORE].engine, ruleset)
    from calculator.watch.observations import Observations

    Observations(app.extensions[auth.STORE].engine).mark_encoded(
        {d.id: d.checked_through for d in ruleset.documents.values() if d.checked_through})
    # -- end of the watch and webhooks

    register_problem_handlers(app)
    auth.refuse_basic_credentials(app)
    auth.guard_rule_lookups(app, rules_routes.blp.name)
    # After the key check: a lookup answered by ETag or from kept answers is still guarded.
    serve_lookups_from_cache(app, rules_routes.blp.name, ruleset.revision)
    api = Api(app)
    api.spec.components.security_scheme("apiKey", auth.SECURITY_SCHEME)
    api.register_blueprint(health.blp)
    api.register_blueprint(rules_routes.blp)
    api.register_blueprint(assessment_routes.blp)
    api.register_blueprint(job_routes.blp)
    api.register_blueprint(review_routes.blp)

    # -- Reviewer pages (issue 6; docs/decisions/0040-0042): /assess, /clauses/..., and
    #    /reports/assessments/{id}, with POST /v1/curves for the Assess page's chart.
    api.register_blueprint(curve_routes.blp)
    app.register_blueprint(web_pages)
    api.register_blueprint(observation_routes.blp)
    api.register_blueprint(subscription_routes.blp)
    api.register_blueprint(budget_routes.blp)
    budget_routes.document_the_largest_reservation(api.spec, app.extensions["calculator.lookup"])
    # -- end of the reviewer pages

    @app.get("/docs/assets/<path:filename>")
    def _swagger_assets(filename: str) -> Response:
        return send_from_directory(swagger_ui_path, filename)

    if app.config["LEAN_RESERVATIONS"]:
        serve_reservations_leanly(app, ruleset.revision)

    # Every read of a body checked for its end: cut short or unreadable is a 400.
    app.wsgi_app = WholeBody(app.wsgi_app)  # type: ignore[method-assign]

    @app.after_request
    def _revision_header(response: Response) -> Response:
        response.headers["X-Ruleset-Revision"] = ruleset.revision
        return response

    return app
