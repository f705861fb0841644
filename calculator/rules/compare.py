"""Every platform side by side at one instant: scraping terms or AI-training terms, each cell cited.

A cell is built only from clause versions the rules hold, and says which of three states it
rests on: **in force** (a recorded version holds the clause), **not in force** (a recorded
version was read for it and does not hold it), **not recorded** (the rules cover neither).
"No amount" is said only where a clause in force was read for one and names none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from calculator.errors import FieldProblem, InvalidArgument, NotInForce, NotRecorded
from calculator.rules.countries import RegionChoice
from calculator.rules.in_force import Interval, intervals
from calculator.rules.lookup import RuleLookup
from calculator.rules.model import Clause, ClauseVersion, Document, DocumentVersion, Platform
from calculator.timeutil import parse_instant

IN_FORCE = "in_force"
NOT_IN_FORCE = "not_in_force"
NOT_RECORDED = "not_recorded"

# Which kinds of clause speak to each topic of the comparison.
SCRAPING_KINDS = ("scraping-prohibition", "liquidated-damages")
AI_TRAINING_KINDS = ("model-training-ban", "ai-training", "content-licence",
                     "scraping-prohibition")

TOPICS: dict[str, tuple[tuple[str, str], ...]] = {
    "scraping": (
        ("prohibited", "Scraping or automated collection prohibited"),
        ("consent", "Consent or permission that lifts the ban"),
        ("damages", "Damages amount for scraping"),
        ("ai_training", "AI training on content"),
    ),
    "ai-training": (
        ("training_by_others", "Others training AI on content"),
        ("training_by_platform", "Platform or its partners training AI on content"),
        ("opt_out", "Opt-out offered to users"),
    ),
}


@dataclass(frozen=True)
class Citation:
    """One clause version (or the record of its absence) that a cell rests on."""

    clause: Clause
    document: Document
    state: str
    version: ClauseVersion | None  # None when not recorded
    in_force: Interval | None
    first_recorded: datetime | None  # when not recorded: where the rules' record begins
    document_version: DocumentVersion | None = None  # the version read, when one was
    notes: tuple[str, ...] = ()  # what the rules do not know then (checked_through, gaps)


@dataclass(frozen=True)
class Cell:
    column: str
    state: str  # the strongest state among its citations
    value: Any  # True/False/None, a word, or an amount mapping
    text: str  # the cell as a person reads it
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class PlatformRow:
    platform: Platform
    region: str
    covered: bool  # whether any of the platform's documents has a part for the region
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Comparison:
    topic: str
    at: datetime
    region: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[PlatformRow, ...]
    ruleset_revision: str
    choice: RegionChoice | None = None  # how the part was chosen (a country code, or assumed)
    region_note: str | None = None  # which part and why, where a country or nothing was given


def topic_of(name: str) -> str:
    """The topic a request names, or a 422-style error listing the topics."""
    if name not in TOPICS:
        message = f"unknown clause '{name}'; compare takes {' or '.join(sorted(TOPICS))}"
        raise InvalidArgument(f"clause: {message}",
                              problems=[FieldProblem(message, field="clause")])
    return name


def citation_at(lookup: RuleLookup, clause: Clause, at: datetime, region: str) -> Citation:
    """Which of the three states one clause is in at ``at`` for ``region``, with its version:
    the lookup's own answer (``clause_in_force``), so the comparison never says otherwise."""
    document = lookup.ruleset.documents[clause.document_id]
    if region not in document.regions:
        return Citation(clause, document, NOT_RECORDED, None, None, None)
    try:
        found = lookup.clause_in_force(clause.id, at, region)
    except NotRecorded as exc:
        first = exc.extensions.get("recorded_from") or exc.extensions.get("first_in_force")
        starts = parse_instant(first) if first else None
        return Citation(clause, document, NOT_RECORDED, None, None, starts)
    except NotInForce:
        current = next(((v, i) for v, i in intervals(clause.timeline(region))
                        if i.contains(at)), (None, None))
        read = lookup.document_version_in_force(document.id, at, region)
        notes = lookup.knowledge(document, at, region).notes
        return Citation(clause, document, NOT_IN_FORCE, current[0], current[1], None,
                        read.version if read else None, notes)
    knowledge = found.knowledge.notes if found.knowledge else ()
    return Citation(clause, document, IN_FORCE, found.version, found.in_force, None,
                    found.document_version.version, knowledge)


