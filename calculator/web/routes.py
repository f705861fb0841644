"""The pages: Assess (/assess), Clauses (/clauses/...) and Reports (/reports/...).

Pages that show rules read the core directly (the rules are public facts). Pages that show
a log's assessment or a stored record hold no data themselves: their script asks the JSON
API, with the reviewer's API key where one is needed, and the server only renders the
document it is handed, through the same templates the printable report uses.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from jinja2 import TemplateError

from calculator.api import auth
from calculator.api.assessments.log_request import max_content
from calculator.api.problems import body_limit, from_calculator_error, problem, status_of
from calculator.damages.pricing import ALL_READINGS, HEADLINE_READING
from calculator.errors import (
    CalculatorError,
    InvalidArgument,
    InvalidInput,
    NotFound,
    NotInForce,
    RecordNotFound,
    Unauthorized,
    shown_id,
)
from calculator.ingest.columns import COMMON_NAMES, OPTION
from calculator.ingest.formats import FORMATS
from calculator.review.profile import parse_profile_json
from calculator.rules import RuleLookup
from calculator.rules.compare import TOPICS, compare
from calculator.rules.countries import countries
from calculator.schemas.compare import ComparisonSchema
from calculator.schemas.rules import (
    ClauseChangeSchema,
    ClauseHistorySchema,
    ClauseInForceSchema,
    DocumentSchema,
    DocumentSummarySchema,
    DocumentVersionInForceSchema,
)
from calculator.timeutil import format_instant, parse_instant
from calculator.web.present import HELPERS, reading_choice

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/assets")

# Pages run only their own files: no inline script, nothing from elsewhere.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
CLAUSE_PAGES = ("web.clauses", "web.document", "web.clause", "web.compare_page")
RECORD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
STORED_ASSESSMENT = re.compile(r"^/v1/assessments/(?P<id>[A-Za-z0-9_-]{1,64})$")
STORED_REVIEW = re.compile(r"^/v1/reviews/(?P<id>[A-Za-z0-9_-]{1,64})$")
RENDERED_VIEWS = {"results": "web/results.html", "report": "web/report_body.html",
                  "review-report": "web/review_report_body.html",
                  "review-results": "web/review_results.html",
                  "assessment-list": "web/assessment_list.html",
                  "review-list": "web/review_list.html"}


def lookup() -> RuleLookup:
    return current_app.extensions["calculator.lookup"]


@blp.context_processor
def _helpers() -> dict[str, Any]:
    return {"say": SimpleNamespace(**HELPERS), "ruleset_revision": lookup().ruleset.revision,
            "country_options": _country_options}


def _country_options() -> list[tuple[str, str, str]]:
    """(code, name, part) for every ISO 3166-1 country, for the region fields: a reviewer
    may pick the country a user lives in and the page answers for its part."""
    rules = lookup()
    return [(code, name, rules.region(code)) for code, name in countries()]


@blp.after_request
def _page_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@blp.errorhandler(CalculatorError)
def _page_error(error: CalculatorError) -> tuple[str, int]:
    status = status_of(error)
    return render_template("web/error.html", status=status, error=error), status


@blp.before_request
def _rules_closed() -> None:
    """An operator who closes the rule lookups (REQUIRE_KEY_FOR_RULES) closes these pages too:
    a browser's page request carries no key."""
    if (request.endpoint in CLAUSE_PAGES and current_app.config.get("REQUIRE_KEY_FOR_RULES")
            and auth.store().keys.any()):
        raise Unauthorized("this service keeps its rules for holders of an API key: ask the "
                           "JSON API (/v1/clauses/...) with Authorization: Bearer KEY")


# -- Assess --------------------------------------------------------------------------------


@blp.get("/")
def home() -> Response:
    return redirect(url_for("web.assess"))


@blp.get("/assess")
def assess() -> str:
    rules = lookup()
    ruleset = rules.ruleset
    platforms = [p for p in sorted(ruleset.platforms.values(), key=lambda p: p.name)
                 if rules.clauses_of_kind(p.id, "liquidated-damages")]
    readings = [{"key": r.key, "words": reading_choice(r)} for r in ALL_READINGS]
    return render_template(
        "web/assess.html", platforms=platforms, regions=list(ruleset.regions.values()),
        default_region=ruleset.default_region, formats=FORMATS,
        zones=sorted(available_timezones()), readings=readings,
        headline=HEADLINE_READING.key, max_log=max_content(),
        max_body=current_app.config.get("MAX_CONTENT_LENGTH"),
        async_above=current_app.config.get("ASYNC_ABOVE"),
        max_job=current_app.config.get("JOB_MAX_CONTENT_LENGTH"), column_options=[
            {"option": OPTION[fact], "label": _COLUMN_LABELS[fact],
             "common": COMMON_NAMES[fact]} for fact in OPTION])


