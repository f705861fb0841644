"""Review a usage profile: the findings a data-licensing reviewer can file.

Everything cited is looked up in the rules by clause kind (never by a clause number
or an amount written in code): the terms in force when collection started and every
change during it, the scraping prohibition and the projected damages (the assessment
engine, on a schedule built from the profile), the licensed cost at the recorded API
prices, AI-training bans and opt-outs, the platform's own retention periods, and the
forum, law and time limit for claims. What the rules do not hold is said, never guessed.

This module holds the review's shape and its order; each family of findings lives in the
module named after it (terms, scraping, licence_cost, ai_training, processing, retention,
forum), as functions of the reviewer so that all of them cite and file findings one way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from calculator import __version__
from calculator.damages.assessment import Assessment, default_lookup
from calculator.errors import InvalidInput
from calculator.review.ai_training import ai_training
from calculator.review.findings import Citation, Finding, Gap, ordered
from calculator.review.forum import forum
from calculator.review.licence_cost import licence
from calculator.review.licensing import LicensedCost
from calculator.review.processing import processing
from calculator.review.profile import Profile, load_profile, parse_profile_json
from calculator.review.retention import IDENTITY_CATEGORY, RETENTION_CATEGORIES, retention
from calculator.review.schedule import Schedule, build_schedule, uncovered_days
from calculator.review.scraping import scraping
from calculator.review.terms import terms
from calculator.rules.in_force import Interval
from calculator.rules.lookup import RuleLookup
from calculator.rules.model import Clause, ClauseVersion, Document
from calculator.timeutil import start_of_day

ENGINE_VERSION = __version__

# The names callers import from here; the retention categories moved to ``retention`` and
# stay importable from this module, where they were first defined.
__all__ = ["ENGINE_VERSION", "IDENTITY_CATEGORY", "RETENTION_CATEGORIES", "Review", "review"]


@dataclass(frozen=True)
class Review:
    """A review of one profile: ordered findings, what the rules do not hold, and why."""

    profile: Profile
    findings: tuple[Finding, ...]
    not_in_rules: tuple[Gap, ...]
    assumptions: tuple[str, ...]
    schedule: Schedule = field(repr=False)
    projection: Assessment | None = field(default=None, repr=False)
    licensed: LicensedCost | None = field(default=None, repr=False)
    ruleset_revision: str = ""
    engine_version: str = ENGINE_VERSION

    @property
    def platform(self) -> str:
        return self.profile.platform

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s)
                for s in ("high", "warning", "info")}

    def findings_with(self, code: str) -> list[Finding]:
        return [f for f in self.findings if f.code == code]

    def equivalent_log(self) -> bytes:
        """The crawl log (CSV) whose assessment is this review's projection."""
        return self.schedule.to_csv()

    def to_document(self) -> dict[str, Any]:
        """The JSON document the HTTP API and ``calculator review --json`` return."""
        from calculator.schemas.review import ReviewSchema

        return ReviewSchema().dump(self)

    def to_frame(self) -> pd.DataFrame:
        """The findings as a table (severity, date, code, title, citations), for notebooks."""
        return pd.DataFrame([{
            "severity": f.severity, "date": f.date, "code": f.code, "title": f.title,
            "citations": ", ".join(f"{c.clause or c.document} {c.version}" for c in f.citations)}
            for f in self.findings])