def compare(lookup: RuleLookup, topic: str, at: datetime, region: str | None = None
            ) -> Comparison:
    """Every platform's terms on ``topic`` at ``at`` in ``region``, side by side."""
    choice = lookup.region_choice(region)
    chosen = choice.region
    topic = topic_of(topic)
    rows = []
    for platform in sorted(lookup.ruleset.platforms.values(), key=lambda p: p.name.lower()):
        documents = [lookup.ruleset.documents[d] for d in platform.documents]
        covered = any(chosen in d.regions for d in documents)
        by_kind: dict[str, list[Citation]] = {}
        for document in documents:
            for clause in document.clauses:
                by_kind.setdefault(clause.kind, []).append(citation_at(lookup, clause, at, chosen))
        cells = _scraping_cells(by_kind) if topic == "scraping" else _training_cells(by_kind)
        if not covered:
            cells = [_uncovered(cell, chosen, documents) for cell in cells]
        rows.append(PlatformRow(platform, chosen, covered, tuple(cells)))
    note = (choice.describe(lookup.ruleset.regions[chosen].title)
            if choice.country or choice.assumed else None)
    return Comparison(topic, at, chosen, TOPICS[topic], tuple(rows), lookup.ruleset.revision,
                      choice, note)


def _uncovered(cell: Cell, region: str, documents: list[Document]) -> Cell:
    held = sorted({r for d in documents for r in d.regions})
    return Cell(cell.column, NOT_RECORDED, None,
                f"not recorded for {region}: the rules hold this platform's terms only for "
                f"{', '.join(held)}", cell.citations)


# -- the cells -----------------------------------------------------------------------------


def _in_force(citations: list[Citation]) -> list[Citation]:
    return [c for c in citations if c.state == IN_FORCE]


def _read(citations: list[Citation]) -> list[Citation]:
    return [c for c in citations if c.state != NOT_RECORDED]


def _not_recorded(column: str, citations: list[Citation], what: str) -> Cell:
    return Cell(column, NOT_RECORDED, None,
                f"not recorded: the rules hold no version of {what} for this date and region",
                tuple(citations))


def _scraping_cells(by_kind: dict[str, list[Citation]]) -> list[Cell]:
    scraping = by_kind.get("scraping-prohibition", [])
    damages = by_kind.get("liquidated-damages", [])
    banning = _in_force(scraping)
    read = _read(scraping)
    if banning:
        prohibited = Cell("prohibited", IN_FORCE, True, "prohibited", tuple(banning))
        consents = sorted({c.version.parameters["consent"] for c in banning})
        words = [_CONSENT_WORDS[c] for c in consents]
        consent = Cell("consent", IN_FORCE, consents[0] if len(consents) == 1 else consents,
                       "; ".join(words), tuple(banning))
    elif read:
        prohibited = Cell("prohibited", NOT_IN_FORCE, False,
                          "not prohibited in the terms read: no scraping clause in force",
                          tuple(read))
        consent = Cell("consent", NOT_IN_FORCE, None, "no ban, so no consent needed", tuple(read))
    else:
        prohibited = _not_recorded("prohibited", scraping, "a scraping clause")
        consent = _not_recorded("consent", scraping, "a scraping clause")
    return [prohibited, consent, _damages_cell(damages, scraping),
            _training_summary(by_kind)]


def _damages_cell(damages: list[Citation], scraping: list[Citation]) -> Cell:
    owed = _in_force(damages)
    if owed:
        citation = owed[0]
        p = citation.version.parameters
        value = {"amount": p["amount"], "currency": p["currency"], "per_posts": p["per_posts"],
                 "threshold_posts": p["threshold_posts"], "window": p["window"]}
        text = (f"{p['amount']} {p['currency']} per {p['per_posts']:,} posts above "
                f"{p['threshold_posts']:,} posts in {_window_words(p['window'])}")
        return Cell("damages", IN_FORCE, value, text, tuple(owed))
    # An amount is "none" only where the words in force were read for one.
    banning = _in_force(scraping)
    read = _read(scraping) + _read(damages)
    if banning and all(c.version.parameters["states_damages_amount"] is False for c in banning):
        return Cell("damages", NOT_IN_FORCE, None, "none: the terms in force name no amount",
                    tuple(banning + _read(damages)))
    if read:
        return Cell("damages", NOT_IN_FORCE, None,
                    "none: no clause in force puts an amount on scraping", tuple(read))
    return _not_recorded("damages", damages + scraping, "a damages or scraping clause")


def _window_words(window: str) -> str:
    return "any 24-hour period" if window == "PT24H" else f"any period of {window}"


