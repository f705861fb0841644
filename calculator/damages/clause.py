"""The damages clause of a platform as the rules hold it: which clause, its numbers (tariffs)
version by version while in force, and the fact to state when a platform names no amount."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from calculator.damages.pricing import Tariff
from calculator.damages.window_counts import NS
from calculator.errors import FieldProblem, InvalidArgument, NotFound
from calculator.rules import RuleLookup
from calculator.rules.lookup import Interval, intervals
from calculator.rules.model import Clause, ClauseVersion
from calculator.timeutil import parse_duration


def damages_clause(lookup: RuleLookup, platform: str, at: datetime | None = None,
                   region: str | None = None) -> Clause:
    """The platform's liquidated-damages clause, as the rules name it.

    A platform without one is refused with the checked fact: the scraping clause in force
    (at ``at``, or its latest version) and that its words name no amount."""
    try:
        found = lookup.clauses_of_kind(platform, "liquidated-damages")
    except NotFound as exc:
        # A platform is an option of the request, not the resource asked for: a 404 for
        # POST /v1/assessments read as if the route were missing.
        raise InvalidArgument(f"platform: {exc.detail}", problems=[
            FieldProblem(exc.detail, field="platform")]) from None
    if not found:
        fact = no_amount_fact(lookup, platform, at, region)
        raise InvalidArgument(f"platform: {fact}, so there is nothing to price",
                              problems=[FieldProblem(fact, field="platform")])
    if len(found) > 1:
        raise InvalidArgument(f"platform: {platform} has {len(found)} damages clauses; the "
                              "rules must name one")
    return found[0]


def no_amount_fact(lookup: RuleLookup, platform: str, at: datetime | None = None,
                   region: str | None = None) -> str:
    """"The terms in force on D name no amount for scraping; checked version V", from the
    platform's scraping clauses as recorded (``at`` None: their latest versions)."""
    name = lookup.platform(platform).name
    prohibitions = lookup.clauses_of_kind(platform, "scraping-prohibition")
    if not prohibitions:
        return f"the rules hold no clause of {name} on scraping, and none that names an amount"
    facts = []
    for clause in prohibitions:
        part = lookup.region(region)
        timeline = intervals(clause.timeline(part))
        if not timeline:
            continue
        current = (next(((v, i) for v, i in timeline if i.contains(at)), None)
                   if at is not None else timeline[-1])
        if current is None:
            continue
        version, _ = current
        document = lookup.ruleset.documents[clause.document_id]
        said = ("names no amount for scraping" if not version.present or
                not version.parameters.get("states_damages_amount") else
                "puts an amount on scraping")
        when = f" in force on {at.date()}" if at is not None else ", as last recorded,"
        facts.append(f"the {document.title}{when} {said} (checked version {version.date} of "
                     f"{clause.id}"
                     + ("" if version.present else ", which records no scraping clause") + ")")
    if not facts:
        return (f"the rules hold no version of {name}'s scraping clauses at that date, and no "
                "clause that names an amount")
    return "; ".join(facts)


def tariffs_of(lookup: RuleLookup, clause: Clause, region: str
               ) -> tuple[list[Tariff], list[tuple[ClauseVersion, Interval]]]:
    """The clause's numbers per version in force in ``region``, with those versions; one
    assessment adds windows up, so its versions must share the window and the currency."""
    periods = lookup.in_force_periods(clause.id, region)
    tariffs = []
    for version, interval in periods:
        p = version.parameters
        duration = parse_duration(p["window"])
        tariffs.append(Tariff(
            version=version.date, starts_ns=instant_ns(interval.start),
            ends_ns=None if interval.end is None else instant_ns(interval.end),
            threshold=p["threshold_posts"], per_posts=p["per_posts"],
            amount=Fraction(p["amount"]), currency=p["currency"],
            window_ns=int(duration.as_timedelta().total_seconds()) * NS))
    if len({t.window_ns for t in tariffs}) > 1 or len({t.currency for t in tariffs}) > 1:
        raise InvalidArgument(f"{clause.id}: its versions use different windows or currencies, "
                              "which one assessment cannot add up")
    return tariffs, periods


def instant_ns(instant: datetime) -> int:
    """An in-force boundary (whole seconds) as UTC nanoseconds."""
    return int(instant.timestamp()) * NS


def tariff_at(tariffs: list[Tariff], instant: int) -> Tariff:
    """The tariff of the clause version in force at ``instant`` (UTC ns), or the first."""
    chosen = tariffs[0]
    for tariff in tariffs:
        if tariff.starts_ns <= instant:
            chosen = tariff
    return chosen