class _Reviewer:
    """One review in progress: the profile, the rules, and the findings, gaps and assumptions
    made so far. The family modules add to it through ``cite``, ``add`` and ``gap``, so every
    finding is cited and filed the same way whichever module makes it."""

    def __init__(self, profile: Profile, lookup: RuleLookup) -> None:
        self.p = profile
        self.lookup = lookup
        self.ruleset = lookup.ruleset
        self.region = profile.region
        self.lo = start_of_day(profile.start)
        self.hi = start_of_day(profile.end)
        self.platform = self.ruleset.platforms[profile.platform]
        self.schedule = build_schedule(profile)
        self.findings: list[Finding] = []
        self.gaps: list[Gap] = []
        self.assumptions: list[str] = []
        self.projection: Assessment | None = None
        self.licensed: LicensedCost | None = None

    # -- looking things up -----------------------------------------------------------------

    def periods(self, clause: Clause) -> list[tuple[ClauseVersion, Interval]]:
        return self.lookup.in_force_periods(clause.id, self.region)

    def in_collection(self, interval: Interval) -> bool:
        """Whether a version's interval in force overlaps the collection."""
        return interval.start < self.hi and (interval.end is None or interval.end > self.lo)

    def during(self, clause: Clause) -> list[tuple[ClauseVersion, Interval]]:
        return [(v, i) for v, i in self.periods(clause) if self.in_collection(i)]

    def document(self, clause: Clause) -> Document:
        return self.ruleset.documents[clause.document_id]

    def cite(self, clause: Clause, version: ClauseVersion, interval: Interval,
             quote: str | None = None, context: tuple[str, ...] | None = None) -> Citation:
        doc_version = self.lookup.document_version_in_force(clause.document_id, version.starts,
                                                            self.region)
        return Citation(
            clause=clause.id, title=clause.title, document=clause.document_id,
            region=self.region, version=version.date, in_force=interval, source=version.source,
            quote=quote if quote is not None else version.quote,
            context=version.context if context is None else context,
            document_version=doc_version.version.date if doc_version else None,
            evidence=version.evidence)

    def start_of(self, interval: Interval) -> date:
        """The finding's date: the version's start, or the first day of collection."""
        return max(self.p.start, interval.start.date())

    def add(self, code: str, severity: str, when: date, title: str, detail: str,
            citations: list[Citation], facts: dict[str, Any] | None = None) -> None:
        self.findings.append(Finding(code, severity, when, title, detail, tuple(citations),
                                     facts or {}))

    def gap(self, topic: str, note: str, document: str | None = None) -> None:
        self.gaps.append(Gap(topic, note, document))

    # -- the review ------------------------------------------------------------------------

    def run(self) -> Review:
        p = self.p
        self.assumptions.append(
            f"The collection runs from 00:00 UTC on {p.start} up to, not including, {p.end} "
            f"({p.days:,} days); clauses are read in the {self.region} part of the terms.")
        if p.opted_out_users_excluded is None:
            self.assumptions.append("The profile does not say whether users who opted out are "
                                    "excluded; the review treats them as not excluded.")
        if uncovered_days(p):
            self.assumptions.append(f"{uncovered_days(p):,} days of the period are in no "
                                    "schedule entry and are taken to have no collection.")
        terms(self)
        scraping(self)
        licence(self)
        if self.projection is not None or self.licensed is not None:
            self.assumptions.insert(1, self.schedule.description())
        if "ai_training" in p.purposes:
            ai_training(self)
        processing(self)
        retention(self)
        forum(self)
        cited = {c.document for f in self.findings for c in f.citations}
        for doc_id in sorted(cited):
            for topic, note in self.ruleset.documents[doc_id].unknowns:
                self.gap(topic, note, doc_id)
        self.assumptions.append(
            f"The rules are those of ruleset {self.ruleset.revision[:12]}; a version that takes "
            "effect after the last recorded one is not known to them.")
        return Review(profile=p, findings=tuple(ordered(self.findings)),
                      not_in_rules=tuple(self.gaps), assumptions=tuple(self.assumptions),
                      schedule=self.schedule, projection=self.projection,
                      licensed=self.licensed, ruleset_revision=self.ruleset.revision)


def review(profile: Any, *, rules: RuleLookup | None = None) -> Review:
    """Review a usage profile: a mapping (parsed JSON), a path to a JSON file, or JSON bytes."""
    lookup = rules or default_lookup()
    if isinstance(profile, Profile):
        loaded = profile
    else:
        if isinstance(profile, bytes | bytearray):
            data = parse_profile_json(bytes(profile))
        elif isinstance(profile, str | os.PathLike):
            path = Path(profile)
            try:
                text = path.read_bytes()
            except OSError as exc:
                raise InvalidInput(f"cannot read the profile {path}: {exc.strerror}") from None
            data = parse_profile_json(text, str(path))
        elif isinstance(profile, Mapping):
            data = json.loads(json.dumps(dict(profile), default=str))
        else:
            raise InvalidInput("a profile is a mapping, a path to a JSON file, or JSON bytes")
        loaded = load_profile(data, lookup)
    return _Reviewer(loaded, lookup).run()
