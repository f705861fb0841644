"""Answers about the rules: platforms, documents, clause versions, histories, changes."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump

from calculator.schemas.common import Instant, IntervalSchema, JsonValue, SourceSchema


def _get(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


class RegionIntervalSchema(Schema):
    region = fields.String()
    in_force = fields.Nested(IntervalSchema)


class DocumentVersionSchema(Schema):
    version = fields.Date(attribute="date", metadata={
        "description": "The version's date: printed on the page, or first seen in force."})
    dating = fields.String(metadata={
        "description": "printed: the page prints this date; observed: the page prints no "
                       "effective date and this is the first capture showing the version."})
    regions = fields.List(fields.String())
    published = fields.Date(allow_none=True, metadata={
        "description": "First seen announced (preview capture)."})
    observed = fields.Date(allow_none=True, metadata={"description": "First seen in force."})
    last_absent = fields.Date(allow_none=True, metadata={
        "description": "Last capture that did not show this version yet."})
    printed_date = fields.Date(allow_none=True, metadata={
        "description": "For an observed version: the older date the page still printed."})
    summary = fields.String(allow_none=True, metadata={
        "description": "The summary for every part; null where the parts have their own "
                       "(summaries)."})
    summaries = fields.Function(lambda v: dict(_get(v, "summaries")) or None, metadata={
        "description": "The summary of each regional part, where the parts' words differ."})
    read_for = fields.Function(lambda v: sorted(_get(v, "read_for")), metadata={
        "description": "The clauses (keys in the document) this version was read for: for "
                       "the others the rules do not know what it says."})
    note = fields.String(allow_none=True)
    source = fields.Nested(SourceSchema)


class DocumentVersionInForceSchema(Schema):
    version = fields.Date(attribute="version.date")
    dating = fields.String(attribute="version.dating")
    in_force = fields.Nested(IntervalSchema)
    summary = fields.String(allow_none=True, metadata={
        "description": "The summary of the regional part asked about; null when that part "
                       "has none (another part's words are never shown)."})
    source = fields.Nested(SourceSchema, attribute="version.source")


class KnowledgeSchema(Schema):
    checked_through = fields.Date(allow_none=True, metadata={
        "description": "The last archive capture checked against the rules for this "
                       "document; null when not stated."})
    after_checked_through = fields.Boolean(metadata={
        "description": "The instant is after checked_through: the rules know no later "
                       "version, but one may exist."})
    uncertain_from = fields.Date(allow_none=True, metadata={
        "description": "Last capture without a change dated only by captures."})
    uncertain_until = fields.Date(allow_none=True, metadata={
        "description": "First capture with that change."})
    notes = fields.List(fields.String())


def _region_note(answer: Any) -> str | None:
    choice = answer.choice
    if choice is None:
        return None
    parts = answer.document.parts
    if not choice.country and not (choice.assumed and len(parts) > 1):
        return None
    return choice.describe(next((p.title for p in parts if p.region == choice.region),
                                choice.region))


class ClauseVersionFields(Schema):
    """The words and parameters of one clause version."""

    parameters = JsonValue(attribute="version.parameters", metadata={
        "description": "The facts computed with; for the damages clause threshold_posts, "
                       "per_posts (integers), amount (a decimal string), currency, window."})
    quote = fields.String(attribute="version.quote", allow_none=True,
                          metadata={"description": "The operative words, exactly as printed."})
    context = fields.List(fields.String(), attribute="version.context",
                          metadata={"description": "Further exact passages of the clause."})
    evidence = fields.String(attribute="version.evidence", metadata={
        "description": "verified: quoted from the document itself; secondary: from a "
                       "third-party copy."})
    note = fields.String(attribute="version.note", allow_none=True)
    source = fields.Nested(SourceSchema, attribute="version.source")


class ClauseInForceSchema(ClauseVersionFields):
    id = fields.String(attribute="clause.id")
    title = fields.String(attribute="clause.title")
    kind = fields.String(attribute="clause.kind")
    section = fields.String(attribute="clause.section", allow_none=True)
    document = fields.String(attribute="document.id")
    region = fields.String()
    at = Instant()
    version = fields.Date(attribute="version.date", metadata={
        "description": "The clause version: the date its current words took effect."})
    in_force = fields.Nested(IntervalSchema)
    document_version = fields.Nested(DocumentVersionInForceSchema)
    country = fields.Function(lambda a: a.choice.country if a.choice else None, metadata={
        "description": "The ISO 3166-1 alpha-2 code asked for (region=DE), upper case; null "
                       "when a part was named."})
    region_assumed = fields.Function(lambda a: bool(a.choice and a.choice.assumed), metadata={
        "description": "True when no region was given and the default part was assumed."})
    region_note = fields.Function(_region_note, metadata={
        "description": "Which part the answer is for and why, in words."})
    knowledge = fields.Nested(KnowledgeSchema, allow_none=True, metadata={
        "description": "What the rules do not know: whether the instant is after the last "
                       "archive capture checked, or inside the gap of a change dated only by "
                       "captures."})
    ruleset_revision = fields.String()


class HistoryEntrySchema(ClauseVersionFields):
    region = fields.String()
    version = fields.Date(attribute="version.date")
    status = fields.String(attribute="version.status", metadata={
        "description": "present, or absent: the document version of that date has no such "
                       "clause."})
    in_force = fields.Nested(IntervalSchema)


class ClauseHistorySchema(Schema):
    id = fields.String(attribute="clause.id")
    title = fields.String(attribute="clause.title")
    kind = fields.String(attribute="clause.kind")
    section = fields.String(attribute="clause.section", allow_none=True)
    document = fields.String(attribute="document.id")
    region = fields.String(allow_none=True)
    country = fields.String(allow_none=True, metadata={
        "description": "The country code the region was given as (region=DE), else null."})
    versions = fields.List(fields.Nested(HistoryEntrySchema), attribute="entries")
    ruleset_revision = fields.String()


class ClauseSummarySchema(Schema):
    id = fields.String()
    title = fields.String()
    kind = fields.String()
    section = fields.String(allow_none=True)


class PartSchema(Schema):
    region = fields.String()
    title = fields.String()
    party = fields.String(allow_none=True)


class UnknownSchema(Schema):
    topic = fields.Function(lambda pair: pair[0])
    note = fields.Function(lambda pair: pair[1])


class DocumentVersionHistorySchema(DocumentVersionSchema):
    """A document version, with its interval in each region it covers."""

    in_force = fields.List(fields.Nested(RegionIntervalSchema))

    @pre_dump
    def _flatten(self, entry: Any, **kwargs: Any) -> dict[str, Any]:
        return {**vars(entry.version), "in_force": entry.in_force}


class DocumentSchema(Schema):
    id = fields.String(attribute="document.id")
    platform = fields.String(attribute="document.platform")
    title = fields.String(attribute="document.title")
    url = fields.String(attribute="document.url", allow_none=True)
    zone = fields.String(attribute="document.zone", metadata={
        "description": "Versions take effect at 00:00 of their date in this zone."})
    regions = fields.List(fields.String(), attribute="document.regions")
    parts = fields.List(fields.Nested(PartSchema), attribute="document.parts")
    versions = fields.List(fields.Nested(DocumentVersionHistorySchema))
    clauses = fields.List(fields.Nested(ClauseSummarySchema), attribute="document.clauses")
    unknowns = fields.List(fields.Nested(UnknownSchema), attribute="document.unknowns",
                           metadata={"description": "What the sources do not establish."})
    note = fields.String(attribute="document.note", allow_none=True)
    ruleset_revision = fields.String()


class DocumentSummarySchema(Schema):
    id = fields.String()
    title = fields.String()
    url = fields.String(allow_none=True)
    regions = fields.List(fields.String())
    first_version = fields.Function(lambda d: d.versions[0].date.isoformat())
    latest_version = fields.Function(lambda d: d.versions[-1].date.isoformat())


class PlatformSchema(Schema):
    id = fields.String()
    name = fields.String()
    hosts = fields.List(fields.String())
    media_hosts = fields.List(fields.String())
    note = fields.String(allow_none=True)
    documents = fields.List(fields.String())


class ParameterChangeSchema(Schema):
    name = fields.String()
    old = JsonValue(allow_none=True)
    new = JsonValue(allow_none=True)


class WordChangeSchema(Schema):
    op = fields.String(metadata={"description": "insert, delete or replace"})
    old = fields.String()
    new = fields.String()
    context = fields.String(metadata={"description": "The words just before the change."})


class ClauseChangeSchema(Schema):
    id = fields.String(attribute="clause.id")
    title = fields.String(attribute="clause.title")
    change = fields.String(metadata={
        "description": "added, removed or changed; first-recorded where the version in force "
                       "at the start was not read for the clause (the rules did not know it "
                       "then, which is not the same as absent), not-recorded where the one in "
                       "force at the end was not."})
    old_version = fields.Function(lambda c: c.old.date.isoformat() if c.old else None,
                                  allow_none=True)
    new_version = fields.Function(lambda c: c.new.date.isoformat() if c.new else None,
                                  allow_none=True)
    old_quote = fields.Function(lambda c: c.old.quote if c.old else None, allow_none=True)
    new_quote = fields.Function(lambda c: c.new.quote if c.new else None, allow_none=True)
    parameters = fields.List(fields.Nested(ParameterChangeSchema))
    words = fields.List(fields.Nested(WordChangeSchema))
    versions_between = fields.Function(
        lambda c: [v.date.isoformat() for v in c.versions_between],
        metadata={"description": "Clause versions that took effect in (from, to]."})


class DocumentChangesSchema(Schema):
    document = fields.String(attribute="document.id")
    region = fields.String()
    country = fields.String(allow_none=True, metadata={
        "description": "The country code the region was given as (region=DE), else null."})
    start = Instant(data_key="from")
    end = Instant(data_key="to")
    from_version = fields.Nested(DocumentVersionInForceSchema, attribute="old", allow_none=True)
    to_version = fields.Nested(DocumentVersionInForceSchema, attribute="new", allow_none=True)
    versions_between = fields.List(fields.Nested(DocumentVersionInForceSchema))
    clauses = fields.List(fields.Nested(ClauseChangeSchema))
    unchanged = fields.List(fields.String())
    ruleset_revision = fields.String()