def _others_training(by_kind: dict[str, list[Citation]]) -> tuple[list[Citation], list[Citation]]:
    """Clauses that bar others from training on content: those in force, and those read."""
    bans = by_kind.get("model-training-ban", [])
    scraping_bans = [c for c in by_kind.get("scraping-prohibition", [])
                     if c.state == IN_FORCE and c.version.parameters.get("covers_ai_training")]
    return _in_force(bans) + scraping_bans, _read(bans)


def _platform_training(by_kind: dict[str, list[Citation]]) -> tuple[list[Citation],
                                                                      list[Citation]]:
    """Clauses by which the platform or its partners may train on content."""
    uses = [c for c in _in_force(by_kind.get("ai-training", []))]
    uses += [c for c in _in_force(by_kind.get("content-licence", []))
             if c.version.parameters.get("covers_ai_training")]
    read = _read(by_kind.get("ai-training", [])) + _read(by_kind.get("content-licence", []))
    return uses, read


def _training_summary(by_kind: dict[str, list[Citation]]) -> Cell:
    barred, barred_read = _others_training(by_kind)
    uses, uses_read = _platform_training(by_kind)
    parts = []
    if barred:
        parts.append("others may not train: " + "; ".join(_ban_scope(c) for c in barred))
    if uses:
        trainers = sorted({_trainer(c) for c in uses})
        parts.append(" and ".join(trainers) + " may train on content")
    if parts:
        return Cell("ai_training", IN_FORCE, "; ".join(parts), "; ".join(parts),
                    tuple(barred + uses))
    read = barred_read + uses_read
    if read:
        return Cell("ai_training", NOT_IN_FORCE, None,
                    "no clause on AI training in force in the terms read", tuple(read))
    return Cell("ai_training", NOT_RECORDED, None,
                "not recorded: the rules hold no clause on AI training for this platform",
                ())


def _ban_scope(citation: Citation) -> str:
    if citation.clause.kind == "model-training-ban":
        return citation.version.parameters["scope"]
    return "within the scraping clause"


def _trainer(citation: Citation) -> str:
    if citation.clause.kind == "ai-training":
        trainer = citation.version.parameters["trainer"]
        return "the platform" if trainer == "platform" else "third parties"
    return "the platform"


def _training_cells(by_kind: dict[str, list[Citation]]) -> list[Cell]:
    barred, barred_read = _others_training(by_kind)
    if barred:
        others = Cell("training_by_others", IN_FORCE, False,
                      "prohibited: " + "; ".join(_ban_scope(c) for c in barred), tuple(barred))
    elif barred_read:
        others = Cell("training_by_others", NOT_IN_FORCE, None,
                      "no ban in force in the terms read", tuple(barred_read))
    else:
        others = _not_recorded("training_by_others", [], "a clause on others' training")
    uses, uses_read = _platform_training(by_kind)
    if uses:
        trainers = sorted({_trainer(c) for c in uses})
        platform = Cell("training_by_platform", IN_FORCE, True,
                        " and ".join(trainers) + " may train on content", tuple(uses))
        with_opt_out = [c for c in uses if c.clause.kind == "ai-training"]
        if with_opt_out:
            offered = any(c.version.parameters["opt_out"] for c in with_opt_out)
            settings = sorted({c.version.parameters.get("opt_out_setting") or "setting not named"
                               for c in with_opt_out if c.version.parameters["opt_out"]})
            opt_out = Cell("opt_out", IN_FORCE, offered,
                           f"yes ({'; '.join(settings)})" if offered else "no opt-out stated",
                           tuple(with_opt_out))
        else:
            opt_out = Cell("opt_out", IN_FORCE, False, "no opt-out stated in the terms read",
                           tuple(uses))
    elif uses_read:
        platform = Cell("training_by_platform", NOT_IN_FORCE, False,
                        "no clause in force lets the platform train on content",
                        tuple(uses_read))
        opt_out = Cell("opt_out", NOT_IN_FORCE, None, "nothing to opt out of in the terms read",
                       tuple(uses_read))
    else:
        platform = _not_recorded("training_by_platform", [], "a clause on the platform's training")
        opt_out = _not_recorded("opt_out", [], "an opt-out")
    return [others, platform, opt_out]


_CONSENT_WORDS = {
    "prior_consent": "prior consent",
    "prior_written_consent": "prior written consent",
    "express_written_permission": "express written permission",
    "express_permission": "express permission",
    "express_prior_permission": "express prior permission",
    "prior_permission": "prior permission",
    "prior_written_permission": "prior written permission",
    "written_approval": "software provided or approved in writing by the platform",
    "permission": "the platform's authorization",
    "separate_agreement": "a separate agreement",
    "none_possible": "none named: the words offer no permission",
}
