"""Review a usage profile: the findings a data-licensing reviewer can file.

Everything cited is looked up in the rules by clause kind (never by a clause number
or an amount written in code): the terms in force when collection started and every
change during it, the scraping prohibition and the projected damages (the assessment
engine, on a schedule built from the profile), the licensed cost at the recorded API
prices, AI-training bans and opt-outs, the platform's own retention periods, and the
forum, law and time limit for claims. What the rules do not hold is said, never guessed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from calculator import __version__
from calculator.damages.assessment import (
    Assessment,
    Exclusions,
    InputInfo,
    Options,
    damages_clause,
    default_lookup,
    evaluate,
)
from calculator.damages.pricing import HEADLINE_READING
from calculator.errors import InvalidInput, NotInForce
from calculator.review.findings import Citation, Finding, Gap, ordered
from calculator.review.licensing import LicensedCost, Month, cents, licensed_cost
from calculator.review.processing import bearing_kinds as processing_kinds
from calculator.review.processing import processing
from calculator.review.profile import (
    DATA_CATEGORIES,
    Profile,
    load_profile,
    parse_profile_json,
)
from calculator.review.schedule import Schedule, build_schedule, uncovered_days
from calculator.rules.lookup import Interval, RuleLookup, intervals
from calculator.rules.model import Clause, ClauseVersion, Document
from calculator.timeutil import format_instant, format_ns, parse_duration
from calculator.web.present import reading_phrase

ENGINE_VERSION = __version__

# Which retention categories of the platform's schedule each profile category reads as.
# The profile's words are ours; the slugs are the rule files' (docs/decisions/0030).
RETENTION_CATEGORIES: dict[str, tuple[str, ...]] = {
    "public_posts": ("usage-information", "profile-information-and-content"),
    "profile_information": ("profile-information", "profile-information-and-content"),
    "direct_messages": (),
    "identity_verification_data": (),  # read from identity-verification clauses instead
}
IDENTITY_CATEGORY = "identity_verification_data"

_PERIOD_WORDS = {
    "life-of-account": "for the life of the account",
    "life-of-account-or-until-removed": "for the life of the account or until the content is "
                                        "removed",
    "while-using-paid-services": "while the user uses paid services",
    "while-in-programme": "while the user takes part in the programme",
    "indefinite": "indefinitely",
    "soon-after-processing": "until soon after processing (no number given)",
}
_UNITS = (("years", "year"), ("months", "month"))


def _period_words(period: str) -> str:
    if period in _PERIOD_WORDS:
        return _PERIOD_WORDS[period]
    d = parse_duration(period)
    parts = []
    for attribute, noun in _UNITS:
        value = getattr(d, attribute)
        if value:
            parts.append(f"{value} {noun}{'s' if value > 1 else ''}")
    if d.days:
        parts.append(f"{d.days} day{'s' if d.days > 1 else ''}")
    if d.seconds:
        hours = d.seconds // 3600
        parts.append(f"{hours} hour{'s' if hours > 1 else ''}" if d.seconds % 3600 == 0
                     else f"{d.seconds} seconds")
    return "for up to " + " ".join(parts)


def _longer(planned: str | None, stated: str) -> bool | None:
    """Whether a planned retention is longer than a stated period; None: not comparable."""
    if planned is None:
        return None
    stated_fixed = stated not in _PERIOD_WORDS
    if planned == "indefinite":
        return True if stated_fixed else (False if stated == "indefinite" else None)
    if not stated_fixed:
        return False if stated == "indefinite" else None
    return parse_duration(planned).approximate_days() > parse_duration(stated).approximate_days()


def _instant(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def _money(currency: str, amount: Decimal) -> str:
    return f"{currency} {cents(amount):,.2f}"


def _overlaps(interval: Interval, lo: datetime, hi: datetime) -> bool:
    return interval.start < hi and (interval.end is None or interval.end > lo)


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
    def __init__(self, profile: Profile, lookup: RuleLookup) -> None:
        self.p = profile
        self.lookup = lookup
        self.ruleset = lookup.ruleset
        self.region = profile.region
        self.lo = _instant(profile.start)
        self.hi = _instant(profile.end)
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

    def during(self, clause: Clause) -> list[tuple[ClauseVersion, Interval]]:
        return [(v, i) for v, i in self.periods(clause) if _overlaps(i, self.lo, self.hi)]

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
        self.terms()
        self.scraping()
        self.licence()
        if self.projection is not None or self.licensed is not None:
            self.assumptions.insert(1, self.schedule.description())
        if "ai_training" in p.purposes:
            self.ai_training()
        processing(self)
        self.retention()
        self.forum()
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

    # -- terms in force, and every change --------------------------------------------------

    def bearing_kinds(self) -> set[str]:
        """Clause kinds whose change bears on this profile (a change to them is a warning)."""
        p = self.p
        kinds = {"subscription-tiers", "pay-per-use"} if p.channel == "official_api" else set()
        if p.channel == "scraping":
            kinds |= {"liquidated-damages", "scraping-prohibition"}
        if p.channel == "licensed_vendor":
            kinds |= {"scraping-prohibition"}
        if "ai_training" in p.purposes:
            kinds |= {"ai-training", "model-training-ban", "content-licence"}
        if any(RETENTION_CATEGORIES.get(c) for c in p.data_categories):
            kinds.add("retention-schedule")
        if IDENTITY_CATEGORY in p.data_categories:
            kinds.add("identity-verification")
        return kinds | processing_kinds(p.purposes, p.user_regions)

    def terms(self) -> None:
        for doc_id in self.platform.documents:
            document = self.ruleset.documents[doc_id]
            if self.region not in document.regions:
                continue
            timeline = intervals(document.timeline(self.region))
            if not timeline:
                self.gap(f"{document.title} ({self.region})", "The rules hold no version of "
                         "this document for this regional part.", doc_id)
                continue
            at_start = self.lookup.document_version_in_force(doc_id, self.lo, self.region)
            if at_start is not None:
                self.in_force_at_start(document, at_start.version, at_start.in_force)
            else:
                self.not_recorded_at_start(document, timeline)
            for version, interval in timeline:
                if self.lo < interval.start < self.hi:
                    self.changed(document, version, interval)

    def in_force_at_start(self, document: Document, version: Any, interval: Interval) -> None:
        citations, names = [], []
        for clause in document.clauses:
            try:
                answer = self.lookup.clause_in_force(clause.id, self.lo, self.region)
            except NotInForce:
                continue
            citations.append(self.cite(clause, answer.version, answer.in_force))
            names.append(f"{clause.title} (version {answer.version.date})")
        if not citations:
            citations = [self.document_citation(document, version, interval)]
        dating = ("as printed" if version.dating == "printed"
                  else "first seen in force; the page prints no date")
        self.add("terms.in-force-at-start", "info", self.p.start,
                 f"{document.title}: the version of {version.date} was in force when collection "
                 f"started on {self.p.start}.",
                 f"Version {version.date} ({dating}) was in force from "
                 f"{format_instant(interval.start)}"
                 f"{' until ' + format_instant(interval.end) if interval.end else ''}. "
                 f"{version.summary or ''} Clauses recorded in force then: "
                 f"{'; '.join(names) or 'none'}.".replace("  ", " "),
                 citations, {"document": document.id, "version": version.date,
                             "dating": version.dating})

    def document_citation(self, document: Document, version: Any,
                          interval: Interval) -> Citation:
        return Citation(clause=None, title=document.title, document=document.id,
                        region=self.region, version=version.date, in_force=interval,
                        source=version.source, quote=None, document_version=version.date)

    def not_recorded_at_start(self, document: Document, timeline: list) -> None:
        first_version, first_interval = timeline[0]
        if first_interval.start <= self.lo:
            return  # recorded, but ended before the collection: no version then (a gap)
        citations = []
        for clause in document.clauses:
            present = self.periods(clause)
            if present:
                version, interval = present[0]
                citations.append(self.cite(clause, version, interval))
        if not citations:
            citations = [self.document_citation(document, first_version, first_interval)]
        after = first_interval.start >= self.hi
        self.add("terms.not-recorded-at-start", "info", self.p.start,
                 f"The rules hold no version of {document.title} before {first_version.date}, "
                 f"so its terms on {self.p.start} are not known.",
                 f"Its first recorded version is of {first_version.date} "
                 f"({'after the collection' if after else 'during the collection'}). Nothing "
                 "is assumed about earlier terms.",
                 citations, {"document": document.id, "first_version": first_version.date})

    def changed(self, document: Document, version: Any, interval: Interval) -> None:
        changes = self.lookup.changes(document.id, interval.start - timedelta(microseconds=1),
                                      interval.start, self.region)
        described, citations, facts, kinds = [], [], [], set()
        parameter_lines: list[str] = []
        for change in changes.clauses:
            if change.old is None and change.new is None:
                continue  # a record of absence where nothing was recorded before
            clause = change.clause
            kinds.add(clause.kind)
            shown = change.new or change.old
            span = next(i for v, i in intervals(clause.timeline(self.region)) if v is shown)
            citations.append(self.cite(clause, shown, span))
            earlier = [v for v in clause.timeline(self.region) if v.date < shown.date]
            described.append(_describe_change(change, first_recorded=not earlier))
            if change.old is not None and change.new is not None:
                parameter_lines.append(_describe_parameters(change))
            facts.append({
                "clause": clause.id, "title": clause.title, "kind": clause.kind,
                "change": change.change,
                "old_version": change.old.date if change.old else None,
                "new_version": change.new.date if change.new else None,
                "old_quote": change.old.quote if change.old else None,
                "new_quote": change.new.quote if change.new else None,
                "parameters": [{"name": c.name, "old": c.old, "new": c.new}
                               for c in change.parameters],
                "words": [{"op": w.op, "old": w.old, "new": w.new} for w in change.words]})
        if not citations:
            citations = [self.document_citation(document, version, interval)]
        bearing = kinds & self.bearing_kinds()
        what = "; ".join(described) if described else "no clause the rules hold changed"
        self.add("terms.changed-during-collection", "warning" if bearing else "info",
                 version.date,
                 f"{document.title} changed on {version.date}, during the collection: {what}.",
                 f"Version {version.date} "
                 f"({'as printed' if version.dating == 'printed' else 'first seen in force'}) "
                 f"took effect at {format_instant(interval.start)}. {version.summary or ''}"
                 + "".join(f" {line}." for line in parameter_lines if line)
                 + (f" This bears on the profile ({', '.join(sorted(bearing))})."
                    if bearing else ""),
                 citations, {"document": document.id, "version": version.date,
                             "changes": facts})

    # -- scraping, and what it would cost in damages --------------------------------------

    def scraping(self) -> None:
        p = self.p
        if p.channel not in ("scraping", "licensed_vendor"):
            return
        damages = self.lookup.clauses_of_kind(p.platform, "liquidated-damages")
        prohibitions = self.lookup.clauses_of_kind(p.platform, "scraping-prohibition")
        if not prohibitions:
            self.gap("Scraping prohibition", f"The rules hold no scraping clause of "
                     f"{self.platform.name}.")
        for clause in prohibitions:
            found = self.during(clause)
            document = self.document(clause)
            if not found:
                absent = [v for v, i in intervals(clause.timeline(self.region))
                          if not v.present and _overlaps(i, self.lo, self.hi)]
                self.gap(f"Scraping prohibition: {document.title}",
                         f"The rules record no scraping prohibition of {document.title} in force "
                         "during the collection" + (
                             f"; its version of {absent[-1].date} is recorded as having none"
                             + (f" ({absent[-1].note.rstrip('.')})" if absent[-1].note else "")
                             if absent else "") + ".", clause.document_id)
                continue
            latest = found[-1][0]
            amount = ("These words put no amount on a breach; the damages are in " +
                      ", ".join(c.id for c in damages) + "." if damages else
                      "These words put no amount on a breach, and the rules hold no clause of "
                      f"{self.platform.name} that does.")
            ai = (" The words name AI training among what is prohibited."
                  if latest.parameters.get("covers_ai_training") else "")
            versions = ", ".join(str(v.date) for v, _ in found)
            if p.channel == "scraping":
                severity = "high"
                title = (f"{document.title} prohibits the scraping this profile describes "
                         f"({clause.title}).")
            else:
                severity = "warning"
                title = (f"{document.title} prohibits scraping; the profile does not say how the "
                         "vendor collected.")
            self.add("scraping.prohibited", severity, self.start_of(found[0][1]), title,
                     f"In force during the collection: version{'s' if len(found) > 1 else ''} "
                     f"{versions}: \"{latest.quote}\" {amount}{ai}",
                     [self.cite(clause, v, i) for v, i in found],
                     {"clause": clause.id, "versions": [v.date for v, _ in found],
                      "consent": latest.parameters.get("consent")})
        if p.channel == "scraping":
            if damages:
                self.project(damages)
            else:
                self.gap("Liquidated damages", f"The rules hold no clause of "
                         f"{self.platform.name} that puts an amount on scraping, so nothing is "
                         "projected.")

    def project(self, damages: list[Clause]) -> None:
        clause = damages_clause(self.lookup, self.p.platform)
        periods = self.periods(clause)
        found = [(v, i) for v, i in periods if _overlaps(i, self.lo, self.hi)]
        if not periods:
            self.gap(clause.id, f"No version of it is recorded for {self.region}.",
                     clause.document_id)
            return
        if not found:
            version, interval = next(((v, i) for v, i in periods if i.start >= self.hi),
                                     periods[-1])
            when = "after" if interval.start >= self.hi else "before"
            self.add("damages.not-in-force", "info", self.p.start,
                     f"{clause.title} ({clause.id}) was not in force during the collection, so "
                     "nothing is projected.",
                     f"Its version of {version.date} is in force from "
                     f"{format_instant(interval.start)}, {when} the collection.",
                     [self.cite(clause, version, interval)], {"clause": clause.id})
            return
        volume = self.schedule.volume()
        log = self.schedule.to_csv()
        info = InputInfo(sha256=self.schedule.csv_sha256(), format="csv",
                         rows=len(volume.instants), bytes=len(log),
                         columns=("timestamp", "posts"))
        none = {"other_platforms": 0, "authorized": 0}
        options = Options(platform=self.p.platform, region=self.region,
                          headline=HEADLINE_READING)
        result = evaluate(volume, self.lookup, options, info, Exclusions(dict(none), dict(none)),
                          [self.schedule.description()])
        self.projection = result
        cur = result.currency
        headline, low, high = result.headline.amount, result.low, result.high
        first = found[0][1].start
        tariff = found[0][0].parameters
        before = result.excluded.posts.get("before_in_force", 0)
        if high == 0:
            severity = "info"
            title = (f"The stated volume projects no damages under any reading: no 24-hour "
                     f"period holds more than {tariff['threshold_posts']:,} posts.")
        else:
            severity = "high" if headline > 0 else "warning"
            title = (f"Projected liquidated damages for the stated volume: "
                     f"{_money(cur, headline)} (headline), {_money(cur, low)} to "
                     f"{_money(cur, high)} across the 18 readings.")
        counted = (f"{result.counted_posts:,} of the {self.schedule.total_posts:,} posts fall "
                   f"while the clause was in force")
        if before:
            counted += f" (from {format_instant(first)}; {before:,} posts before it are left out)"
        detail = (
            f"{clause.id} prices {cur} {Decimal(tariff['amount']):,.2f} per "
            f"{tariff['per_posts']:,} posts for more than {tariff['threshold_posts']:,} posts "
            f"in any 24-hour period ({self.region} part). The same engine as crawl-log "
            f"assessments prices a schedule built from the profile: {counted}. Headline reading: "
            f"{reading_phrase({}, HEADLINE_READING.key, period='24-hour')}. The clause applies "
            "only where its condition is met "
            f"(\"{found[-1][0].parameters['trigger']}\"); the projection assumes it is. This is "
            "a projection from a description, not an assessment of a log.")
        peak = result.peak
        self.add("damages.projected", severity, first.date() if first > self.lo else self.p.start,
                 title, detail, [self.cite(clause, v, i) for v, i in found], {
                     "clause": clause.id, "currency": cur,
                     "headline": {"reading": HEADLINE_READING.key, "amount": headline},
                     "range": {"low": low, "high": high},
                     "readings": [{"reading": r.reading.key, "amount": r.amount,
                                   "windows_owing": sum(1 for w in r.windows if w.amount > 0)}
                                  for r in result.readings],
                     "counted_posts": result.counted_posts,
                     "excluded_posts": dict(result.excluded.posts),
                     "peak_24h": None if peak is None else {
                         "posts": peak.posts, "start": format_ns(peak.start_ns),
                         "end": format_ns(peak.end_ns)},
                     "schedule": {"days": len(self.schedule.days),
                                  "posts": self.schedule.total_posts,
                                  "accesses": len(volume.instants),
                                  "equivalent_log_sha256": info.sha256},
                     "assumptions": list(result.assumptions)})

    # -- licensed cost --------------------------------------------------------------------

    def licence(self) -> None:
        p = self.p
        result = licensed_cost(self.lookup, p.platform, self.region, self.schedule, p.start,
                               p.end)
        if result is None:
            self.gap("API prices", f"The rules hold no API prices for {self.platform.name}, so "
                     "the volume is not priced as a licence.")
            return
        self.licensed = result
        self.assumptions.append(
            "Licensed cost: each calendar month (UTC) of the collection is priced by the price "
            "versions in force on its first day of collection; each counted post is read once "
            "(no re-reads), so it is charged once.")
        citations = [self.cite(self.lookup.clause(v.clause_id), v, i) for v, i in result.used]
        if not citations:
            for clause in result.clauses:
                periods = self.periods(clause)
                if periods:
                    v, i = next(((v, i) for v, i in periods if i.start >= self.lo), periods[-1])
                    citations.append(self.cite(clause, v, i))
        if not citations:
            self.gap("API prices", "No price version is recorded for this regional part.")
            return
        months = [m for m in result.months if m.posts]
        lines = [_month_line(m, self.periods_of_first(m)) for m in months]
        at_cap = [a for a in result.at_cap if a.cost is not None]
        cap_lines = [
            f"At {a.name}'s cap of {a.monthly_cap:,} post reads a month (version {a.version}"
            + (f", {_money(a.currency, a.price)} a month" if a.plan == "subscription" else
               f", {a.currency} {a.price} per post read")
            + f") the {result.total_posts:,} posts need {a.months:,} month"
            f"{'s' if a.months != 1 else ''}: {_money(a.currency, a.cost)}."
            for a in at_cap]
        comparison, compared = self.compare(result)
        priced = sum(1 for m in months if m.status == "priced")
        if not months:
            title = "The profile's volume is zero; nothing to license."
        elif result.complete:
            total = "; ".join(_money(c, v) for c, v in result.totals.items())
            title = (f"Through the API the stated volume would cost {total} at the recorded "
                     f"prices ({len(months)} month{'s' if len(months) != 1 else ''}).")
        else:
            if priced:
                title = (f"Only {priced} of {len(months)} months of the collection can be priced "
                         "through the API from the rules; the others exceed every priced cap or "
                         "fall where prices are unknown.")
            else:
                title = (f"None of the {len(months)} months of the collection can be priced "
                         "through the API from the rules: each exceeds every priced cap or falls "
                         "where prices are unknown.")
        detail = " ".join(["Month by month: " + "; ".join(lines) + "." if lines else "",
                           *cap_lines, comparison]).strip()
        facts = result.as_facts()
        facts["comparison"] = compared
        self.add("licence.cost", "info" if result.complete else "warning", p.start, title,
                 detail, citations, facts)

    def periods_of_first(self, month: Month) -> dict[str, date | None]:
        """Per pricing clause not in force in the month: its first recorded date."""
        firsts: dict[str, date | None] = {}
        for clause_id in month.not_recorded:
            periods = self.lookup.in_force_periods(clause_id, self.region)
            later = [v.date for v, i in periods if i.start > _instant(month.priced_at)]
            firsts[clause_id] = later[0] if later else None
        return firsts

    def compare(self, result: LicensedCost) -> tuple[str, dict[str, Any] | None]:
        projection = self.projection
        if projection is None:
            return "", None
        cur = projection.currency
        facts: dict[str, Any] = {"damages_currency": cur,
                                 "damages_headline": projection.headline.amount,
                                 "damages_low": projection.low, "damages_high": projection.high,
                                 "licensed_known": result.totals.get(cur),
                                 "licensed_complete": result.complete}
        if result.currencies and cur not in result.currencies:
            return (f"The projected damages are in {cur} and the prices in "
                    f"{', '.join(sorted(result.currencies))}; the rules hold no exchange rate, "
                    "so the two are not compared.", facts)
        headline = _money(cur, projection.headline.amount)
        known = result.totals.get(cur, Decimal(0))
        cheapest_cap = min((a for a in result.at_cap if a.cost is not None and a.currency == cur),
                           key=lambda a: a.cost, default=None)
        if cheapest_cap is not None:
            facts["cheapest_at_cap"] = {"name": cheapest_cap.name, "version": cheapest_cap.version,
                                        "months": cheapest_cap.months, "cost": cheapest_cap.cost}
        sentence = (f"Against the projected damages (headline {headline}; range "
                    f"{_money(cur, projection.low)} to {_money(cur, projection.high)}): ")
        if result.complete:
            sentence += f"the licence costs {_money(cur, known)} for the same months."
        elif known:
            sentence += (f"the months that can be priced cost {_money(cur, known)}; the rest "
                         "cannot be priced, so no complete licensed cost is compared.")
        else:
            sentence += "no month can be priced, so no licensed cost is compared."
        if cheapest_cap is not None:
            sentence += (f" Read within {cheapest_cap.name}'s cap, the same volume costs "
                         f"{_money(cur, cheapest_cap.cost)} but takes {cheapest_cap.months:,} "
                         "months.")
        return sentence, facts

    # -- AI training -----------------------------------------------------------------------

    def ai_training(self) -> None:
        p = self.p
        for clause in self.lookup.clauses_of_kind(p.platform, "model-training-ban"):
            periods = self.periods(clause)
            if not periods:
                continue
            applies = set(periods[-1][0].parameters["applies_to"])
            if p.channel != "official_api" and "services" not in applies:
                continue
            document = self.document(clause)
            absent = [v.date for v in clause.timeline(self.region) if not v.present]
            recorded = (f" The rules record it as absent in the version of {absent[-1]}."
                        if absent else "")
            found = self.during(clause)
            if found:
                version, interval = found[0]
                severity = "high" if p.channel == "official_api" else "warning"
                binds = ("" if p.channel == "official_api" else
                         f" The clause is in the {document.title}, which bind those who accept "
                         "them; its words are not limited to the API.")
                self.add("ai.model-training-ban", severity, self.start_of(interval),
                         f"{document.title} bans using the content to train models "
                         f"({version.parameters['scope']}) from {version.date}, during the "
                         "collection; the profile's purpose is AI training.",
                         f"\"{version.quote}\" In force from {format_instant(interval.start)}."
                         f"{recorded}{binds} Whether the model trained is one the words reach "
                         "is not in the profile.",
                         [self.cite(clause, v, i) for v, i in found],
                         {"clause": clause.id, "versions": [v.date for v, _ in found]})
                continue
            later = [(v, i) for v, i in periods if i.start >= self.hi]
            if later:
                version, interval = later[0]
                self.add("ai.model-training-ban-after-collection", "warning", version.date,
                         f"{document.title} bans using the content to train models from "
                         f"{version.date}, after the collection ended; the profile's purpose is "
                         "AI training.",
                         f"\"{version.quote}\" The words restrict use, not collection, so they "
                         "speak to when the content is used for training, which the profile does "
                         f"not state.{recorded}",
                         [self.cite(clause, version, interval)],
                         {"clause": clause.id, "version": version.date})
        for clause in self.lookup.clauses_of_kind(p.platform, "ai-training"):
            found = [(v, i) for v, i in self.during(clause) if v.parameters["opt_out"]]
            if found:
                self.opt_out(clause, found)

    def opt_out(self, clause: Clause, found: list[tuple[ClauseVersion, Interval]]) -> None:
        p = self.p
        version, interval = found[0]
        document = self.document(clause)
        params = version.parameters
        third = params["trainer"] == "third-parties"
        code = "ai.third-party-training-opt-out" if third else "ai.platform-training-opt-out"
        if p.opted_out_users_excluded:
            severity, stance = "info", "the profile excludes users who opted out"
        elif p.opted_out_users_excluded is False:
            severity, stance = "warning", "the profile does not exclude users who opted out"
        else:
            severity, stance = "warning", "the profile does not say whether users who opted out " \
                                          "are excluded"
        if third:
            title = (f"{document.title} lets recipients of shared data train their own AI models "
                     f"only where users have not opted out (from {version.date}); {stance}.")
        else:
            title = (f"{document.title} gives users an opt-out from the platform's training of "
                     f"its models on their data (from {version.date}); {stance}.")
        setting = (f"The opt-out setting is {params['opt_out_setting']}." if
                   params["opt_out_setting"] else "The rules do not name the opt-out setting "
                                                  "(unknown).")
        scope = ("" if third else " The words are about training by the platform; whether the "
                 "opt-out reaches training by others is not stated in them.")
        if params.get("opt_out_scope"):
            scope += f" The opt-out reaches, in the platform's words, {params['opt_out_scope']}."
        if params.get("protected_posts_excluded"):
            scope += (" The platform's words also say that protected (followers-only) and "
                      "deleted posts are removed from that use.")
        words = [f"\"{version.quote}\""] + [f"\"{passage}\"" for passage in version.context
                                            if "opt out" in passage and passage != version.quote]
        self.add(code, severity, self.start_of(interval), title,
                 f"{' '.join(words)} {setting}{scope}",
                 [self.cite(clause, v, i) for v, i in found],
                 {"clause": clause.id, "versions": [v.date for v, _ in found],
                  "opted_out_users_excluded": p.opted_out_users_excluded})

    # -- retention and identity verification ----------------------------------------------

    def retention(self) -> None:
        p = self.p
        schedules = self.lookup.clauses_of_kind(p.platform, "retention-schedule")
        for category in p.data_categories:
            if category == IDENTITY_CATEGORY:
                self.identity()
                continue
            slugs = RETENTION_CATEGORIES[category]
            citations, stated = [], []
            for clause in schedules:
                for version, interval in self.during(clause):
                    for entry in version.parameters["categories"]:
                        if entry["category"] in slugs:
                            citations.append(self.cite(clause, version, interval,
                                                       quote=entry["quote"], context=()))
                            stated.append((version.date, entry["category"], entry["period"]))
            label = category.replace("_", " ")
            if not citations:
                self.gap(f"Retention of {label}", f"The rules hold no period for which "
                         f"{self.platform.name} keeps {DATA_CATEGORIES[category].lower()}")
                continue
            longer = [_longer(p.retention, period) for _, _, period in stated]
            severity = "warning" if any(longer) else "info"
            periods = "; then ".join(dict.fromkeys(_period_words(s) for _, _, s in stated))
            plan = ("The profile states no planned retention." if p.retention is None else
                    f"The planned retention ({p.retention}) is "
                    + ("longer than a period the platform states for itself." if any(longer)
                       else "not longer than the fixed periods stated, or not comparable "
                            "with them."))
            self.add("retention.platform-period", severity, p.start,
                     f"{self.platform.name} states that it keeps {label} {periods}, as context "
                     "for the licence.",
                     "Stated in the versions in force during the collection: " + "; ".join(
                         f"{d}: {cat} {_period_words(s)}" for d, cat, s in stated) + f". {plan}",
                     citations, {"category": category, "retention": p.retention,
                                 "stated": [{"version": d, "category": c, "period": s}
                                            for d, c, s in stated]})

    def identity(self) -> None:
        p = self.p
        clauses = self.lookup.clauses_of_kind(p.platform, "identity-verification")
        found = [(c, v, i) for c in clauses for v, i in self.during(c)]
        if not found:
            self.gap("Identity-verification data", "The rules hold no period for which "
                     f"{self.platform.name} keeps identity-verification data during the "
                     "collection.")
            return
        lines, stated, longer = [], [], False
        eu = "eu-efta-uk" in p.user_regions
        for _, version, _ in found:
            params = version.parameters
            items = ", ".join(f"{i['data'].replace('-', ' ')} {_period_words(i['period'])}"
                              for i in params["items"])
            processor = params["processor"] or "not recorded"
            line = f"version {version.date}: {items}; processor {processor}"
            if eu:
                line += (f"; legal basis for users in the EU, EFTA States and the UK: "
                         f"{params['legal_basis_eu'] or 'not recorded'}")
            lines.append(line)
            for item in params["items"]:
                stated.append({"version": version.date, "data": item["data"],
                               "period": item["period"]})
                longer = longer or bool(_longer(p.retention, item["period"]))
        plan = ("The profile states no planned retention." if p.retention is None else
                f"The planned retention ({p.retention}) is "
                + ("longer than periods the platform states for this data." if longer else
                   "not longer than the periods stated, or not comparable with them."))
        clause = found[0][0]
        self.add("retention.identity-verification", "warning" if longer else "info", p.start,
                 f"{self.document(clause).title} states how long identity-verification data "
                 "is kept, and by which processor, as context for the licence.",
                 "In force during the collection: " + "; ".join(lines) + f". {plan}",
                 [self.cite(c, v, i) for c, v, i in found],
                 {"category": IDENTITY_CATEGORY, "retention": p.retention, "stated": stated})

    # -- forum, law, time limit ------------------------------------------------------------

    def forum(self) -> None:
        p = self.p
        for clause in self.lookup.clauses_of_kind(p.platform, "governing-law"):
            found = self.during(clause)
            document = self.document(clause)
            if not found:
                self.gap(f"Governing law: {document.title}", "No version of its governing-law "
                         f"clause is recorded in force for {self.region} during the collection.",
                         document.id)
                continue
            versions = "; ".join(f"from {v.date}: law {v.parameters['law']}, "
                                 f"{v.parameters['venue'] or 'venue not recorded'}"
                                 for v, _ in found)
            last = found[-1][0].parameters
            venue = last["venue"] or "a venue the rules do not record"
            if len(found) > 1:
                first = found[0][0].parameters
                if first["law"] != last["law"]:
                    title = (f"{document.title}: the governing law changed during the "
                             f"collection, from {first['law']} to {last['law']}; disputes now "
                             f"go to {venue}.")
                else:
                    title = (f"{document.title}: governing law {last['law']}; the venue changed "
                             f"during the collection, and disputes now go to {venue}.")
            else:
                title = f"{document.title}: governing law {last['law']}; disputes go to {venue}."
            changed = (f" It changed during the collection ({len(found)} versions)."
                       if len(found) > 1 else "")
            self.add("forum.governing-law", "info", self.start_of(found[0][1]), title,
                     f"In force during the collection, {versions}.{changed}",
                     [self.cite(clause, v, i) for v, i in found],
                     {"clause": clause.id, "versions": [{"version": v.date, **v.parameters}
                                                        for v, _ in found]})
        for clause in self.lookup.clauses_of_kind(p.platform, "claims-time-limit"):
            found = self.during(clause)
            document = self.document(clause)
            if not found:
                self.gap(f"Time limit for claims: {document.title}", "No version of its "
                         f"time-limit clause is recorded in force for {self.region} during the "
                         "collection.", document.id)
                continue

            def limits(version: ClauseVersion) -> str:
                return ", ".join(
                    ("" if x["claims"] == "all" else f"{x['claims']} claims ")
                    + _period_words(x["period"]).replace("for up to ", "")
                    for x in version.parameters["limits"])

            self.add("forum.claims-time-limit", "info", self.start_of(found[0][1]),
                     f"{document.title}: claims must be brought within {limits(found[-1][0])}.",
                     "In force during the collection: " + "; ".join(
                         f"from {v.date}: {limits(v)} (\"{v.quote}\")" for v, _ in found) + ".",
                     [self.cite(clause, v, i) for v, i in found],
                     {"clause": clause.id, "versions": [{"version": v.date, **v.parameters}
                                                        for v, _ in found]})


def _describe_change(change: Any, first_recorded: bool) -> str:
    """A clause change in a few words: added, removed, or changed (with the words when they
    are few and short enough to read in a title)."""
    title = change.clause.title
    if change.change == "added":
        return f"{title} {'first recorded' if first_recorded else 'added'}"
    if change.change == "removed":
        return f"{title} removed"
    words = change.words
    if not words or len(words) > 2 or any(len(w.old) > 60 or len(w.new) > 60 for w in words):
        return f"{title} changed"
    parts = []
    for word in words:
        if word.op == "insert":
            parts.append(f"adds \"{word.new}\"")
        elif word.op == "delete":
            parts.append(f"drops \"{word.old}\"")
        else:
            parts.append(f"\"{word.old}\" becomes \"{word.new}\"")
    return f"{title} changed ({'; '.join(parts)})"


def _describe_parameters(change: Any) -> str:
    """Scalar parameter changes as ``name: old → new``; lists and tables by name only."""
    shown = []
    for p in change.parameters:
        if isinstance(p.old, list | dict) or isinstance(p.new, list | dict):
            shown.append(f"{p.name} changed")
        else:
            shown.append(f"{p.name}: {_plain(p.old)} → {_plain(p.new)}")
    return f"{change.clause.title}: {'; '.join(shown)}" if shown else ""


def _plain(value: Any) -> str:
    return "none" if value is None else str(value)


def _month_line(month: Month, firsts: dict[str, date | None]) -> str:
    head = f"{month.month}: {month.posts:,} posts"
    if month.choice is not None:
        c = month.choice
        how = (f"{c.name} at {_money(c.currency, c.cost)}" if c.plan == "subscription" else
               f"pay-per-use at {c.currency} {c.price} per post read, "
               f"{_money(c.currency, c.cost)}")
        line = f"{head}, {how} ({c.clause} version {c.version}"
        line += (", a legacy package: the rules do not say whether a new subscriber could take "
                 "it)" if c.legacy else ")")
    else:
        reasons = []
        if month.not_recorded and len(month.not_recorded) == len(
                {o.clause for o in month.options} | set(month.not_recorded)):
            dates = [d for d in firsts.values() if d is not None]
            reasons.append("no prices recorded on " + str(month.priced_at)
                           + (f" (first recorded {min(dates)})" if dates else ""))
        for option in month.options:
            if option.covers is None:
                reasons.append(f"{option.name} might cover it ({option.note})")
            elif option.covers and option.cost is None:
                reasons.append(f"{option.name} covers it at an unknown price")
            elif option.plan == "pay-per-use" and not option.covers:
                reasons.append(f"pay-per-use is capped at {option.monthly_cap:,} post reads")
        capped = [o for o in month.options
                  if o.plan == "subscription" and o.covers is False and o.price is not None]
        if capped:
            top = max(capped, key=lambda o: o.monthly_cap or 0)
            reasons.insert(0, f"above every priced subscription cap ({top.name}: "
                              f"{top.monthly_cap:,} a month)")
        line = f"{head}, not priced: {', '.join(reasons) or 'no option in the rules'}"
    if month.changes:
        line += f" (prices changed within the month: {', '.join(month.changes)})"
    return line


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