# A document lists its windows and columns: a few hundred kilobytes at most, as answered.
_RENDER_LIMIT = 16 << 20

_COLUMN_LABELS = {"time": "Time column", "posts": "Posts column",
                  "post_id": "Post id column", "url": "URL column",
                  "platform": "Platform column"}


@blp.post("/render")
def render_document() -> Response | str:
    """A document as the API answered it (an assessment, or a review) as HTML: the Assess page's
    results, or a printable report. The server renders, so a page and a report never read a
    document differently; it only shows what the caller already holds."""
    # Read as a profile is (decision 0051): within its own limit, nesting too deep and keys
    # given twice refused in words (Flask's JSON recursed past Python's limit on a document
    # nested 5,000 deep, a 500).
    body_limit(_RENDER_LIMIT, "send the document as the API answered it")
    try:
        body = parse_profile_json(request.get_data(), "the request body") \
            if request.is_json else None
    except InvalidInput as exc:  # as a problem, like every answer of this route
        return from_calculator_error(exc)
    if not isinstance(body, dict) or not isinstance(body.get("document"), dict):
        return problem(422, "invalid-argument", "An argument has an invalid value",
                       "send JSON with the document (as the API answered it) in 'document'")
    view = body.get("view", "results")
    if not isinstance(view, str) or view not in RENDERED_VIEWS:
        return problem(422, "invalid-argument", "An argument has an invalid value",
                       f"view: one of {', '.join(RENDERED_VIEWS)}")
    curve = body.get("curve") if isinstance(body.get("curve"), dict) else None
    record = body.get("record") if isinstance(body.get("record"), dict) else None
    try:
        return render_template(RENDERED_VIEWS[view], doc=body["document"], curve=curve,
                               report_url=_report_url(body.get("location")), record=record)
    except (TemplateError, TypeError, KeyError, ValueError, AttributeError):
        # A document the API never answered (edited, or for another view): say so, no 500.
        return problem(422, "invalid-argument", "An argument has an invalid value",
                       f"document: not a document the API answers that the view '{view}' "
                       "shows; send it as the API answered it")


def _report_url(location: Any) -> str | None:
    """The printable page of a stored assessment or review, from the Location the API
    answered."""
    if not isinstance(location, str):
        return None
    path = urlsplit(location).path
    for pattern, page in ((STORED_ASSESSMENT, "web.assessment_report"),
                          (STORED_REVIEW, "web.review_report")):
        found = pattern.match(path)
        if found:
            return url_for(page, record_id=found["id"])
    return None


# -- Reports -------------------------------------------------------------------------------


@blp.get("/reports/assessments/<record_id>")
def assessment_report(record_id: str) -> str:
    """A stored assessment as a printable page. The page asks GET /v1/assessments/{id} with
    the reviewer's key, so it shows exactly what the API would show that key."""
    if not RECORD_ID.match(record_id):
        raise RecordNotFound(f"'{shown_id(record_id)}' is not an assessment id")
    return render_template("web/report_page.html", record_id=record_id, what="assessment",
                           api_url=f"/v1/assessments/{record_id}", view="report")


@blp.get("/reports/reviews/<record_id>")
def review_report(record_id: str) -> str:
    """A stored review as a printable page, read from GET /v1/reviews/{id} with the
    reviewer's key like an assessment's report."""
    if not RECORD_ID.match(record_id):
        raise RecordNotFound(f"'{shown_id(record_id)}' is not a review id")
    return render_template("web/report_page.html", record_id=record_id, what="review",
                           api_url=f"/v1/reviews/{record_id}", view="review-report")


# -- Clauses -------------------------------------------------------------------------------


@blp.get("/clauses")
def clauses() -> str:
    rules = lookup()
    platforms = [{"platform": p, "documents": DocumentSummarySchema(many=True).dump(
        [rules.document(d) for d in p.documents])}
        for p in sorted(rules.ruleset.platforms.values(), key=lambda p: p.name)]
    return render_template("web/clauses.html", platforms=platforms)


@blp.get("/clauses/<document_id>")
def document(document_id: str) -> str:
    rules = lookup()
    history = DocumentSchema().dump(rules.document_history(document_id))
    as_of = _as_of_document(rules, document_id) if request.args.get("at") else None
    return render_template("web/document.html", doc=history, as_of=as_of,
                           regions=_regions(rules, history["regions"]),
                           region=request.args.get("region") or history["regions"][0],
                           at=request.args.get("at", ""))


