"""Answers of the comparison: every platform side by side, each cell with its citations."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from calculator.schemas.common import Instant, IntervalSchema, JsonValue, SourceSchema, to_json

STATE_DESCRIPTION = (
    "in_force: a recorded version holds the clause; not_in_force: a recorded version was read "
    "and does not hold it; not_recorded: the rules cover neither at this instant and region.")


class CompareCitationSchema(Schema):
    clause = fields.String(attribute="clause.id", metadata={"description": "The clause id."})
    kind = fields.String(attribute="clause.kind")
    title = fields.String(attribute="clause.title")
    document = fields.String(attribute="document.id")
    document_title = fields.String(attribute="document.title")
    checked_through = fields.Date(attribute="document.checked_through", allow_none=True, metadata={
        "description": "The last archive capture of the document checked against the rules; "
                       "no later version is known up to it."})
    state = fields.String(metadata={"description": STATE_DESCRIPTION})
    version = fields.Method("_version", metadata={
        "description": "The clause version's date; null when not recorded."})
    in_force = fields.Nested(IntervalSchema, allow_none=True)
    first_recorded = Instant(allow_none=True, metadata={
        "description": "When not recorded: the instant from which the rules hold the clause."})
    document_version = fields.Method("_document_version", metadata={
        "description": "The document version the answer rests on (the one read, for a clause "
                       "not in force); null when not recorded."})
    notes = fields.List(fields.String(), metadata={
        "description": "What the rules do not know then: checked through a date, or a change "
                       "dated only between two captures."})
    quote = fields.Method("_quote", metadata={"description": "The words, exactly as printed."})
    context = fields.Method("_context")
    parameters = fields.Method("_parameters")
    note = fields.Method("_note")
    source = fields.Method("_source")

    def _version(self, citation: Any) -> str | None:
        return citation.version.date.isoformat() if citation.version else None

    def _quote(self, citation: Any) -> str | None:
        return citation.version.quote if citation.version else None

    def _context(self, citation: Any) -> list[str]:
        return list(citation.version.context) if citation.version else []

    def _parameters(self, citation: Any) -> Any:
        return to_json(citation.version.parameters) if citation.version else None

    def _note(self, citation: Any) -> str | None:
        return citation.version.note if citation.version else None

    def _document_version(self, citation: Any) -> str | None:
        read = citation.document_version
        return read.date.isoformat() if read else None

    def _source(self, citation: Any) -> Any:
        """The clause version's source, or the source of the document version read."""
        if citation.version:
            return SourceSchema().dump(citation.version.source)
        if citation.document_version:
            return SourceSchema().dump(citation.document_version.source)
        return None


class CompareCellSchema(Schema):
    column = fields.String()
    state = fields.String(metadata={"description": STATE_DESCRIPTION})
    value = JsonValue(metadata={
        "description": "true/false for yes-no columns, a consent word, or for damages "
                       "{amount (decimal string), currency, per_posts, threshold_posts, "
                       "window}; null when none or not recorded."})
    text = fields.String(metadata={"description": "The cell in words."})
    citations = fields.List(fields.Nested(CompareCitationSchema))


class ComparePlatformSchema(Schema):
    id = fields.String()
    name = fields.String()


class CompareRowSchema(Schema):
    platform = fields.Nested(ComparePlatformSchema)
    region = fields.String()
    covered = fields.Boolean(metadata={
        "description": "Whether the rules hold a part of this platform's terms for the region."})
    cells = fields.List(fields.Nested(CompareCellSchema))


class CompareColumnSchema(Schema):
    id = fields.Function(lambda column: column[0])
    title = fields.Function(lambda column: column[1])


class ComparisonSchema(Schema):
    clause = fields.String(attribute="topic", metadata={
        "description": "scraping or ai-training."})
    at = Instant()
    region = fields.String(metadata={"description": "The regional part compared."})
    country = fields.Function(lambda c: c.choice.country if c.choice else None, metadata={
        "description": "The ISO 3166-1 alpha-2 code asked for (region=DE); null when a part "
                       "was named or none given."})
    region_assumed = fields.Function(lambda c: bool(c.choice and c.choice.assumed), metadata={
        "description": "True when no region was given and the default part was assumed."})
    region_note = fields.String(allow_none=True, metadata={
        "description": "Which part the comparison is for and why, in words."})
    columns = fields.List(fields.Nested(CompareColumnSchema))
    platforms = fields.List(fields.Nested(CompareRowSchema), attribute="rows")
    ruleset_revision = fields.String()
