"""Lookups over the versioned rules: /v1/platforms, /v1/documents, /v1/clauses."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from calculator.api.extensions import Blueprint
from calculator.api.rules.schemas import (
    ChangesQuerySchema,
    ClauseQuerySchema,
    CompareQuerySchema,
    HistoryQuerySchema,
)
from calculator.rules import RuleLookup
from calculator.rules.compare import compare
from calculator.schemas.compare import ComparisonSchema
from calculator.schemas.rules import (
    ClauseHistorySchema,
    ClauseInForceSchema,
    DocumentChangesSchema,
    DocumentSchema,
    DocumentSummarySchema,
    PlatformSchema,
)

blp = Blueprint("rules", __name__, url_prefix="/v1",
                description="Platforms' terms as versioned rules: which version applied when, "
                            "and what changed. An answer never changes for a ruleset "
                            "revision: each carries an ETag and Cache-Control, and a request "
                            "with If-None-Match naming the current ETag is answered 304.")
# Each lookup's 304, documented with it (caching.py answers it before the view runs).
NOT_MODIFIED = ("Not Modified: If-None-Match named this answer's current ETag; the body is "
                "empty, the ETag and Cache-Control are sent again.")


def lookup() -> RuleLookup:
    return current_app.extensions["calculator.lookup"]


@blp.route("/platforms")
class Platforms(MethodView):
    @blp.response(200, PlatformSchema(many=True))
    @blp.alt_response(304, description=NOT_MODIFIED)
    def get(self) -> Any:
        """The platforms whose terms the rules hold."""
        return list(lookup().ruleset.platforms.values())


@blp.route("/platforms/<platform_id>")
class PlatformById(MethodView):
    @blp.response(200, PlatformSchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.problem(404, description="No such platform.")
    def get(self, platform_id: str) -> Any:
        """One platform: its hosts and the ids of its documents."""
        return lookup().platform(platform_id)


@blp.route("/platforms/<platform_id>/documents")
class PlatformDocuments(MethodView):
    @blp.response(200, DocumentSummarySchema(many=True))
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.problem(404, description="No such platform.")
    def get(self, platform_id: str) -> Any:
        """The documents of a platform, with their first and latest version dates."""
        rules = lookup()
        return [rules.document(d) for d in rules.platform(platform_id).documents]


@blp.route("/documents/<document_id>")
class DocumentById(MethodView):
    @blp.response(200, DocumentSchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.problem(404, description="No such document.")
    def get(self, document_id: str) -> Any:
        """A document with all its versions, each with its in-force interval per region."""
        return lookup().document_history(document_id)


@blp.route("/documents/<document_id>/changes")
class DocumentChanges(MethodView):
    @blp.arguments(ChangesQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, DocumentChangesSchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.problem(404, description="No such document.")
    def get(self, document_id: str, start: Any, end: Any, region: str | None) -> Any:
        """What changed in a document between two instants, clause by clause.

        Lists the clauses added, removed and changed (parameters old to new, and the
        words inserted, deleted or replaced), and the document versions in between.
        """
        return lookup().changes(document_id, start, end, region)


@blp.route("/clauses/<clause_id>")
class ClauseById(MethodView):
    @blp.arguments(ClauseQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ClauseInForceSchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.problem(404, description="No such clause, or no version of it in force then "
                                       "(the problem says when one first or last was).")
    def get(self, clause_id: str, at: Any, region: str | None) -> Any:
        """The clause version in force at an instant, and the document version in force."""
        return lookup().clause_in_force(clause_id, at, region)



@blp.route("/clauses/<clause_id>/history")
class ClauseHistory(MethodView):
    @blp.arguments(HistoryQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ClauseHistorySchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.problem(404, description="No such clause.")
    def get(self, clause_id: str, region: str | None) -> Any:
        """Every version of a clause with its interval (one region, or all without region)."""
        return lookup().clause_history(clause_id, region)


@blp.route("/compare")
class Compare(MethodView):
    @blp.arguments(CompareQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ComparisonSchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    def get(self, topic: str, at: Any, region: str | None) -> Any:
        """Every platform side by side at an instant, each cell cited.

        clause=scraping: whether scraping is prohibited, the consent that lifts the ban, the
        damages amount or none, and AI training on content. clause=ai-training: others'
        training, the platform's own training, and the opt-out. Each cell says whether it
        rests on a clause in force, one read and found absent, or nothing recorded.
        """
        return compare(lookup(), topic, at, region)