@blp.get("/clauses/<document_id>/<clause_key>")
def clause(document_id: str, clause_key: str) -> str:
    rules = lookup()
    found = rules.clause(f"{document_id}.{clause_key}")
    if found.document_id != document_id:
        raise NotFound(f"no clause '{shown_id(clause_key)}' in {document_id}")
    history = rules.clause_history(found.id)
    dumped = ClauseHistorySchema().dump(history)
    document_regions = rules.document(document_id).regions
    timelines = []
    for region in document_regions:
        entries = [(entry, dumped_entry) for entry, dumped_entry
                   in zip(history.entries, dumped["versions"], strict=True)
                   if entry.region == region]
        timeline = []
        for index, (entry, shown) in enumerate(entries):
            change = None
            if index:
                previous = entries[index - 1][0]
                diff = rules.changes(document_id, previous.in_force.start,
                                     entry.in_force.start, region)
                change = next((ClauseChangeSchema().dump(c) for c in diff.clauses
                               if c.clause.id == found.id), None)
            timeline.append({"entry": shown, "change": change})
        timelines.append({"region": region, "title": rules.ruleset.regions[region].title,
                          "versions": timeline})
    as_of = _as_of_clause(rules, found.id) if request.args.get("at") else None
    return render_template("web/clause.html", clause=dumped, timelines=timelines,
                           as_of=as_of, regions=_regions(rules, document_regions),
                           region=request.args.get("region") or document_regions[0],
                           at=request.args.get("at", ""))


@blp.get("/compare")
def compare_page() -> str:
    """Every platform side by side on a date (today, UTC, unless one is asked), each cell cited."""
    rules = lookup()
    topic = request.args.get("clause") or "scraping"
    if topic not in TOPICS:
        topic = "scraping"
    at_text = request.args.get("at") or datetime.now(UTC).date().isoformat()
    region = request.args.get("region") or rules.ruleset.default_region
    doc, invalid = None, None
    try:
        doc = ComparisonSchema().dump(compare(rules, topic, parse_instant(at_text, name="at"),
                                              region))
    except InvalidArgument as exc:
        invalid = exc.problems[0].message if exc.problems else exc.detail
    if doc:
        for row in doc["platforms"]:
            for cell in row["cells"]:
                unique = {c["clause"]: c for c in cell["citations"]}
                cell["citations"] = list(unique.values())
    return render_template("web/compare.html", doc=doc, invalid=invalid, topic=topic,
                           at=at_text if len(at_text) == 10 else "", region=region,
                           regions=list(rules.ruleset.regions.values()))


def _regions(rules: RuleLookup, ids: Any) -> list[Any]:
    return [rules.ruleset.regions[r] for r in ids if r in rules.ruleset.regions]


def _as_of_clause(rules: RuleLookup, clause_id: str) -> dict[str, Any]:
    """Which version of the clause applied at ``at`` in ``region``, or why none did."""
    try:
        at = parse_instant(request.args["at"], name="at")
        found = rules.clause_in_force(clause_id, at, request.args.get("region") or None)
    except NotInForce as exc:
        return {"not_in_force": exc.detail, "state": exc.slug, **exc.extensions}
    except InvalidArgument as exc:
        return {"invalid": exc.problems[0].message if exc.problems else exc.detail,
                "field": exc.problems[0].field if exc.problems else None}
    return {"found": ClauseInForceSchema().dump(found)}


def _as_of_document(rules: RuleLookup, document_id: str) -> dict[str, Any]:
    """Which document version applied at ``at`` in ``region``, and each clause's version."""
    try:
        at = parse_instant(request.args["at"], name="at")
        choice = rules.region_choice(request.args.get("region") or None)
        region = choice.region
    except InvalidArgument as exc:
        return {"invalid": exc.problems[0].message if exc.problems else exc.detail,
                "field": exc.problems[0].field if exc.problems else None}
    version = rules.document_version_in_force(document_id, at, region)
    answers = []
    for item in rules.document(document_id).clauses:
        try:
            answers.append({"clause": item, "found": ClauseInForceSchema().dump(
                rules.clause_in_force(item.id, at, request.args.get("region") or None))})
        except NotInForce as exc:
            answers.append({"clause": item, "not_in_force": exc.detail, "state": exc.slug,
                            **exc.extensions})
    first = rules.document(document_id).timeline(region)
    return {"at": format_instant(at), "region": region, "country": choice.country,
            "region_note": rules.region_note(rules.document(document_id), choice).strip() or None,
            "version": DocumentVersionInForceSchema().dump(version) if version else None,
            "first": first[0].date.isoformat() if first else None, "clauses": answers}


# The Changes page (issue 11) lives in its own module and adds itself to this blueprint.
from calculator.web import changes as _changes_page  # noqa: E402, F401

# So do the review form and the list of stored records (issue 14).
from calculator.web import records as _records_pages  # noqa: E402, F401
